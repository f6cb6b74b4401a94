package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/storage/s3/s3test"
)

const (
	// faultDurationEnv sets the load duration (default 20s; the full run
	// is WHARF_FAULT_DURATION=60s).
	faultDurationEnv = "WHARF_FAULT_DURATION"
	faultWorkers     = 6
	// faultGrace is how long after a window ends 503s are still accepted
	// (pooled connections from before the outage fail once each).
	faultGrace = 2 * time.Second
	// faultMaxLatency bounds every request, outages included: a dependency
	// outage must fail fast, never hang.
	faultMaxLatency = 10 * time.Second
)

var faultCrates = []string{"fault-one", "fault-two", "fault_three", "fault-four", "fault-five", "fault-six"}

// faultWindow is one dependency outage, from the moment it starts until
// the dependency is back.
type faultWindow struct {
	name       string
	start, end time.Time
}

// covers reports whether a request running from start to end overlapped
// the window or its grace period.
func (w faultWindow) covers(start, end time.Time) bool {
	return !start.After(w.end.Add(faultGrace)) && !end.Before(w.start)
}

// faultResult is one request of the load.
type faultResult struct {
	op         string // index, download, publish
	target     string
	start, end time.Time
	status     int
	err        string // transport or body error
	retryAfter string
	envelope   bool   // the body is cargo's {"errors":[{"detail":…}]}
	body       string // kept for index reads only
}

// faultVersion is a version known to be published (answered 200).
type faultVersion struct{ name, vers, cksum string }

// faultLoad is the shared state of the load generators.
type faultLoad struct {
	k      *Killable
	client *http.Client

	mu        sync.Mutex
	published []faultVersion
	results   []faultResult
}

// TestLoadWithFaults runs a mixed load (index reads, downloads, publishes)
// against wharf on PostgreSQL and S3 (versitygw) while first the S3 server
// and then the database go away for a few seconds. Outside the outages (and
// a short grace period) every request succeeds; during them errors are only
// clean 503s with Retry-After and cargo's error envelope, answered fast;
// afterwards nothing acknowledged is lost and the same process is healthy.
//
// The PostgreSQL outage does not restart the cluster: the test database
// lives in the machine's main cluster, shared with tests running in
// parallel. Instead testdb.Outage forbids new connections to this one
// database (ALLOW_CONNECTIONS false) and terminates its backends, which is
// what the server sees of a database restart: every connection dropped
// (57P01) and every reconnection refused until it is back.
func TestLoadWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	t.Parallel()
	duration := 20 * time.Second
	if v := os.Getenv(faultDurationEnv); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, faultDurationEnv)
		duration = d
	}
	outage := min(max(duration/6, 3*time.Second), 5*time.Second)

	s3p := s3test.StartProcess(t)
	k := StartKillable(t, "postgres",
		"REGISTRY_STORAGE=s3", "REGISTRY_S3_URI="+s3p.Endpoint, "REGISTRY_S3_BUCKET=wharf",
		"REGISTRY_S3_ACCESS_KEY="+s3p.AccessKey, "REGISTRY_S3_SECRET_KEY="+s3p.SecretKey,
		"REGISTRY_STORAGE_TIMEOUT=3000", "REGISTRY_STORAGE_RETRY_MAX_TIMES=2",
		"REGISTRY_STORAGE_RETRY_MIN_DELAY_MS=50", "REGISTRY_STORAGE_RETRY_MAX_DELAY_MS=200",
		"REGISTRY_LOG_LEVEL=info")
	l := &faultLoad{k: k, client: &http.Client{
		Timeout:   faultMaxLatency + 5*time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: faultWorkers, DisableCompression: true},
	}}
	defer l.client.CloseIdleConnections()
	for i, name := range faultCrates {
		res := l.publish(name, fmt.Sprintf("1.0.%d", i))
		require.Equal(t, http.StatusOK, res.status, "seed publish: %s", res.err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, load %s, outages of %s", seed, duration, outage)
	var wg sync.WaitGroup
	for w := range faultWorkers {
		wg.Go(func() { l.work(ctx, rand.New(rand.NewPCG(seed, uint64(w))), w) })
	}

	// The outages, one after the other, at fixed points of the load.
	t0 := time.Now()
	untilPoint := func(frac float64) {
		d := time.Until(t0.Add(time.Duration(float64(duration) * frac)))
		if d > 0 {
			<-time.After(d)
		}
	}
	untilPoint(0.2)
	s3Window := faultWindow{name: "S3 outage", start: time.Now()}
	s3p.Stop()
	<-time.After(outage)
	s3p.Start()
	s3Window.end = time.Now()

	untilPoint(0.55)
	pgWindow := faultWindow{name: "PostgreSQL outage", start: time.Now()}
	endOutage := testdb.Outage(t, k.DatabaseURL)
	// Readiness reports the outage (the load keeps running meanwhile).
	readyz := l.get("/readyz", "")
	require.Equal(t, http.StatusServiceUnavailable, readyz.status, "/readyz while the database is down")
	require.Equal(t, http.StatusOK, l.get("/healthz", "").status, "/healthz does not depend on the database")
	<-time.After(outage)
	endOutage()
	pgWindow.end = time.Now()

	wg.Wait()
	windows := []faultWindow{s3Window, pgWindow}
	logErrorSummary(t, k)
	l.check(t, windows)

	// Nothing acknowledged is lost, and the same process serves normally.
	require.True(t, k.Alive(), "wharf must survive the outages without a restart")
	l.requireHealthy(t)
	l.requirePublishedPresent(t)
	require.Empty(t, k.LogMatching(`msg="request failed"`), "no request may fail with a 500")
}

// logErrorSummary logs how many ERROR lines the server wrote, by message
// (River's producer, notifier and completer complain while the database is
// down), and every 500 ("request failed") in full.
func logErrorSummary(t *testing.T, k *Killable) {
	t.Helper()
	counts := map[string]int{}
	for _, line := range k.LogMatching("level=ERROR") {
		msg := line
		if _, rest, ok := strings.Cut(line, "msg="); ok {
			if strings.HasPrefix(rest, `"`) {
				msg, _, _ = strings.Cut(rest[1:], `"`)
			} else {
				msg, _, _ = strings.Cut(rest, " ")
			}
		}
		counts[msg]++
	}
	for _, msg := range slices.Sorted(maps.Keys(counts)) {
		t.Logf("server logged ERROR %q ×%d", msg, counts[msg])
	}
	for _, line := range k.LogMatching(`msg="request failed"`) {
		t.Logf("server: %s", line)
	}
	if n := len(k.LogMatching(`msg="retrying transaction"`)); n > 0 {
		t.Logf("server retried %d transactions aborted by PostgreSQL (deadlock or serialization failure)", n)
	}
}

// work sends requests until ctx ends: 45% index reads, 35% downloads,
// 20% publishes of new versions.
func (l *faultLoad) work(ctx context.Context, rng *rand.Rand, w int) {
	for i := 0; ctx.Err() == nil; i++ {
		l.mu.Lock()
		v := l.published[rng.IntN(len(l.published))]
		l.mu.Unlock()
		var res faultResult
		switch p := rng.IntN(100); {
		case p < 45:
			res = l.get("/index/"+crate.IndexPath(v.name), "index")
		case p < 80:
			res = l.get("/api/v1/crates/"+v.name+"/"+v.vers+"/download", "download")
			if res.status == http.StatusOK && res.err == "" && res.target != v.cksum {
				res.err = "download does not match the index cksum"
			}
		default:
			name := faultCrates[rng.IntN(len(faultCrates))]
			res = l.publish(name, fmt.Sprintf("2.%d.%d", w, i))
		}
		l.mu.Lock()
		l.results = append(l.results, res)
		l.mu.Unlock()
	}
}

func (l *faultLoad) get(path, op string) faultResult {
	return l.do(op, path, http.MethodGet, path, nil)
}

// publish sends a new version and remembers it when acknowledged.
func (l *faultLoad) publish(name, vers string) faultResult {
	crateFile := cratetest.Build(name, vers, nil)
	sum := sha256.Sum256(crateFile)
	cksum := hex.EncodeToString(sum[:])
	res := l.do("publish", name+"@"+vers, http.MethodPut, "/api/v1/crates/new",
		cratetest.PublishBody(cratetest.Metadata(name, vers), crateFile))
	if res.status == http.StatusOK && res.err == "" {
		l.mu.Lock()
		l.published = append(l.published, faultVersion{name: name, vers: vers, cksum: cksum})
		l.mu.Unlock()
	}
	return res
}

// do sends one request; for 200 downloads target becomes the body's sha256.
func (l *faultLoad) do(op, target, method, path string, body []byte) faultResult {
	res := faultResult{op: op, target: target, start: time.Now()}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, l.k.URL+path, rd)
	if err != nil {
		panic(err)
	}
	if op != "" { // probes are anonymous
		req.Header.Set("Authorization", l.k.AdminToken)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		res.err = err.Error()
		res.end = time.Now()
		return res
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	res.end = time.Now()
	res.status = resp.StatusCode
	res.retryAfter = resp.Header.Get("Retry-After")
	if err != nil {
		res.err = "reading the body: " + err.Error()
		return res
	}
	var env struct {
		Errors []struct {
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	res.envelope = json.Unmarshal(data, &env) == nil && len(env.Errors) > 0 && env.Errors[0].Detail != ""
	if op == "index" {
		res.body = string(data)
	}
	if op == "download" && res.status == http.StatusOK {
		sum := sha256.Sum256(data)
		res.target = hex.EncodeToString(sum[:])
	}
	return res
}

// check applies the rules to every result and logs the numbers.
func (l *faultLoad) check(t *testing.T, windows []faultWindow) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var (
		problems     []string
		outside      int
		outside5xx   int
		inWindow     = make([]int, len(windows))
		unavailable  = make([]int, len(windows))
		byOp         = map[string]int{}
		maxLatency   time.Duration
		maxLatencyOp string
	)
	for _, r := range l.results {
		byOp[r.op]++
		if lat := r.end.Sub(r.start); lat > maxLatency {
			maxLatency, maxLatencyOp = lat, r.op+" "+r.target
		}
		if lat := r.end.Sub(r.start); lat > faultMaxLatency {
			problems = append(problems, fmt.Sprintf("%s %s took %s", r.op, r.target, lat))
		}
		in := slices.IndexFunc(windows, func(w faultWindow) bool { return w.covers(r.start, r.end) })
		at := r.start.Format("15:04:05.000")
		if in < 0 {
			outside++
			if r.status >= 500 {
				outside5xx++
			}
			if r.status != http.StatusOK || r.err != "" {
				problems = append(problems, fmt.Sprintf("outside the outages: %s %s at %s: %d %s", r.op, r.target, at, r.status, r.err))
			}
			continue
		}
		inWindow[in]++
		switch {
		case r.err != "":
			problems = append(problems, fmt.Sprintf("%s: %s %s at %s: %s", windows[in].name, r.op, r.target, at, r.err))
		case r.status == http.StatusOK:
		case r.status == http.StatusServiceUnavailable:
			unavailable[in]++
			if r.retryAfter == "" || !r.envelope {
				problems = append(problems, fmt.Sprintf("%s: %s %s at %s: 503 without Retry-After (%q) or cargo envelope (%t)",
					windows[in].name, r.op, r.target, at, r.retryAfter, r.envelope))
			}
		default:
			problems = append(problems, fmt.Sprintf("%s: %s %s at %s: HTTP %d (only 503 is a clean failure)",
				windows[in].name, r.op, r.target, at, r.status))
		}
	}
	t.Logf("%d requests (%d index reads, %d downloads, %d publishes; %d acknowledged versions); slowest %s (%s)",
		len(l.results), byOp["index"], byOp["download"], byOp["publish"], len(l.published), maxLatency, maxLatencyOp)
	for i, w := range windows {
		t.Logf("%s (%s + %s grace): %d requests, %d answered 503", w.name, w.end.Sub(w.start).Round(time.Millisecond),
			faultGrace, inWindow[i], unavailable[i])
	}
	t.Logf("outside the outages: %d requests, %d answered 5xx", outside, outside5xx)
	if len(problems) > 20 {
		problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
	}
	require.Empty(t, problems, "server log tail:\n%s", l.k.LogTail(40))
	for i, w := range windows {
		require.Positive(t, unavailable[i], "no request failed during the %s: the fault was not injected", w.name)
	}
}

// requireHealthy: probes answer 200 and a new publish goes through.
func (l *faultLoad) requireHealthy(t *testing.T) {
	t.Helper()
	for _, path := range []string{"/healthz", "/readyz"} {
		res := l.get(path, "")
		require.Equal(t, http.StatusOK, res.status, "%s after the outages: %s", path, res.err)
	}
	res := l.publish("fault-after", "1.0.0")
	require.Equal(t, http.StatusOK, res.status, "publish after the outages: %s", res.err)
}

// requirePublishedPresent: every acknowledged version is in the index with
// its cksum, and its download matches.
func (l *faultLoad) requirePublishedPresent(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	published := slices.Clone(l.published)
	l.mu.Unlock()
	index := map[string]string{} // name@vers → cksum
	for _, name := range append(slices.Clone(faultCrates), "fault-after") {
		res := l.do("index", name, http.MethodGet, "/index/"+crate.IndexPath(name), nil)
		require.Equal(t, http.StatusOK, res.status, "index of %s: %s", name, res.err)
		for _, line := range strings.Split(strings.TrimSuffix(res.body, "\n"), "\n") {
			var e crate.IndexEntry
			require.NoError(t, json.Unmarshal([]byte(line), &e), "index line %q", line)
			index[e.Name+"@"+e.Vers] = e.Cksum
		}
	}
	for _, v := range published {
		cksum, ok := index[v.name+"@"+v.vers]
		require.True(t, ok, "acknowledged publish %s@%s is missing from the index", v.name, v.vers)
		require.Equal(t, v.cksum, cksum, "%s@%s", v.name, v.vers)
		res := l.get("/api/v1/crates/"+v.name+"/"+v.vers+"/download", "download")
		require.Equal(t, http.StatusOK, res.status, "download %s@%s: %s", v.name, v.vers, res.err)
		require.Equal(t, v.cksum, res.target, "download of %s@%s", v.name, v.vers)
	}
	t.Logf("all %d acknowledged versions present in the index and downloadable", len(published))
}
