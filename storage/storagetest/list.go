package storagetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
)

func testList(t *testing.T, b *testBundle) {
	// '-' and '.' sort before '/', '0' after it: a plain directory walk
	// would put "list/a/…" before "list/a-b". No key is also a "directory"
	// (the fs backend cannot store both "a" and "a/b").
	keys := []string{
		"list/a-b", "list/a.b", "list/a/b", "list/a/c/d", "list/a0",
		"list/B", "list/_x", "list/b",
		"list2/x", "lis", "other/list/x",
	}
	for i, key := range keys {
		put(t, b, key, []byte(strings.Repeat("x", i)))
	}
	sorted := slices.Sorted(slices.Values(keys))

	filter := func(prefix string) []string {
		var out []string
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		return out
	}
	for _, prefix := range []string{
		"",            // everything
		"list/",       // one "directory", not list2/
		"list",        // partial segment: list/…, list2/… and not lis
		"list/a",      // a-b, a.b, a/…, a0
		"list/a/",     // below a/ only
		"list/a/c/d",  // exactly one key
		"other/",      // a nested key elsewhere
		"missing/",    // nothing
		"list/a/b/c/", // below an object: nothing
	} {
		require.Equal(t, filter(prefix), listKeys(t, b, prefix), "List(%q)", prefix)
	}

	// Sizes come through.
	for _, info := range listInfos(t, b, "") {
		i := slices.Index(keys, info.Key)
		require.Equal(t, int64(i), info.Size, "size of %q", info.Key)
		requireRecent(t, b, info.ModTime)
	}
}

func testListCallbackError(t *testing.T, b *testBundle) {
	put(t, b, "cb/1", []byte("1"))
	put(t, b, "cb/2", []byte("2"))

	calls := 0
	err := b.store.List(b.ctx, "cb/", func(storage.Info) error {
		calls++
		return errStopList
	})
	require.ErrorIs(t, err, errStopList)
	require.Equal(t, 1, calls)
}

func listInfos(t *testing.T, b *testBundle, prefix string) []storage.Info {
	t.Helper()
	var infos []storage.Info
	require.NoError(t, b.store.List(b.ctx, prefix, func(info storage.Info) error {
		infos = append(infos, info)
		return nil
	}))
	return infos
}

// listKeys returns the keys List passes to fn; nil when there are none.
func listKeys(t *testing.T, b *testBundle, prefix string) []string {
	t.Helper()
	var keys []string
	for _, info := range listInfos(t, b, prefix) {
		keys = append(keys, info.Key)
	}
	return keys
}
