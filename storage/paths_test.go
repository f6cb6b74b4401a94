package storage_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
)

func TestCrateKey(t *testing.T) {
	t.Parallel()

	sum := sha256.Sum256([]byte("crate"))
	h := hex.EncodeToString(sum[:])
	key := storage.CrateKey(h)
	require.Equal(t, "crates/"+h[:2]+"/"+h+".crate", key)
	require.NoError(t, storage.ValidateKey(key))

	// Upper case is normalised.
	require.Equal(t, "crates/ab/abcdef.crate", storage.CrateKey("ABCDEF"))

	// Garbage never escapes crates/: it makes an invalid key instead.
	for _, bad := range []string{"", "../..", "ab/../../x", `..\\x`} {
		require.Error(t, storage.ValidateKey(storage.CrateKey(bad)), "%q", bad)
	}
}
