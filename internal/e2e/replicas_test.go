package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/storage/s3/s3test"
)

// loadBalancer is the replicas' shared public address: a reverse proxy to
// whichever replica the test points it at.
type loadBalancer struct {
	URL    string
	target atomic.Pointer[url.URL]
}

func newLoadBalancer(t *testing.T) *loadBalancer {
	t.Helper()
	lb := &loadBalancer{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(lb.target.Load())
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	lb.URL = srv.URL
	return lb
}

func (lb *loadBalancer) pointAt(t *testing.T, s *Server) {
	u, err := url.Parse(s.URL)
	require.NoError(t, err)
	lb.target.Store(u)
}

// replicas is two wharf processes sharing one PostgreSQL database and one
// S3 bucket, each with its own data directory (and git repository), behind
// one public URL.
type replicas struct {
	A, B  *Server
	LB    *loadBalancer
	Token string
}

func startReplicas(t *testing.T) *replicas {
	t.Helper()
	endpoint, accessKey, secretKey := s3test.Start(t)
	db := testdb.PostgresURL(t)
	lb := newLoadBalancer(t)
	env := append(slices.Clone(gitServerEnv),
		"REGISTRY_STORAGE=s3",
		"REGISTRY_S3_URI="+endpoint,
		"REGISTRY_S3_ACCESS_KEY="+accessKey,
		"REGISTRY_S3_SECRET_KEY="+secretKey,
		"REGISTRY_S3_BUCKET=wharf-replicas",
		"REGISTRY_S3_REGION=us-east-1",
	)
	cfg := ServerConfig{Engine: "postgres", DatabaseURL: db, PublicURL: lb.URL, Env: env}
	a := Start(t, cfg)
	lb.pointAt(t, a)
	cfg.JoinExisting = true
	b := Start(t, cfg)
	b.AdminToken = a.AdminToken
	return &replicas{A: a, B: b, LB: lb, Token: a.AdminToken}
}

// publishJob is one publish of the concurrent bursts.
type publishJob struct {
	Name, Vers string
	Target     *Server
}

// burst runs jobs from workers goroutines at once and returns every result
// in job order. onDone, if set, is called after each finished publish with
// the number finished so far.
func burst(jobs []publishJob, token string, workers int, onDone func(done int)) []publishResult {
	results := make([]publishResult, len(jobs))
	next := make(chan int)
	var (
		wg   sync.WaitGroup
		done atomic.Int64
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				results[i] = publishRaw(j.Target.URL, token, j.Name, j.Vers)
				n := done.Add(1)
				if onDone != nil {
					onDone(int(n))
				}
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// burstJobs makes crates×versions publishes, shuffled, alternating between
// the targets, so that versions of one crate race each other on both
// replicas.
func burstJobs(prefix string, crates, versions int, major int, targets ...*Server) []publishJob {
	var jobs []publishJob
	for c := 0; c < crates; c++ {
		for v := 0; v < versions; v++ {
			jobs = append(jobs, publishJob{Name: fmt.Sprintf("%s-%d", prefix, c), Vers: fmt.Sprintf("%d.0.%d", major, v)})
		}
	}
	rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	for i := range jobs {
		jobs[i].Target = targets[i%len(targets)]
	}
	return jobs
}

// sparseFile is one index file as a replica serves it.
type sparseFile struct {
	Status int
	ETag   string
	Body   []byte
}

func getSparse(t *testing.T, s *Server, token, name string) sparseFile {
	t.Helper()
	res := s.Do(t, http.MethodGet, "/index/"+indexPath(name), token, nil)
	return sparseFile{Status: res.Status, ETag: res.Header.Get("ETag"), Body: res.Body}
}

// sparseLine is what the consistency checks need of an index line.
type sparseLine struct {
	Name  string `json:"name"`
	Vers  string `json:"vers"`
	Cksum string `json:"cksum"`
}

func parseSparse(t *testing.T, body []byte) []sparseLine {
	t.Helper()
	var out []sparseLine
	for _, raw := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		var l sparseLine
		require.NoError(t, json.Unmarshal([]byte(raw), &l), "index line %q", raw)
		out = append(out, l)
	}
	return out
}

// requireDownload downloads name@vers from s and checks the SHA-256.
func requireDownload(t *testing.T, s *Server, token string, l sparseLine) {
	t.Helper()
	res := s.Do(t, http.MethodGet, "/api/v1/crates/"+l.Name+"/"+l.Vers+"/download", token, nil)
	require.Equal(t, http.StatusOK, res.Status, "download %s@%s from %s: %s", l.Name, l.Vers, s.URL, res.Body)
	sum := sha256.Sum256(res.Body)
	require.Equal(t, l.Cksum, hex.EncodeToString(sum[:]), "checksum of %s@%s from %s", l.Name, l.Vers, s.URL)
}

// requireConsistent checks that both replicas serve the same index for
// crates — byte-identical bodies, same ETags — that every version in want
// is listed, that every listed version downloads from both with the right
// checksum, and that both git indexes have the same head, with a linear
// history whose files equal the sparse ones. It returns the versions
// listed per crate.
func (r *replicas) requireConsistent(t *testing.T, g *Git, crates []string, want map[string][]string) map[string][]string {
	t.Helper()
	listed := map[string][]string{}
	bodies := map[string][]byte{}
	for _, name := range crates {
		fa, fb := getSparse(t, r.A, r.Token, name), getSparse(t, r.B, r.Token, name)
		require.Equal(t, fa.Status, fb.Status, "%s: status on A and B", name)
		if fa.Status == http.StatusNotFound {
			require.Empty(t, want[name], "%s: published versions missing from the index", name)
			continue
		}
		require.Equal(t, http.StatusOK, fa.Status, "%s: %s", name, fa.Body)
		require.Equal(t, string(fa.Body), string(fb.Body), "%s: A and B serve different index files", name)
		require.NotEmpty(t, fa.ETag)
		require.Equal(t, fa.ETag, fb.ETag, "%s: A and B give different ETags", name)
		bodies[name] = fa.Body
		for _, l := range parseSparse(t, fa.Body) {
			require.Equal(t, name, l.Name)
			require.NotContains(t, listed[name], l.Vers, "%s: duplicate line", name)
			listed[name] = append(listed[name], l.Vers)
			// Nothing half-written: every listed version downloads, from both.
			requireDownload(t, r.A, r.Token, l)
			requireDownload(t, r.B, r.Token, l)
		}
		for _, v := range want[name] {
			require.Contains(t, listed[name], v, "%s@%s got 200 but is not in the index", name, v)
		}
	}

	// Git: both replicas advertise the same head right away (each syncs
	// from the change log before advertising), with one commit per change.
	headA := g.LsRemoteMain(t, gitURL(r.A, "admin", r.Token))
	headB := g.LsRemoteMain(t, gitURL(r.B, "admin", r.Token))
	require.Equal(t, headA, headB, "A and B git heads")
	parent := t.TempDir()
	cloneA := g.Clone(t, gitURL(r.A, "admin", r.Token), parent)
	cloneB := g.Clone(t, gitURL(r.B, "admin", r.Token), parent)
	require.Equal(t, headA, g.RevParse(cloneA, "main"))
	require.Equal(t, headA, g.RevParse(cloneB, "main"))
	seq := g.changeSeq(t, cloneB, "main")
	subjects := g.requireLinearHistory(t, cloneB, "main", seq+1)
	for name, vers := range listed {
		require.Equal(t, string(bodies[name]), string(g.showFile(cloneB, "main", indexPath(name))), "%s: git and sparse differ", name)
		for _, v := range vers {
			require.Equal(t, 1, countOf(subjects, "Publish "+name+" "+v), "one commit publishing %s@%s", name, v)
		}
	}
	return listed
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

const replicaConsumer = `-- Cargo.toml --
[package]
name = "replica-consumer"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
replicated = "0.1"
-- src/main.rs --
fn main() {}
`

// TestReplicas: two replicas on one PostgreSQL database and one S3 bucket
// (versitygw) serve the same index, sparse and git, at once; concurrent
// publishes on both give one linear, identical git history; a replica
// killed with SIGKILL in the middle of a burst loses nothing that was
// acknowledged and leaves nothing half-written.
func TestReplicas(t *testing.T) {
	requireCargo(t)
	requireGit(t)
	t.Parallel()
	r := startReplicas(t)
	g := NewGit(t)
	work := t.TempDir()
	changes := 1 // config.json

	t.Run("publish_on_A_resolve_on_B", func(t *testing.T) {
		onA := NewCargo(t, r.A, r.Token, CargoOpts{})
		dir := writeSimpleCrate(t, work, "replicated", "0.1.0", "published on A")
		onA.OK(t, dir, args("publish", "--registry", "local", "--no-verify"), "Published replicated v0.1.0")
		changes++

		// Immediately through B: cargo resolves against B's sparse index…
		onB := NewCargo(t, r.B, r.Token, CargoOpts{})
		cons := filepath.Join(work, "replica-consumer")
		files, err := parseTxtar([]byte(replicaConsumer))
		require.NoError(t, err)
		writeFiles(t, cons, files)
		onB.OK(t, cons, args("generate-lockfile"))
		require.Equal(t, []string{"0.1.0"}, lockedVersions(t, cons)["replicated"])
		// …and B's git index has the new line.
		clone := g.Clone(t, gitURL(r.B, "admin", r.Token), t.TempDir())
		line := string(g.showFile(clone, "main", indexPath("replicated")))
		require.Contains(t, line, `"vers":"0.1.0"`)
		require.Equal(t, string(r.B.Get(t, "/index/"+indexPath("replicated"), r.Token)), line)
		require.Equal(t, changes, g.changeSeq(t, clone, "main"))
		// The crate uploaded through A is in the shared bucket.
		requireDownload(t, r.B, r.Token, parseSparse(t, []byte(line))[0])
	})

	t.Run("concurrent_publishes", func(t *testing.T) {
		// 7 crates × 8 versions = 56 publishes, half on A, half on B.
		jobs := burstJobs("conc", 7, 8, 1, r.A, r.B)
		start := time.Now()
		results := burst(jobs, r.Token, 8, nil)
		t.Logf("%d concurrent publishes in %s", len(jobs), time.Since(start).Round(time.Millisecond))
		want := map[string][]string{}
		var crates []string
		for i, res := range results {
			require.NoError(t, res.Err, "publish %s@%s on %s", res.Name, res.Vers, jobs[i].Target.URL)
			require.Equal(t, http.StatusOK, res.Status, "publish %s@%s on %s: %s", res.Name, res.Vers, jobs[i].Target.URL, res.Body)
			if want[res.Name] == nil {
				crates = append(crates, res.Name)
			}
			want[res.Name] = append(want[res.Name], res.Vers)
		}
		changes += len(jobs)
		listed := r.requireConsistent(t, g, crates, want)
		for name, vers := range want {
			require.ElementsMatch(t, vers, listed[name], "%s", name)
		}
		require.Equal(t, changes, g.changeSeq(t, g.Clone(t, gitURL(r.A, "admin", r.Token), t.TempDir()), "main"),
			"one commit per publish")
	})

	t.Run("download_counts", func(t *testing.T) {
		// Both replicas count downloads in memory and add them to the shared
		// rows when they flush — also on SIGTERM, so stopping both at once
		// makes their flushes overlap. Nothing may deadlock or be lost.
		const crates, downloaders = 30, 2
		var names []string
		for i := 0; i < crates; i++ {
			name := fmt.Sprintf("dl-%02d", i)
			mustPublish(t, r.A, r.Token, name, "1.0.0")
			names = append(names, name)
		}
		changes += crates
		var wg sync.WaitGroup
		for _, s := range []*Server{r.A, r.B} {
			for w := 0; w < downloaders; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					order := slices.Clone(names)
					rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
					for _, name := range order {
						req, err := http.NewRequest(http.MethodGet, s.URL+"/api/v1/crates/"+name+"/1.0.0/download", nil)
						if err != nil {
							t.Error(err)
							return
						}
						req.Header.Set("Authorization", r.Token)
						resp, err := publishClient.Do(req)
						if err != nil {
							t.Errorf("download %s from %s: %v", name, s.URL, err)
							return
						}
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							t.Errorf("download %s from %s: %d", name, s.URL, resp.StatusCode)
						}
					}
				}()
			}
		}
		wg.Wait()
		// SIGTERM both at once: each flushes its counts on the way out.
		var stop sync.WaitGroup
		for _, s := range []*Server{r.A, r.B} {
			stop.Add(1)
			go func() {
				defer stop.Done()
				s.Stop(t)
			}()
		}
		stop.Wait()
		r.A.Restart(t)
		r.B.Restart(t)
		var res struct {
			Crates []struct {
				Name      string `json:"name"`
				Downloads int64  `json:"downloads"`
			} `json:"crates"`
		}
		require.NoError(t, json.Unmarshal(r.A.Get(t, "/api/v1/crates?q=dl-&per_page=100", r.Token), &res))
		got := map[string]int64{}
		for _, c := range res.Crates {
			got[c.Name] = c.Downloads
		}
		for _, name := range names {
			require.Equal(t, int64(2*downloaders), got[name], "downloads of %s (2 replicas × %d downloaders)", name, downloaders)
		}
	})

	t.Run("kill_B_during_burst", func(t *testing.T) {
		// 6 crates × 7 versions; B gets SIGKILL after a random number of
		// publishes have finished, while the others are in flight.
		jobs := burstJobs("kill", 6, 7, 2, r.A, r.B)
		killAfter := 6 + rand.IntN(15)
		killed := make(chan struct{})
		var once sync.Once
		results := burst(jobs, r.Token, 8, func(done int) {
			if done == killAfter {
				once.Do(func() {
					r.B.Kill(t)
					close(killed)
				})
			}
		})
		select {
		case <-killed:
		default:
			t.Fatal("B was not killed")
		}
		var ok, failedOnB, okOnB int
		want := map[string][]string{}
		var crates []string
		for i, res := range results {
			if !slices.Contains(crates, res.Name) {
				crates = append(crates, res.Name)
			}
			switch {
			case res.Status == http.StatusOK:
				ok++
				want[res.Name] = append(want[res.Name], res.Vers)
				if jobs[i].Target == r.B {
					okOnB++
				}
			case jobs[i].Target == r.A:
				t.Errorf("publish %s@%s on A failed: %v %d %s", res.Name, res.Vers, res.Err, res.Status, res.Body)
			default:
				failedOnB++
			}
		}
		t.Logf("kill after %d: %d publishes got 200 (%d of them on B), %d on B failed", killAfter, ok, okOnB, failedOnB)
		require.Positive(t, failedOnB, "the kill must interrupt some publishes on B")

		r.B.Restart(t)
		listed := r.requireConsistent(t, g, crates, want)
		extra := 0
		for name, vers := range listed {
			extra += len(vers) - len(want[name])
		}
		t.Logf("%d publishes without 200 made it anyway (committed before the kill)", extra)

		// Both replicas keep working after the restart.
		mustPublish(t, r.B, r.Token, "kill-after", "1.0.0")
		mustPublish(t, r.A, r.Token, "kill-after", "1.0.1")
		r.requireConsistent(t, g, []string{"kill-after"}, map[string][]string{"kill-after": {"1.0.0", "1.0.1"}})
	})
}
