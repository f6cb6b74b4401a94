package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/internal/testdb"
)

const (
	crashRounds  = 4
	crashWorkers = 8
	// crashMaxPerWorker bounds a burst should the kill never come.
	crashMaxPerWorker = 150
)

// crashCrates are the crates the bursts publish to; workers pick one at
// random for every version, so first publishes of a crate race too.
var crashCrates = []string{
	"crash-alpha", "crash-bravo", "crash-charlie", "crash-delta", "crash-echo", "crash-foxtrot",
	"crash_golf", "crash_hotel", "crash-india", "crash-juliet", "crash-kilo", "crash-lima",
}

// crashAttempt is one publish sent during a burst.
type crashAttempt struct {
	name, vers, cksum string
	acked             bool   // answered 200
	failure           string // transport error when not acked
}

// TestCrashConsistency publishes from several goroutines to a real wharf
// process and SIGKILLs it at a random point, several rounds on the same
// data directory and database. After every restart: every acknowledged
// publish is in the database (search), the sparse index, the storage
// (download matches the index cksum) and the git index; nothing is half
// written (every index line has its .crate; a publish cut by the kill is
// either complete or absent, its .crate not downloadable).
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git not on PATH: the crash test clones the git index")
	}
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, seed>>1))
			k := StartKillable(t, engine, "REGISTRY_INDEX_PROTOCOL_GIT=true", "REGISTRY_LOG_LEVEL=info")
			var all []*crashAttempt
			for round := 1; round <= crashRounds; round++ {
				if round > 1 {
					k.Restart(t)
				}
				verifyCrashState(t, k, all)
				attempts, how := crashBurst(t, k, round, rng)
				all = append(all, attempts...)
				acked, failed := countAcked(attempts)
				t.Logf("round %d: %s; %d publishes acknowledged, %d cut by the kill", round, how, acked, failed)
			}
			k.Restart(t)
			present := verifyCrashState(t, k, all)
			acked, failed := countAcked(all)
			t.Logf("%s: %d rounds, %d publishes: %d acknowledged (all present), %d cut by the kill (%d complete, %d absent)",
				engine, crashRounds, len(all), acked, failed, present-acked, len(all)-present)
			// Recovered handler panics (msg=panic) and runtime panics.
			panics := append(k.LogMatching("msg=panic"), k.LogMatching("panic: ")...)
			require.Empty(t, panics, "wharf panicked")
		})
	}
}

func countAcked(attempts []*crashAttempt) (acked, failed int) {
	for _, a := range attempts {
		if a.acked {
			acked++
		} else {
			failed++
		}
	}
	return acked, failed
}

// crashBurst publishes from crashWorkers goroutines until the server is
// killed, after a random number of acknowledged publishes or a random
// delay. Before the kill every publish must succeed; after it, every
// request fails at the transport level (never with an HTTP error).
func crashBurst(t *testing.T, k *Killable, round int, rng *rand.Rand) ([]*crashAttempt, string) {
	t.Helper()
	killAfterAcks := 0
	var killDelay time.Duration
	var how string
	if rng.IntN(2) == 0 {
		killAfterAcks = 5 + rng.IntN(80)
		how = fmt.Sprintf("SIGKILL after %d acknowledged publishes", killAfterAcks)
	} else {
		killDelay = time.Duration(50+rng.IntN(1200)) * time.Millisecond
		how = fmt.Sprintf("SIGKILL after %s", killDelay)
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: crashWorkers, DisableCompression: true},
	}
	defer client.CloseIdleConnections()

	acks := make(chan struct{}, crashWorkers*crashMaxPerWorker)
	var (
		mu       sync.Mutex
		attempts []*crashAttempt
		httpErrs []string
		wg       sync.WaitGroup
	)
	picks := make([][]int, crashWorkers) // crate choices drawn up front: rng is not goroutine-safe
	for w := range picks {
		picks[w] = make([]int, crashMaxPerWorker)
		for i := range picks[w] {
			picks[w][i] = rng.IntN(len(crashCrates))
		}
	}
	for w := range crashWorkers {
		wg.Go(func() {
			for i := range crashMaxPerWorker {
				name := crashCrates[picks[w][i]]
				vers := fmt.Sprintf("%d.%d.%d", round, w, i)
				crateFile := cratetest.Build(name, vers, nil)
				sum := sha256.Sum256(crateFile)
				a := &crashAttempt{name: name, vers: vers, cksum: hex.EncodeToString(sum[:])}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				body := cratetest.PublishBody(cratetest.Metadata(name, vers), crateFile)
				req, err := http.NewRequest(http.MethodPut, k.URL+"/api/v1/crates/new", bytes.NewReader(body))
				if err != nil {
					panic(err)
				}
				req.Header.Set("Authorization", k.AdminToken)
				resp, err := client.Do(req)
				if err != nil {
					a.failure = err.Error()
					return // the server is gone
				}
				respBody, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					a.failure = "reading the response: " + err.Error()
					return
				case resp.StatusCode != http.StatusOK:
					a.failure = fmt.Sprintf("HTTP %d", resp.StatusCode)
					mu.Lock()
					httpErrs = append(httpErrs, fmt.Sprintf("%s@%s: %d %s", name, vers, resp.StatusCode, respBody))
					mu.Unlock()
					return
				}
				a.acked = true
				acks <- struct{}{}
			}
		})
	}
	// The killer: a random point in the burst. Workers that stop early
	// (an HTTP error, reported below) end the wait too.
	workersDone := make(chan struct{})
	go func() { wg.Wait(); close(workersDone) }()
	timer := time.NewTimer(killDelay)
	if killAfterAcks > 0 {
		timer.Reset(time.Minute)
	}
	defer timer.Stop()
wait:
	for n := 0; killAfterAcks == 0 || n < killAfterAcks; n++ {
		select {
		case <-acks:
		case <-timer.C:
			break wait
		case <-workersDone:
			break wait
		}
	}
	k.Kill(t)
	<-workersDone
	require.Empty(t, httpErrs, "before the kill every publish succeeds; after it, requests fail at the transport level")
	return attempts, how
}

// verifyCrashState checks the restarted server against every attempt so
// far and returns how many versions are present.
func verifyCrashState(t *testing.T, k *Killable, attempts []*crashAttempt) int {
	t.Helper()
	// The sparse index (rendered in the publish transaction): version →
	// cksum for every crate.
	files := map[string][]byte{}
	index := map[string]map[string]string{}
	for _, name := range crashCrates {
		path := crate.IndexPath(name)
		res := crashGet(t, k, "/index/"+path)
		if res.Status == http.StatusNotFound {
			continue
		}
		require.Equal(t, http.StatusOK, res.Status, "GET /index/%s: %s", path, res.Body)
		files[path] = res.Body
		index[name] = map[string]string{}
		for _, line := range strings.Split(strings.TrimSuffix(string(res.Body), "\n"), "\n") {
			var e crate.IndexEntry
			require.NoError(t, json.Unmarshal([]byte(line), &e), "index line %q", line)
			require.Equal(t, name, e.Name)
			_, dup := index[name][e.Vers]
			require.False(t, dup, "%s@%s twice in the index", name, e.Vers)
			index[name][e.Vers] = e.Cksum
		}
	}
	// Every index line has its .crate, with the same checksum.
	present := 0
	for name, versions := range index {
		for vers, cksum := range versions {
			res := crashGet(t, k, "/api/v1/crates/"+name+"/"+vers+"/download")
			require.Equal(t, http.StatusOK, res.Status, "index lists %s@%s but the download fails: %s", name, vers, res.Body)
			sum := sha256.Sum256(res.Body)
			require.Equal(t, cksum, hex.EncodeToString(sum[:]), "download of %s@%s does not match the index cksum", name, vers)
			present++
		}
	}
	// Acknowledged publishes are all there; cut ones are all-or-nothing.
	for _, a := range attempts {
		cksum, ok := index[a.name][a.vers]
		if a.acked {
			require.True(t, ok, "acknowledged publish %s@%s is missing from the index", a.name, a.vers)
		}
		if ok {
			require.Equal(t, a.cksum, cksum, "%s@%s", a.name, a.vers)
			continue
		}
		res := crashGet(t, k, "/api/v1/crates/"+a.name+"/"+a.vers+"/download")
		require.Equal(t, http.StatusNotFound, res.Status,
			"%s@%s (cut by the kill: %s) is not in the index, so it must not be downloadable", a.name, a.vers, a.failure)
	}
	require.Zero(t, countUnattempted(index, attempts), "the index holds only attempted versions")
	// The database: search lists every crate that has a version.
	res := crashGet(t, k, "/api/v1/crates?q=crash&per_page=100")
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var search struct {
		Crates []struct {
			Name string `json:"name"`
		} `json:"crates"`
		Meta struct {
			Total int `json:"total"`
		} `json:"meta"`
	}
	require.NoError(t, json.Unmarshal(res.Body, &search))
	var found []string
	for _, c := range search.Crates {
		found = append(found, c.Name)
	}
	for name := range index {
		require.Contains(t, found, name, "search does not list %s", name)
	}
	// The git index holds exactly the sparse index's files.
	clone := cloneGitIndex(t, k)
	for _, name := range crashCrates {
		path := crate.IndexPath(name)
		got, err := os.ReadFile(filepath.Join(clone, filepath.FromSlash(path)))
		want, inSparse := files[path]
		if !inSparse {
			require.True(t, errors.Is(err, os.ErrNotExist), "git index has %s, the sparse index does not", path)
			continue
		}
		require.NoError(t, err, "git index lacks %s", path)
		require.Equal(t, string(want), string(got), "git index file %s differs from the sparse index", path)
	}
	return present
}

// countUnattempted counts index versions that no attempt published.
func countUnattempted(index map[string]map[string]string, attempts []*crashAttempt) int {
	tried := map[string]bool{}
	for _, a := range attempts {
		tried[a.name+"@"+a.vers] = true
	}
	n := 0
	for name, versions := range index {
		for vers := range versions {
			if !tried[name+"@"+vers] {
				n++
			}
		}
	}
	return n
}

func crashGet(t *testing.T, k *Killable, path string) HTTPResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, k.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", k.AdminToken)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(t, err, "GET %s", path)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return HTTPResult{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// cloneGitIndex clones http://admin:TOKEN@…/index.git with the real git,
// isolated from the user's configuration, and returns the work tree.
func cloneGitIndex(t *testing.T, k *Killable) string {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(home, "index")
	url := strings.Replace(k.URL, "http://", "http://admin:"+k.AdminToken+"@", 1) + "/index.git"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "clone", "--quiet", url, dir)
	var env []string
	for _, kv := range baseEnv() {
		if key, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(key, "GIT_") && key != "HOME" {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git clone of the index: %s\nserver log:\n%s", out, k.LogTail(30))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == "config.json" }),
		"the git index has config.json")
	return dir
}
