package index_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/index/gittest"
)

// countFiles counts the files below dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	}))
	return n
}

func TestRepo(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	type testBundle struct {
		log  *gittest.Log
		repo *index.Repo
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		log := gittest.NewLog(t)
		return &testBundle{log: log, repo: openRepo(t, "", log)}
	}

	t.Run("ApplyBuildsOneCommitPerChange", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		log := sampleChanges(1, 30)
		require.NoError(t, b.repo.Apply(ctx, log.changes))

		seq, hash, err := b.repo.Head()
		require.NoError(t, err)
		require.Equal(t, int64(30), seq)
		require.Equal(t, gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "rev-parse", "refs/heads/main"), hash)
		require.Equal(t, "refs/heads/main", gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "symbolic-ref", "HEAD"))
		requireIndex(t, b.repo.Dir(), log, 30)

		// Author, committer, time and message layout of one commit.
		raw := gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "cat-file", "commit", "HEAD~27")
		require.Contains(t, raw, "\nauthor Wharf Test <wharf@example.test> 1772600947 +0000\n")
		require.Contains(t, raw, "\ncommitter Wharf Test <wharf@example.test> 1772600947 +0000\n")
		require.True(t, strings.HasSuffix(raw, "\n\nPublish foo 1.0.0\n\nWharf-Change: 3"), raw)
	})

	t.Run("ApplyEmptyIsNoop", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.repo.Apply(ctx, nil))
		seq, _, err := b.repo.Head()
		require.NoError(t, err)
		require.Zero(t, seq)
	})

	t.Run("ApplyInvalidChange", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.repo.Apply(ctx, []index.Change{{Seq: 1, Path: "3/f/foo", Content: []byte("x\n")}}))
		_, before, err := b.repo.Head()
		require.NoError(t, err)

		for _, c := range []index.Change{
			{Path: "../x", Content: []byte("x")},                  // parent segment
			{Path: "/3/f/foo", Content: []byte("x")},              // leading slash
			{Path: "3//foo", Content: []byte("x")},                // empty segment
			{Path: "3/f/Foo", Content: []byte("x")},               // upper case
			{Path: "3/f/foo.json", Content: []byte("x")},          // dot
			{Path: "", Content: []byte("x")},                      // empty
			{Path: "3/f", Content: []byte("x")},                   // a directory of the tree
			{Path: "3/f/foo/bar", Content: []byte("x")},           // below a file
			{Path: "config.json"},                                 // deleting config.json
			{Path: "1/a", Content: []byte("x"), Message: "a\x00"}, // NUL in message
		} {
			c.Seq = 2
			err := b.repo.Apply(ctx, []index.Change{c})
			require.ErrorIs(t, err, index.ErrInvalidChange, "path %q", c.Path)
		}
		seq, after, err := b.repo.Head()
		require.NoError(t, err)
		require.Equal(t, int64(1), seq)
		require.Equal(t, before, after)
	})

	t.Run("ApplyRejectsGaps", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(1, 5).changes))
		objects := countFiles(t, filepath.Join(b.repo.Dir(), "objects"))

		for name, changes := range map[string][]index.Change{
			"duplicate":    sampleChanges(5, 6).changes,
			"skips one":    sampleChanges(7, 8).changes,
			"out of order": {sampleChanges(7, 7).changes[0], sampleChanges(6, 6).changes[0]},
			"gap inside":   {sampleChanges(6, 6).changes[0], sampleChanges(8, 8).changes[0]},
			"repeated":     {sampleChanges(6, 6).changes[0], sampleChanges(6, 6).changes[0]},
		} {
			err := b.repo.Apply(ctx, changes)
			require.ErrorIs(t, err, index.ErrGap, name)
		}
		seq, _, err := b.repo.Head()
		require.NoError(t, err)
		require.Equal(t, int64(5), seq)
		require.Equal(t, objects, countFiles(t, filepath.Join(b.repo.Dir(), "objects")), "nothing written")

		require.NoError(t, b.repo.Apply(ctx, sampleChanges(6, 7).changes))
		requireIndex(t, b.repo.Dir(), sampleChanges(1, 7), 7)
	})

	t.Run("ConcurrentApply", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// Writers racing for the same changes: each change lands once.
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 1; i <= 10; i++ {
					err := b.repo.Apply(ctx, sampleChanges(i, i).changes)
					if err != nil && !errors.Is(err, index.ErrGap) {
						t.Errorf("apply %d: %v", i, err)
					}
				}
			}()
		}
		wg.Wait()
		requireIndex(t, b.repo.Dir(), sampleChanges(1, 10), 10)
	})

	t.Run("DeterministicHistory", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other := openRepo(t, "", b.log)
		// 40 changes in one batch go into a pack, one at a time loose.
		log := sampleChanges(1, 40)

		require.NoError(t, b.repo.Apply(ctx, log.changes))
		for i := range log.changes {
			require.NoError(t, other.Apply(ctx, log.changes[i:i+1]))
		}
		seq1, hash1, err := b.repo.Head()
		require.NoError(t, err)
		seq2, hash2, err := other.Head()
		require.NoError(t, err)
		require.Equal(t, seq1, seq2)
		require.Equal(t, hash1, hash2)

		// Pinned hashes (the root is what `git commit-tree` builds from the
		// same inputs): a change here changes every replica's history
		// (and makes pushes to existing remotes diverge).
		root := gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "rev-list", "--max-parents=0", "HEAD")
		require.Equal(t, "1cb19cc71571324c280e8e25882c5aa414f94d1c", root)
		require.Equal(t, "878ab395d73951a8fe9650add167155c23ef1d30", hash1)
	})

	t.Run("DeterministicLargeBatches", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other := openRepo(t, "", b.log)
		log := sampleChanges(1, 600)

		require.NoError(t, b.repo.Apply(ctx, log.changes))
		for i := 0; i < len(log.changes); i += 100 {
			require.NoError(t, other.Apply(ctx, log.changes[i:i+100]))
		}
		_, hash1, err := b.repo.Head()
		require.NoError(t, err)
		_, hash2, err := other.Head()
		require.NoError(t, err)
		require.Equal(t, hash1, hash2)

		gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "fsck", "--strict", "--no-dangling")
		require.Equal(t, "601", gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "rev-list", "--count", "HEAD"))
		paths := strings.Split(gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "ls-tree", "-r", "--name-only", "HEAD"), "\n")
		require.Len(t, paths, len(log.files))
		counts := countObjects(t, b.repo.Dir())
		require.Equal(t, 3, counts["count"], "only the root commit's objects are loose")
		require.Equal(t, 2, counts["packs"], "one pack per 512 changes")
	})

	t.Run("HeadOfNewRepo", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		seq, hash, err := b.repo.Head()
		require.NoError(t, err)
		require.Zero(t, seq)
		require.Len(t, hash, 40)
		require.Equal(t, testConfigJSON, gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "cat-file", "blob", "HEAD:config.json"))
		raw := gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "cat-file", "commit", "HEAD")
		require.Contains(t, raw, "\nauthor Wharf Test <wharf@example.test> 0 +0000\n")
		require.True(t, strings.HasSuffix(raw, "\n\nInitialize index\n\nWharf-Change: 0"), raw)
		gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "fsck", "--strict")
	})

	t.Run("RefNeverTornForReaders", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ref := filepath.Join(b.repo.Dir(), "refs", "heads", "main")
		done := make(chan struct{})
		bad := make(chan string, 1)
		go func() {
			defer close(bad)
			for {
				select {
				case <-done:
					return
				default:
				}
				data, err := os.ReadFile(ref)
				if err != nil || len(data) != 41 {
					bad <- string(data)
					return
				}
			}
		}()
		for i := 1; i <= 40; i++ {
			require.NoError(t, b.repo.Apply(ctx, sampleChanges(i, i).changes))
		}
		close(done)
		for s := range bad {
			t.Fatalf("reader saw a torn ref: %q", s)
		}
	})

	t.Run("ReopenKeepsHistory", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(1, 5).changes))
		_, want, err := b.repo.Head()
		require.NoError(t, err)
		require.NoError(t, b.repo.Repack(ctx))

		again := openRepo(t, b.repo.Dir(), b.log)
		seq, got, err := again.Head()
		require.NoError(t, err)
		require.Equal(t, int64(5), seq)
		require.Equal(t, want, got)
		require.False(t, b.log.Contains("broken"))
	})

	t.Run("Repack", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(1, 10).changes))
		require.NoError(t, b.repo.Repack(ctx))
		counts := gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "count-objects", "-v")
		require.True(t, strings.HasPrefix(counts, "count: 0\n"), counts)
		require.Contains(t, counts, "\npacks: 1\n")

		// Objects now come from the new pack.
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(11, 15).changes))
		require.NoError(t, b.repo.Repack(ctx))
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(16, 18).changes))
		requireIndex(t, b.repo.Dir(), sampleChanges(1, 18), 18)
	})

	t.Run("RepackedByGit", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(1, 40).changes))
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(41, 42).changes))
		// Someone runs git gc behind the repository's back.
		gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "gc", "-q", "--prune=now")
		seq, _, err := b.repo.Head()
		require.NoError(t, err)
		require.Equal(t, int64(42), seq)
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(43, 44).changes))
		requireIndex(t, b.repo.Dir(), sampleChanges(1, 44), 44)
	})

	t.Run("Reset", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		log := sampleChanges(1, 8)
		require.NoError(t, b.repo.Apply(ctx, log.changes))
		_, want, err := b.repo.Head()
		require.NoError(t, err)

		require.NoError(t, b.repo.Reset())
		seq, _, err := b.repo.Head()
		require.NoError(t, err)
		require.Zero(t, seq)
		require.Equal(t, "1", gittest.Git(t, "", "--git-dir="+b.repo.Dir(), "rev-list", "--count", "--all"))

		// Replaying the log rebuilds the same history.
		require.NoError(t, b.repo.Apply(ctx, log.changes))
		_, got, err := b.repo.Head()
		require.NoError(t, err)
		require.Equal(t, want, got)
		requireIndex(t, b.repo.Dir(), log, 8)
	})

	t.Run("StaleLockIsRemoved", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		lock := filepath.Join(b.repo.Dir(), "refs", "heads", "main.lock")
		require.NoError(t, os.WriteFile(lock, nil, 0o644))
		err := b.repo.Apply(ctx, sampleChanges(1, 1).changes)
		require.ErrorIs(t, err, index.ErrRefChanged)

		old := time.Now().Add(-time.Hour)
		require.NoError(t, os.Chtimes(lock, old, old))
		again := openRepo(t, b.repo.Dir(), b.log)
		require.True(t, b.log.Contains("removed stale git index lock"))
		require.NoError(t, again.Apply(ctx, sampleChanges(1, 1).changes))
	})
}
