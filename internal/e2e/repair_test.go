package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGitIndexRepair: the local repository is a cache of the change log. A
// missing or corrupt one (or one with a branch lock left by a crash) is
// rebuilt at start with the very same commits, and `wharf index rebuild`
// swaps in a fresh copy under a running server without failing a single
// concurrent clone or fetch.
func TestGitIndexRepair(t *testing.T) {
	requireGit(t)
	t.Parallel()
	srv := StartServer(t, "sqlite", gitServerEnv...)
	tok := srv.AdminToken
	g := NewGit(t)
	url := gitURL(srv, "admin", tok)
	repo := filepath.Join(srv.DataDir, "index.git")
	for _, v := range []string{"0.1.0", "0.2.0", "0.3.0"} {
		mustPublish(t, srv, tok, "repaired", v)
	}
	mustPublish(t, srv, tok, "repaired-too", "1.0.0")
	head := g.LsRemoteMain(t, url)
	require.Equal(t, 5, g.changeSeq(t, repo, "main"))

	// requireServes checks that the restarted server advertises head, that
	// a clone has the full history, and that publishing still works.
	requireServes := func(t *testing.T, what string) {
		t.Helper()
		require.Equal(t, head, g.RevParse(repo, "HEAD"), "%s: repaired at start, before any fetch", what)
		require.Equal(t, head, g.LsRemoteMain(t, url), what)
		clone := g.Clone(t, url, t.TempDir())
		g.requireLinearHistory(t, clone, "main", 6)
		require.Equal(t, string(srv.Get(t, "/index/re/pa/repaired", tok)), string(g.showFile(clone, "main", "re/pa/repaired")))
	}

	t.Run("missing", func(t *testing.T) {
		srv.Stop(t)
		require.NoError(t, os.RemoveAll(repo))
		srv.Restart(t)
		requireServes(t, "after rm -rf index.git")
	})

	t.Run("corrupt", func(t *testing.T) {
		srv.Stop(t)
		require.NoError(t, os.WriteFile(filepath.Join(repo, "HEAD"), []byte("garbage\x00\xff not a ref\n"), 0o644))
		require.NoError(t, os.RemoveAll(filepath.Join(repo, "objects")))
		srv.Restart(t)
		requireServes(t, "after corrupting HEAD and deleting objects/")
		require.NotEmpty(t, srv.LogMatching("git index repository is broken"), "the repair is logged")
	})

	t.Run("stale_branch_lock", func(t *testing.T) {
		// A replica killed while moving the branch leaves main.lock behind;
		// nothing else writes this repository, so the restarted server must
		// not stay stuck on it.
		srv.Stop(t)
		require.NoError(t, os.WriteFile(filepath.Join(repo, "refs", "heads", "main.lock"), []byte(head+"\n"), 0o644))
		srv.Restart(t)
		requireServes(t, "with a leftover refs/heads/main.lock")
		mustPublish(t, srv, tok, "repaired", "0.4.0")
		next := g.LsRemoteMain(t, url)
		require.NotEqual(t, head, next, "the publish after the restart is served")
		require.Equal(t, 6, g.changeSeq(t, repo, "main"))
		head = next
	})

	t.Run("rebuild_while_fetching", func(t *testing.T) {
		parent := t.TempDir()
		fetchClone := filepath.Join(parent, "fetcher")
		g.OK(t, "", "clone", "--quiet", url, fetchClone)

		// Clones and fetches in a loop until told to stop (bounded).
		var (
			stop     atomic.Bool
			wg       sync.WaitGroup
			mu       sync.Mutex
			failures []string
			ops      atomic.Int64
		)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 500 && !stop.Load(); i++ {
					var res GitResult
					if w%2 == 0 {
						res = g.Run(fetchClone, "fetch", "--quiet", "origin")
					} else {
						dir := filepath.Join(parent, fmt.Sprintf("clone-%d-%d", w, i))
						res = g.Run("", "clone", "--quiet", "--bare", url, dir)
						if res.Err == nil && strings.TrimSpace(g.Run("", "--git-dir="+dir, "rev-parse", "main").Stdout) != head {
							res.Err = fmt.Errorf("clone has another head")
						}
						_ = os.RemoveAll(dir)
					}
					ops.Add(1)
					if res.Err != nil {
						mu.Lock()
						failures = append(failures, res.String())
						mu.Unlock()
					}
				}
			}()
		}
		// Let the loop get going, then rebuild several times under it.
		waitFor(t, 30*time.Second, 10*time.Millisecond, "fetch loop started", func() (bool, string) {
			return ops.Load() >= 2, ""
		})
		const rebuilds = 10
		for i := 0; i < rebuilds; i++ {
			out := srv.CLI(t, "index", "rebuild")
			require.Contains(t, out, "up to change 6", "rebuild output")
		}
		stop.Store(true)
		wg.Wait()
		t.Logf("%d clones/fetches ran during %d rebuilds", ops.Load(), rebuilds)
		require.Empty(t, failures, "clone/fetch failed while `wharf index rebuild` ran")
		require.Equal(t, head, g.LsRemoteMain(t, url), "rebuild keeps the history")
		require.Equal(t, head, g.OK(t, fetchClone, "rev-parse", "origin/main"))
		require.NoDirExists(t, repo+".rebuild")
		replaced, err := filepath.Glob(repo + ".old-*")
		require.NoError(t, err)
		require.Len(t, replaced, rebuilds, "replaced copies are kept for a grace period")

		// The server keeps working on the rebuilt repository.
		mustPublish(t, srv, tok, "repaired", "0.5.0")
		g.OK(t, fetchClone, "fetch", "--quiet", "origin")
		require.Equal(t, head, g.OK(t, fetchClone, "rev-parse", "origin/main^"))
		require.Equal(t, 7, g.changeSeq(t, repo, "main"))
	})
}
