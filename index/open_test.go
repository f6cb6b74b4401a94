package index_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/index/gittest"
)

func TestOpen(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	type testBundle struct {
		dir string // a repository with changes 1..5
		log *gittest.Log
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		log := gittest.NewLog(t)
		repo := openRepo(t, "", log)
		require.NoError(t, repo.Apply(ctx, sampleChanges(1, 5).changes))
		return &testBundle{dir: repo.Dir(), log: log}
	}

	// requireRepaired opens dir and checks that it is a fresh repository
	// that takes the change log from the start.
	requireRepaired := func(t *testing.T, b *testBundle, wantLog string) {
		t.Helper()
		repo, err := index.Open(testRepoConfig(b.dir, b.log))
		require.NoError(t, err)
		seq, _, err := repo.Head()
		require.NoError(t, err)
		require.Zero(t, seq)
		require.True(t, b.log.Contains(wantLog), "log lacks %q: %q", wantLog, b.log.Messages())
		require.NoError(t, repo.Apply(ctx, sampleChanges(1, 3).changes))
		requireIndex(t, b.dir, sampleChanges(1, 3), 3)
	}

	t.Run("BranchPointsAtMissingObject", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ref := filepath.Join(b.dir, "refs", "heads", "main")
		require.NoError(t, os.WriteFile(ref, []byte(strings.Repeat("ab", 20)+"\n"), 0o644))
		requireRepaired(t, b, "repository is broken")
	})

	t.Run("CreatesMissingDir", func(t *testing.T) {
		t.Parallel()
		log := gittest.NewLog(t)
		dir := filepath.Join(t.TempDir(), "a", "b", "index.git")
		repo := openRepo(t, dir, log)
		seq, _, err := repo.Head()
		require.NoError(t, err)
		require.Zero(t, seq)
		require.Equal(t, dir, repo.Dir())
	})

	t.Run("DifferentConfigJSON", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cfg := testRepoConfig(b.dir, b.log)
		cfg.ConfigJSON = []byte(`{"dl":"http://other.test/dl"}`)
		repo, err := index.Open(cfg)
		require.NoError(t, err)
		seq, _, err := repo.Head()
		require.NoError(t, err)
		require.Zero(t, seq)
		require.True(t, b.log.Contains("this config builds"))
		require.Equal(t, `{"dl":"http://other.test/dl"}`, gittest.Git(t, "", "--git-dir="+b.dir, "cat-file", "blob", "HEAD:config.json"))
	})

	t.Run("EmptyBranchFile", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, os.WriteFile(filepath.Join(b.dir, "refs", "heads", "main"), nil, 0o644))
		requireRepaired(t, b, "repository is broken")
	})

	t.Run("GarbageDirectory", func(t *testing.T) {
		t.Parallel()
		log := gittest.NewLog(t)
		dir := filepath.Join(t.TempDir(), "index.git")
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a repository"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "x"), []byte{0xff, 0}, 0o644))
		requireRepaired(t, &testBundle{dir: dir, log: log}, "moving it aside")

		// The unknown files are kept next to it.
		matches, err := filepath.Glob(dir + ".broken-*")
		require.NoError(t, err)
		require.Len(t, matches, 1)
		data, err := os.ReadFile(filepath.Join(matches[0], "notes.txt"))
		require.NoError(t, err)
		require.Equal(t, "not a repository", string(data))
	})

	t.Run("GarbageHEAD", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, os.WriteFile(filepath.Join(b.dir, "HEAD"), []byte("\x00\x01garbage"), 0o644))
		requireRepaired(t, b, "repository is broken")
	})

	t.Run("HEADOnOtherBranch", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, os.WriteFile(filepath.Join(b.dir, "HEAD"), []byte("ref: refs/heads/master\n"), 0o644))
		requireRepaired(t, b, "repository is broken")
	})

	t.Run("InitialisedWithoutRootCommit", func(t *testing.T) {
		t.Parallel()
		log := gittest.NewLog(t)
		dir := filepath.Join(t.TempDir(), "index.git")
		gittest.Git(t, "", "init", "-q", "--bare", "-b", "main", dir)
		repo := openRepo(t, dir, log)
		seq, _, err := repo.Head()
		require.NoError(t, err)
		require.Zero(t, seq)
		require.False(t, log.Contains("broken"))
	})

	t.Run("MissingBlob", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		blob := gittest.Git(t, "", "--git-dir="+b.dir, "rev-parse", "HEAD:3/f/foo")
		require.NoError(t, os.Remove(filepath.Join(b.dir, "objects", blob[:2], blob[2:])))
		requireRepaired(t, b, "repository is broken")
	})

	t.Run("MissingObjectsDir", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, os.RemoveAll(filepath.Join(b.dir, "objects")))
		requireRepaired(t, b, "repository is broken")
	})

	t.Run("MissingOldCommit", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		commit := gittest.Git(t, "", "--git-dir="+b.dir, "rev-parse", "HEAD~3")
		require.NoError(t, os.Remove(filepath.Join(b.dir, "objects", commit[:2], commit[2:])))
		requireRepaired(t, b, "repository is broken")
	})

	t.Run("NotADirectory", func(t *testing.T) {
		t.Parallel()
		log := gittest.NewLog(t)
		dir := filepath.Join(t.TempDir(), "index.git")
		require.NoError(t, os.WriteFile(dir, []byte("file"), 0o644))
		requireRepaired(t, &testBundle{dir: dir, log: log}, "moving it aside")
	})

	t.Run("RejectsBadConfig", func(t *testing.T) {
		t.Parallel()
		for _, cfg := range []index.Config{
			{ConfigJSON: []byte("{}")}, // no Dir
			{Dir: t.TempDir()},         // no ConfigJSON
			{Dir: t.TempDir(), ConfigJSON: []byte("{}"), Branch: "a..b"},                       // bad branch
			{Dir: t.TempDir(), ConfigJSON: []byte("{}"), Author: index.Signature{Name: "a<b"}}, // bad author
		} {
			_, err := index.Open(cfg)
			require.Error(t, err)
		}
	})

	t.Run("TruncatedPackedRepository", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		repo, err := index.Open(testRepoConfig(b.dir, b.log))
		require.NoError(t, err)
		require.NoError(t, repo.Repack(ctx))
		packs, err := filepath.Glob(filepath.Join(b.dir, "objects", "pack", "*.pack"))
		require.NoError(t, err)
		require.Len(t, packs, 1)
		require.NoError(t, os.Truncate(packs[0], 100))
		requireRepaired(t, b, "repository is broken")
	})
}
