package crate_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
)

func TestParsePublish(t *testing.T) {
	t.Parallel()

	crateBytes := cratetest.Build("foo", "1.0.0", nil)
	meta := cratetest.Metadata("foo", "1.0.0")
	body := cratetest.PublishBody(meta, crateBytes)

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()

		p, err := crate.ParsePublish(bytes.NewReader(body), crate.DefaultLimits())
		require.NoError(t, err)
		require.Equal(t, "foo", p.Meta.Name)
		require.Equal(t, "1.0.0", p.Meta.Vers)
		require.Equal(t, crateBytes, p.Crate)
		require.Equal(t, body[4:4+len(p.RawMeta)], p.RawMeta)
		require.NoError(t, p.Meta.Validate())
	})

	t.Run("CargoJSON", func(t *testing.T) {
		t.Parallel()

		// The shape cargo 1.95 sends, with an unknown field that must be
		// ignored and missing optional fields.
		j := `{"name":"foo","vers":"0.1.1","deps":[{"name":"foo","version_req":"^0.1","explicit_name_in_toml":"myfoo","optional":true,"default_features":false,"features":["std"],"target":null,"kind":"normal"},{"name":"a","version_req":"^1","target":"cfg(unix)","kind":"normal","optional":false,"default_features":true,"features":[]}],"features":{"x":["dep:myfoo"]},"authors":[],"description":null,"readme":"# hi","readme_file":"README.md","keywords":[],"categories":[],"license":"MIT","badges":{},"links":null,"rust_version":"1.70","future_field":{"a":1}}`
		p, err := crate.ParsePublish(bytes.NewReader(cratetest.Frame([]byte(j), []byte("x"))), crate.Limits{})
		require.NoError(t, err)
		require.Len(t, p.Meta.Deps, 2)
		require.Equal(t, "myfoo", *p.Meta.Deps[0].ExplicitNameInToml)
		require.Equal(t, "cfg(unix)", *p.Meta.Deps[1].Target)
		require.Nil(t, p.Meta.Description)
		require.Equal(t, "1.70", *p.Meta.RustVersion)
		require.Nil(t, p.Meta.Homepage)
		require.NoError(t, p.Meta.Validate())
	})

	t.Run("DefaultLimits", func(t *testing.T) {
		t.Parallel()

		lim := crate.DefaultLimits()
		require.Equal(t, int64(10<<20), lim.MaxCrateSize)
		require.Equal(t, int64(1<<20), lim.MaxMetadataSize)
		require.Equal(t, int64(512<<20), lim.MaxUnpackedSize)
		require.Positive(t, lim.MaxFileSize)
		require.Positive(t, lim.MaxFiles)
		require.True(t, strings.Contains(crate.ErrTooLarge.Error(), "too large"))
	})

	t.Run("MaxBytesErrorIsWrapped", func(t *testing.T) {
		t.Parallel()

		// The HTTP layer's body limit must stay visible for a 413.
		req := httptest.NewRequest(http.MethodPut, "/api/v1/crates/new", bytes.NewReader(body))
		limited := http.MaxBytesReader(httptest.NewRecorder(), req.Body, 100)
		_, err := crate.ParsePublish(limited, crate.DefaultLimits())
		var mbe *http.MaxBytesError
		require.True(t, errors.As(err, &mbe), "got %v", err)
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		small := crate.Limits{MaxMetadataSize: 1000, MaxCrateSize: 2000}
		u32 := func(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
		cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
		j := []byte(`{"name":"foo","vers":"1.0.0"}`)

		tests := []struct {
			name string
			body []byte
			want string
		}{
			// empty body
			{"Empty", nil, "truncated: it ends after 0 of the 4 bytes of the JSON metadata length"},
			// two bytes only
			{"ShortLength", []byte{1, 0}, "truncated: it ends after 2 of the 4 bytes of the JSON metadata length"},
			// JSON shorter than announced
			{"ShortJSON", cat(u32(100), j), "truncated: it ends after 29 of the 100 bytes of the JSON metadata"},
			// no crate length
			{"NoCrateLength", cat(u32(uint32(len(j))), j), "truncated: it ends after 0 of the 4 bytes of the .crate file length"},
			// crate shorter than announced
			{"ShortCrate", cat(u32(uint32(len(j))), j, u32(10), []byte("abc")), "truncated: it ends after 3 of the 10 bytes of the .crate file"},
			// bytes after the crate
			{"Trailing", cat(cratetest.Frame(j, []byte("crate")), []byte("x")), "unexpected bytes after the .crate file"},
			// empty crate
			{"EmptyCrate", cratetest.Frame(j, nil), "the .crate file is empty"},
			// JSON that is not JSON
			{"NotJSON", cratetest.Frame([]byte("not json"), []byte("x")), "invalid publish metadata: not valid JSON"},
			// JSON of the wrong shape
			{"JSONArray", cratetest.Frame([]byte("[]"), []byte("x")), "not valid JSON"},
			// wrong field type
			{"WrongType", cratetest.Frame([]byte(`{"name":1}`), []byte("x")), "not valid JSON"},
			// trailing garbage inside the JSON part
			{"JSONTrailing", cratetest.Frame([]byte(`{"name":"a"} x`), []byte("x")), "not valid JSON"},
		}
		for _, tt := range tests {
			_, err := crate.ParsePublish(bytes.NewReader(tt.body), small)
			requireInvalid(t, err, tt.want, tt.name)
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		t.Parallel()

		small := crate.Limits{MaxMetadataSize: 1000, MaxCrateSize: 2000}
		tests := []struct {
			name string
			body []byte
			want string
		}{
			// JSON length over the limit
			{"JSON", binary.LittleEndian.AppendUint32(nil, 1001), "the JSON metadata is 1001 bytes, more than the limit of 1000 bytes"},
			// crate length over the limit
			{"Crate", cratetest.Frame([]byte(`{}`), make([]byte, 2001)), "the .crate file is 2001 bytes, more than the limit of 2000 bytes"},
			// 4 GiB claim
			{"Huge", binary.LittleEndian.AppendUint32(nil, 0xFFFFFFFF), "the JSON metadata is 4294967295 bytes"},
		}
		for _, tt := range tests {
			_, err := crate.ParsePublish(bytes.NewReader(tt.body), small)
			requireTooLarge(t, err, tt.want, tt.name)
		}
	})

	t.Run("TooLargeBeforeReading", func(t *testing.T) {
		t.Parallel()

		// The length is rejected before the body is read: the reader would
		// fail the test if more than the header were consumed.
		hdr := binary.LittleEndian.AppendUint32(nil, 20<<20)
		r := io.MultiReader(bytes.NewReader(hdr), failReader{t})
		_, err := crate.ParsePublish(r, crate.DefaultLimits())
		requireTooLarge(t, err, "the JSON metadata is 20 MiB, more than the limit of 1 MiB")
	})
}

type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("ParsePublish read past a length over the limit")
	return 0, io.EOF
}
