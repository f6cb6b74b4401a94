package fs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/fs"
	"github.com/wharfhq/wharf/storage/storagetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Store { return newStore(t, t.TempDir()) })
}

func TestStoreLayout(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		parent string
		root   string
		store  *fs.Store
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		parent := t.TempDir()
		root := filepath.Join(parent, "root", "nested")
		return &testBundle{parent: parent, root: root, store: newStore(t, root)}
	}

	t.Run("HostileKeysStayInRoot", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// A file beside the root that an escaping key could reach.
		victim := filepath.Join(b.parent, "root", "victim")
		require.NoError(t, os.WriteFile(victim, []byte("safe"), 0o644))

		hostile := []string{
			"../victim", "../../victim", "a/../../victim", "..", "/" + victim, "/etc/passwd",
			`..\victim`, "a/./../victim", "victim/..", "a\x00/../victim",
		}
		for _, key := range hostile {
			err := b.store.Put(t.Context(), key, bytes.NewReader([]byte("pwned")), 5)
			require.ErrorIs(t, err, storage.ErrInvalidKey, "Put(%q)", key)
			require.ErrorIs(t, b.store.Delete(t.Context(), key), storage.ErrInvalidKey, "Delete(%q)", key)
			_, err = b.store.Stat(t.Context(), key)
			require.ErrorIs(t, err, storage.ErrInvalidKey, "Stat(%q)", key)
		}
		got, err := os.ReadFile(victim)
		require.NoError(t, err)
		require.Equal(t, "safe", string(got))
		requireTree(t, b.parent, "root/", "root/nested/", "root/victim")
	})

	t.Run("KeysAreFilesUnderRoot", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := storage.CrateKey(strings.Repeat("ab", 32))
		require.NoError(t, b.store.Put(t.Context(), key, bytes.NewReader([]byte("crate")), 5))

		got, err := os.ReadFile(filepath.Join(b.root, filepath.FromSlash(key)))
		require.NoError(t, err)
		require.Equal(t, "crate", string(got))

		// Open returns the file itself.
		rc, _, err := b.store.Open(t.Context(), key)
		require.NoError(t, err)
		require.IsType(t, &os.File{}, rc)
		require.NoError(t, rc.Close())

		// No temporary files are left behind, and Delete prunes the
		// directories it empties.
		requireTree(t, b.root, "crates/", "crates/ab/", "crates/ab/"+strings.Repeat("ab", 32)+".crate")
		require.NoError(t, b.store.Delete(t.Context(), key))
		requireTree(t, b.root)
	})

	t.Run("SkipsForeignFiles", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, os.WriteFile(filepath.Join(b.root, "bad name"), nil, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(b.root, ".tmp~left-over"), nil, 0o644))
		require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(b.root, "link")))
		require.NoError(t, os.WriteFile(filepath.Join(b.root, "good"), nil, 0o644))

		var keys []string
		require.NoError(t, b.store.List(t.Context(), "", func(info storage.Info) error {
			keys = append(keys, info.Key)
			return nil
		}))
		require.Equal(t, []string{"good"}, keys)

		// The symlink points outside the root: os.Root refuses to follow it.
		_, _, err := b.store.Open(t.Context(), "link")
		require.Error(t, err)
	})
}

func newStore(t *testing.T, root string) *fs.Store {
	t.Helper()
	s, err := fs.New(root)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// requireTree checks the files and directories (with a trailing '/') under
// dir, as slash-separated relative paths in walk order.
func requireTree(t *testing.T, dir string, want ...string) {
	t.Helper()
	var got []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		got = append(got, rel)
		return nil
	}))
	if len(want) == 0 {
		want = nil
	}
	require.Equal(t, want, got)
}
