package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Stats is the outcome of one scenario against one server.
type Stats struct {
	Requests int
	Errors   int
	// FirstError describes the first failed request ("" when none).
	FirstError string
	// Elapsed is the wall time of the measured run (for publish: the sum of
	// request latencies, so client-side body building is not counted).
	Elapsed  time.Duration
	P50, P99 time.Duration
	// CPUPerRequest is the server's CPU time (user+system, all threads and
	// processes) per request; 0 when unknown.
	CPUPerRequest time.Duration
	// Bytes is the total response body size.
	Bytes int64
}

// Rate is requests per second.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// request is one generated request: a path, an optional If-None-Match, and
// the expected response.
type request struct {
	path        string
	ifNoneMatch string
	status      int
	bodyLen     int // -1: any
}

// loadSpec describes a closed-loop load: concurrency workers, each with its
// own keep-alive connection, sending back-to-back requests for duration.
type loadSpec struct {
	addr          string
	authorization string
	concurrency   int
	duration      time.Duration
	pick          func(rng *rand.Rand) request
	// cpu samples the server's CPU time; nil when unknown.
	cpu func() (time.Duration, bool)
}

type workerResult struct {
	latencies []time.Duration
	errors    int
	firstErr  string
	bytes     int64
	end       time.Time
}

// runLoad drives spec and returns its statistics. Connections are opened
// before the clock starts; each worker keeps its latencies in its own slice,
// merged and sorted at the end.
func runLoad(ctx context.Context, spec loadSpec) (Stats, error) {
	conns := make([]*rawConn, spec.concurrency)
	for i := range conns {
		conns[i] = newRawConn(spec.addr)
		if err := conns[i].dial(); err != nil {
			for _, c := range conns[:i] {
				c.close()
			}
			return Stats{}, fmt.Errorf("connect to %s: %w", spec.addr, err)
		}
	}
	results := make([]workerResult, spec.concurrency)
	startGate := make(chan struct{})
	var wg sync.WaitGroup
	for w := range spec.concurrency {
		wg.Go(func() {
			defer conns[w].close()
			<-startGate
			results[w] = work(ctx, conns[w], spec, uint64(w))
		})
	}
	cpuBefore, cpuOK := sampleCPU(spec.cpu)
	start := time.Now()
	close(startGate)
	wg.Wait()
	cpuAfter, cpuOK2 := sampleCPU(spec.cpu)

	var st Stats
	var all []time.Duration
	end := start
	for _, r := range results {
		all = append(all, r.latencies...)
		st.Errors += r.errors
		st.Bytes += r.bytes
		if st.FirstError == "" {
			st.FirstError = r.firstErr
		}
		if r.end.After(end) {
			end = r.end
		}
	}
	st.Requests = len(all)
	st.Elapsed = end.Sub(start)
	st.P50, st.P99 = percentiles(all)
	if cpuOK && cpuOK2 && st.Requests > 0 {
		st.CPUPerRequest = (cpuAfter - cpuBefore) / time.Duration(st.Requests)
	}
	return st, ctx.Err()
}

func sampleCPU(f func() (time.Duration, bool)) (time.Duration, bool) {
	if f == nil {
		return 0, false
	}
	return f()
}

func work(ctx context.Context, c *rawConn, spec loadSpec, seed uint64) workerResult {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	r := workerResult{latencies: make([]time.Duration, 0, 1<<14)}
	t0 := time.Now()
	deadline := t0.Add(spec.duration)
	for t0.Before(deadline) && ctx.Err() == nil {
		req := spec.pick(rng)
		resp, err := c.get(req.path, spec.authorization, req.ifNoneMatch)
		t1 := time.Now()
		switch {
		case err != nil:
			r.fail(fmt.Sprintf("GET %s: %v", req.path, err))
		case resp.status != req.status:
			r.fail(fmt.Sprintf("GET %s: status %d, want %d", req.path, resp.status, req.status))
		case req.bodyLen >= 0 && resp.bodyLen != req.bodyLen:
			r.fail(fmt.Sprintf("GET %s: %d body bytes, want %d", req.path, resp.bodyLen, req.bodyLen))
		default:
			r.latencies = append(r.latencies, t1.Sub(t0))
			r.bytes += int64(resp.bodyLen)
		}
		t0 = t1
	}
	r.end = t0
	return r
}

func (r *workerResult) fail(msg string) {
	r.errors++
	if r.firstErr == "" {
		r.firstErr = msg
	}
	if r.errors > 100 {
		// A broken server: slow down rather than spin on errors.
		time.Sleep(10 * time.Millisecond)
	}
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return at(0.50), at(0.99)
}

// publishSpec describes the publish scenario: one client publishing new
// versions of random existing crates over real HTTP for duration.
type publishSpec struct {
	baseURL       string
	authorization string
	duration      time.Duration
	// body returns the n-th publish body (built before the clock starts).
	body func(rng *rand.Rand, n int) []byte
	cpu  func() (time.Duration, bool)
}

// runPublish sends publishes one after another; only the HTTP round trip is
// timed.
func runPublish(ctx context.Context, spec publishSpec) (Stats, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(7, 7))
	var r workerResult
	cpuBefore, cpuOK := sampleCPU(spec.cpu)
	deadline := time.Now().Add(spec.duration)
	for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
		body := spec.body(rng, n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, spec.baseURL+"/api/v1/crates/new", bytes.NewReader(body))
		if err != nil {
			return Stats{}, err
		}
		req.Header.Set("Authorization", spec.authorization)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			r.fail(fmt.Sprintf("publish: %v", err))
			continue
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lat := time.Since(t0)
		if resp.StatusCode != http.StatusOK {
			r.fail(fmt.Sprintf("publish: status %d: %s", resp.StatusCode, bytes.TrimSpace(msg)))
			continue
		}
		r.latencies = append(r.latencies, lat)
	}
	cpuAfter, cpuOK2 := sampleCPU(spec.cpu)
	st := Stats{Requests: len(r.latencies), Errors: r.errors, FirstError: r.firstErr}
	for _, l := range r.latencies {
		st.Elapsed += l
	}
	st.P50, st.P99 = percentiles(r.latencies)
	if cpuOK && cpuOK2 && st.Requests > 0 {
		// Includes background jobs the publishes triggered during the run.
		st.CPUPerRequest = (cpuAfter - cpuBefore) / time.Duration(st.Requests)
	}
	return st, ctx.Err()
}
