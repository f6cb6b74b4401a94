package crate_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// requireGolden compares got with testdata/<name>.golden, rewriting it with
// -update.
func requireGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./crate/ -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

const testCksum = "d1bb2d9926b9bd18e51fc8edd663e311ff3b1fb96c9d4689854f8686f7c6c216"

var testPubtime = time.Date(2026, 6, 4, 7, 44, 19, 123456789, time.FixedZone("CEST", 2*3600))

func TestBuildIndexFile(t *testing.T) {
	t.Parallel()

	require.Equal(t, "a\nb\n", string(crate.BuildIndexFile([][]byte{[]byte("a"), []byte("b")})))
	require.Empty(t, crate.BuildIndexFile(nil))
}

func TestConfigJSON(t *testing.T) {
	t.Parallel()

	requireGolden(t, "config_auth", append(crate.ConfigJSON("https://wharf.example.com/", true), '\n'))
	requireGolden(t, "config_public", append(crate.ConfigJSON("http://127.0.0.1:8080", false), '\n'))

	var cfg crate.RegistryConfig
	require.NoError(t, json.Unmarshal(crate.ConfigJSON("https://h/x/", false), &cfg))
	require.Equal(t, crate.RegistryConfig{DL: "https://h/x/api/v1/crates", API: "https://h/x"}, cfg)
}

func TestFormatPubtime(t *testing.T) {
	t.Parallel()

	// converted to UTC, fraction dropped
	require.Equal(t, "2026-06-04T05:44:19Z", crate.FormatPubtime(testPubtime))
	// zero padded
	require.Equal(t, "0999-01-02T03:04:05Z", crate.FormatPubtime(time.Date(999, 1, 2, 3, 4, 5, 0, time.UTC)))
	require.Len(t, crate.FormatPubtime(time.Now()), 20)
}

func TestIndexEntryLine(t *testing.T) {
	t.Parallel()

	t.Run("Deterministic", func(t *testing.T) {
		t.Parallel()

		m := validMeta()
		first, err := crate.NewIndexEntry(&m, testCksum, testPubtime).Line()
		require.NoError(t, err)
		for range 20 {
			again, err := crate.NewIndexEntry(&m, testCksum, testPubtime).Line()
			require.NoError(t, err)
			require.Equal(t, first, again)
		}
		require.NotContains(t, string(first), "\n")
		require.NotContains(t, string(first), `\u003e`, "no HTML escaping")
	})

	t.Run("NeverNull", func(t *testing.T) {
		t.Parallel()

		e := crate.IndexEntry{Name: "a", Vers: "1.0.0", Cksum: testCksum, Deps: []crate.IndexDep{{Name: "b", Req: ">=1, <2"}},
			Features: map[string][]string{"f": nil}}
		line, err := e.Line()
		require.NoError(t, err)
		require.Equal(t, `{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":">=1, <2","features":[],"optional":false,"default_features":false,"target":null,"kind":"normal","registry":null}],"cksum":"`+testCksum+`","features":{"f":[]},"yanked":false,"links":null}`, string(line))
		require.Nil(t, e.Deps[0].Features, "Line must not modify its receiver")
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		valid := func() crate.IndexEntry {
			m := validMeta()
			return crate.NewIndexEntry(&m, testCksum, testPubtime)
		}
		tests := []struct {
			name   string
			modify func(e *crate.IndexEntry)
			want   string
		}{
			// missing name
			{"NoName", func(e *crate.IndexEntry) { e.Name = "" }, "invalid index entry name: must not be empty"},
			// missing version
			{"NoVers", func(e *crate.IndexEntry) { e.Vers = "" }, "invalid index entry version"},
			// loose version
			{"LooseVers", func(e *crate.IndexEntry) { e.Vers = "1.0" }, `invalid index entry version "1.0"`},
			// missing cksum
			{"NoCksum", func(e *crate.IndexEntry) { e.Cksum = "" }, "invalid index entry cksum: must be the SHA-256"},
			// upper-case cksum
			{"UpperCksum", func(e *crate.IndexEntry) { e.Cksum = strings.ToUpper(testCksum) }, "64 lowercase hex digits"},
			// short cksum
			{"ShortCksum", func(e *crate.IndexEntry) { e.Cksum = testCksum[:63] }, "64 lowercase hex digits"},
			// fractional pubtime
			{"PubtimeFraction", func(e *crate.IndexEntry) { e.Pubtime = "2026-06-04T07:44:19.123Z" }, "invalid index entry pubtime"},
			// unpadded pubtime
			{"PubtimeUnpadded", func(e *crate.IndexEntry) { e.Pubtime = "2026-6-4T07:44:19Z" }, "YYYY-MM-DDTHH:MM:SSZ"},
			// offset instead of Z
			{"PubtimeOffset", func(e *crate.IndexEntry) { e.Pubtime = "2026-06-04T07:44:19+00:00" }, "invalid index entry pubtime"},
			// impossible date
			{"PubtimeDate", func(e *crate.IndexEntry) { e.Pubtime = "2026-02-30T07:44:19Z" }, "invalid index entry pubtime"},
			// rust_version with pre-release
			{"RustVersionPre", func(e *crate.IndexEntry) { e.RustVersion = ptr("1.70.0-beta") }, "invalid index entry rust_version"},
			// rust_version with operator
			{"RustVersionOp", func(e *crate.IndexEntry) { e.RustVersion = ptr("^1.70") }, "invalid index entry rust_version"},
			// features2 without v
			{"Features2NoV", func(e *crate.IndexEntry) { e.V = 1 }, "must be at least 2 when features2 is set"},
			// unknown schema version
			{"V4", func(e *crate.IndexEntry) { e.V = 4 }, "invalid index entry v"},
			// dependency requirement
			{"DepReq", func(e *crate.IndexEntry) { e.Deps[0].Req = "1.2.3 - 2" }, `invalid index entry dependency "serde" req "1.2.3 - 2"`},
			// dependency kind
			{"DepKind", func(e *crate.IndexEntry) { e.Deps[0].Kind = "test" }, "must be \"normal\", \"dev\" or \"build\""},
			// dependency name
			{"DepName", func(e *crate.IndexEntry) { e.Deps[0].Name = "" }, "invalid index entry dependency name"},
			// feature name
			{"FeatureName", func(e *crate.IndexEntry) { e.Features["bad name"] = nil }, `invalid index entry feature name "bad name"`},
			// empty links
			{"Links", func(e *crate.IndexEntry) { e.Links = ptr("") }, "invalid index entry links"},
		}
		for _, tt := range tests {
			e := valid()
			tt.modify(&e)
			_, err := e.Line()
			requireInvalid(t, err, tt.want, tt.name)
			requireInvalid(t, crate.ValidateEntry(e), tt.want, tt.name)
		}
	})
}

func TestNewIndexEntry(t *testing.T) {
	t.Parallel()

	t.Run("ArtifactIsV3", func(t *testing.T) {
		t.Parallel()

		m := crate.Metadata{Name: "x", Vers: "1.0.0", Deps: []crate.Dep{{Name: "bin", VersionReq: "1", Artifact: []string{"bin"}, BindepTarget: ptr("x86_64-unknown-linux-gnu"), Lib: true}}}
		e := crate.NewIndexEntry(&m, testCksum, time.Time{})
		require.Equal(t, 3, e.V)
		line, err := e.Line()
		require.NoError(t, err)
		require.Contains(t, string(line), `"artifact":["bin"],"bindep_target":"x86_64-unknown-linux-gnu","lib":true}`)
		require.Contains(t, string(line), `"v":3`)
	})

	t.Run("DoesNotAlias", func(t *testing.T) {
		t.Parallel()

		m := validMeta()
		e := crate.NewIndexEntry(&m, testCksum, testPubtime)
		m.Features["default"][0] = "changed"
		*m.Links = "changed"
		m.Deps[0].Features[0] = "changed"
		require.Equal(t, []string{"std"}, e.Features["default"])
		require.Equal(t, "foo-sys", *e.Links)
		require.Equal(t, []string{"alloc"}, e.Deps[0].Features)
	})

	t.Run("Features2Split", func(t *testing.T) {
		t.Parallel()

		m := crate.Metadata{Name: "x", Vers: "1.0.0", Features: map[string][]string{
			"default": {"std"},
			"std":     {"serde?/std"},
			"serde":   {"dep:serde"},
			"alloc":   {},
			"derive":  {"serde_derive", "serde/derive"},
		}}
		e := crate.NewIndexEntry(&m, testCksum, time.Time{})
		require.Equal(t, map[string][]string{"default": {"std"}, "alloc": {}, "derive": {"serde_derive", "serde/derive"}}, e.Features)
		require.Equal(t, map[string][]string{"std": {"serde?/std"}, "serde": {"dep:serde"}}, e.Features2)
		require.Equal(t, 2, e.V)
	})

	t.Run("Golden", func(t *testing.T) {
		t.Parallel()

		m := validMeta()
		e := crate.NewIndexEntry(&m, testCksum, testPubtime)
		line, err := e.Line()
		require.NoError(t, err)
		requireGolden(t, "index_line", append(line, '\n'))
	})

	t.Run("Minimal", func(t *testing.T) {
		t.Parallel()

		m := crate.Metadata{Name: "a", Vers: "0.1.0"}
		line, err := crate.NewIndexEntry(&m, testCksum, time.Time{}).Line()
		require.NoError(t, err)
		require.Equal(t, `{"name":"a","vers":"0.1.0","deps":[],"cksum":"`+testCksum+`","features":{},"yanked":false,"links":null}`, string(line))
	})

	t.Run("RenamedDependencies", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name string
			dep  crate.Dep
			want crate.IndexDep
		}{
			// plain dependency: same name, no package
			{"Plain", crate.Dep{Name: "serde", VersionReq: "^1", DefaultFeatures: true, Kind: "normal"},
				crate.IndexDep{Name: "serde", Req: "^1", Features: []string{}, DefaultFeatures: true, Kind: "normal"}},
			// renamed: name = alias, package = real name
			{"Renamed", crate.Dep{Name: "foo", VersionReq: "^0.1", ExplicitNameInToml: ptr("myfoo"), Optional: true, Features: []string{"std"}, Kind: "normal"},
				crate.IndexDep{Name: "myfoo", Req: "^0.1", Features: []string{"std"}, Optional: true, Kind: "normal", Package: ptr("foo")}},
			// renamed dev dependency with a target
			{"RenamedDevTarget", crate.Dep{Name: "portable-atomic", VersionReq: "^1.3", ExplicitNameInToml: ptr("extra-platforms"), Target: ptr("cfg(unix)"), Kind: "dev"},
				crate.IndexDep{Name: "extra-platforms", Req: "^1.3", Features: []string{}, Target: ptr("cfg(unix)"), Kind: "dev", Package: ptr("portable-atomic")}},
			// empty kind becomes normal
			{"EmptyKind", crate.Dep{Name: "a", VersionReq: "*"},
				crate.IndexDep{Name: "a", Req: "*", Features: []string{}, Kind: "normal"}},
			// dependency from another registry keeps its index URL
			{"OtherRegistry", crate.Dep{Name: "rand", VersionReq: "^0.8", Registry: ptr("https://github.com/rust-lang/crates.io-index"), Kind: "build"},
				crate.IndexDep{Name: "rand", Req: "^0.8", Features: []string{}, Registry: ptr("https://github.com/rust-lang/crates.io-index"), Kind: "build"}},
			// renamed to its own name still records package
			{"RenamedSame", crate.Dep{Name: "a", VersionReq: "1", ExplicitNameInToml: ptr("a")},
				crate.IndexDep{Name: "a", Req: "1", Features: []string{}, Kind: "normal", Package: ptr("a")}},
		}
		for _, tt := range tests {
			m := crate.Metadata{Name: "x", Vers: "1.0.0", Deps: []crate.Dep{tt.dep}}
			e := crate.NewIndexEntry(&m, testCksum, testPubtime)
			require.Equal(t, []crate.IndexDep{tt.want}, e.Deps, tt.name)
			require.Zero(t, e.V, tt.name)
		}
	})
}
