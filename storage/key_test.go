package storage_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
)

func TestValidateKey(t *testing.T) {
	t.Parallel()

	valid := []string{
		"a",                       // one segment
		"crates/ab/ab12.crate",    // the crate layout
		"A-Z_a-z.0-9/x",           // every allowed character
		"..a/a../.a./...",         // dots are fine unless a whole segment is "." or ".."
		strings.Repeat("k", 1024), // exactly MaxKeyLen
	}
	for _, key := range valid {
		require.NoError(t, storage.ValidateKey(key), "%q", key)
	}

	invalid := []string{
		"",                        // empty
		"/abs",                    // leading slash
		"a/",                      // trailing slash
		"a//b",                    // empty segment
		".",                       // dot segment
		"..",                      // dot-dot segment
		"../x",                    // escape
		"a/./b",                   // dot segment inside
		"a/../b",                  // dot-dot inside
		`a\b`,                     // backslash
		"a\x00b",                  // NUL
		"a b",                     // space
		"a:b",                     // colon (Windows drive, URL scheme)
		"a%2fb",                   // percent
		"é",                       // non-ASCII
		strings.Repeat("k", 1025), // over MaxKeyLen
	}
	for _, key := range invalid {
		require.ErrorIs(t, storage.ValidateKey(key), storage.ErrInvalidKey, "%q", key)
	}
}

func TestValidatePrefix(t *testing.T) {
	t.Parallel()

	for _, prefix := range []string{"", "c", "crates/", "crates/ab", "crates/ab/", "a/..", "a/."} {
		// A partial last segment may be "." or ".." (it can start "..x").
		require.NoError(t, storage.ValidatePrefix(prefix), "%q", prefix)
	}
	for _, prefix := range []string{"/", "/a", "a//", "../", "a/../", "./", `a\`, "a\x00", "a b"} {
		require.ErrorIs(t, storage.ValidatePrefix(prefix), storage.ErrInvalidKey, "%q", prefix)
	}
}

func TestSplitPrefix(t *testing.T) {
	t.Parallel()

	for prefix, want := range map[string][2]string{
		"":          {"", ""},
		"cr":        {"", "cr"},
		"crates/":   {"crates/", ""},
		"crates/ab": {"crates/", "ab"},
		"a/b/c":     {"a/b/", "c"},
	} {
		dir, partial := storage.SplitPrefix(prefix)
		require.Equal(t, want, [2]string{dir, partial}, "%q", prefix)
	}
}
