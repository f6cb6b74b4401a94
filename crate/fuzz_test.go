package crate_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
)

// fuzzLimits keeps fuzz executions fast.
var fuzzLimits = crate.Limits{
	MaxCrateSize:    1 << 20,
	MaxMetadataSize: 64 << 10,
	MaxUnpackedSize: 1 << 20,
	MaxFileSize:     512 << 10,
	MaxFiles:        200,
}

// FuzzParsePublish: never panics; an accepted body is exactly the framing of
// its parts; metadata that validates always yields a valid index line.
func FuzzParsePublish(f *testing.F) {
	f.Add(cratetest.PublishBody(cratetest.Metadata("foo", "1.0.0"), cratetest.Build("foo", "1.0.0", nil)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := crate.ParsePublish(bytes.NewReader(data), fuzzLimits)
		if err != nil {
			requireValidationError(t, err)
			return
		}
		require.Equal(t, data, cratetest.Frame(p.RawMeta, p.Crate))
		if p.Meta.Validate() != nil {
			return
		}
		_, err = crate.NewIndexEntry(&p.Meta, strings.Repeat("ab", 32), time.Unix(1e9, 0)).Line()
		require.NoError(t, err, "metadata passed Validate but its index line is invalid")
	})
}

// FuzzCheckCrate: never panics, rejects with a validation error, and what it
// accepts stays within the limits.
func FuzzCheckCrate(f *testing.F) {
	f.Add(cratetest.Build("foo", "1.0.0", nil))
	meta := cratetest.Metadata("foo", "1.0.0")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := crate.CheckCrate(data, &meta, fuzzLimits)
		if err != nil {
			requireValidationError(t, err)
			return
		}
		require.GreaterOrEqual(t, c.Files, 1)
		require.LessOrEqual(t, c.Files, fuzzLimits.MaxFiles)
		require.LessOrEqual(t, c.UnpackedSize, fuzzLimits.MaxUnpackedSize)
		require.LessOrEqual(t, len(c.Readme), crate.MaxReadmeSize)
	})
}

// FuzzParseIndexPath: never panics; an accepted path is exactly the index
// path of a valid lowercase name.
func FuzzParseIndexPath(f *testing.F) {
	f.Add("se/rd/serde")
	f.Fuzz(func(t *testing.T, p string) {
		name, err := crate.ParseIndexPath(p)
		if err != nil {
			require.ErrorIs(t, err, crate.ErrInvalid)
			require.Empty(t, name)
			return
		}
		require.Equal(t, p, crate.IndexPath(name))
		require.Equal(t, strings.ToLower(name), name)
		require.NoError(t, crate.ValidateName(name))
	})
}
