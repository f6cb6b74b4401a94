package crate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/semver"
)

// validMeta returns metadata with a few realistic dependencies and features
// (modelled on serde, log and regex index lines).
func validMeta() crate.Metadata {
	m := cratetest.Metadata("foo", "1.2.3")
	m.Deps = []crate.Dep{
		{Name: "serde", VersionReq: "^1.0.60", Optional: true, DefaultFeatures: false, Features: []string{"alloc"}, Kind: "normal"},
		{Name: "serde_derive", VersionReq: "^1", Optional: true, DefaultFeatures: true, Kind: "normal"},
		{Name: "portable-atomic", VersionReq: "^1.3", Optional: true, ExplicitNameInToml: ptr("extra-platforms"), Features: []string{"require-cas"}, Kind: "normal"},
		{Name: "libc", VersionReq: "^0.2", Target: ptr("cfg(unix)"), DefaultFeatures: true, Kind: "normal"},
		{Name: "cc", VersionReq: "^1.0", Kind: "build", DefaultFeatures: true},
		{Name: "serde_json", VersionReq: "^1.0", Kind: "dev", DefaultFeatures: true},
		{Name: "value-bag", VersionReq: "^1.12", Optional: true, Kind: "normal"},
	}
	m.Features = map[string][]string{
		"default": {"std"},
		"std":     {"serde?/std"},
		"alloc":   {},
		"serde":   {"dep:serde", "value-bag/serde"},
		"derive":  {"serde_derive"},
		"atomics": {"dep:extra-platforms", "extra-platforms?/critical-section"},
		"kv":      {"value-bag", "libc/extra_traits"},
		"c++20":   {},
		"v1.2":    {},
		"_hidden": {},
		"2d":      {},
	}
	m.Keywords = []string{"serialization", "no_std", "c++", "x86-64", "a"}
	m.Categories = []string{"encoding", "no-std"}
	m.Links = ptr("foo-sys")
	m.RustVersion = ptr("1.70")
	m.Homepage = ptr("https://example.com/foo")
	m.Repository = ptr("http://git.example.com/foo.git")
	m.Documentation = ptr("https://docs.example.com/foo/1.2.3/")
	m.ReadmeFile = ptr("README.md")
	m.Readme = ptr("# foo\n")
	return m
}

func TestMetadataValidate(t *testing.T) {
	t.Parallel()

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()

		m := validMeta()
		require.NoError(t, m.Validate())

		minimal := crate.Metadata{Name: "a", Vers: "0.0.0"}
		require.NoError(t, minimal.Validate(), "missing fields are zero and fine")

		var none *crate.Metadata
		requireInvalid(t, none.Validate(), "invalid publish metadata: missing")
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name   string
			modify func(m *crate.Metadata)
			want   string
		}{
			// crate name rules apply
			{"NameDigit", func(m *crate.Metadata) { m.Name = "1foo" }, `invalid crate name "1foo": must not start with a digit`},
			// reserved name
			{"NameReserved", func(m *crate.Metadata) { m.Name = "std" }, "reserved"},
			// v prefix
			{"VersV", func(m *crate.Metadata) { m.Vers = "v1.0.0" }, `invalid version "v1.0.0": unexpected character 'v'`},
			// partial version
			{"VersPartial", func(m *crate.Metadata) { m.Vers = "1.0" }, `invalid version "1.0"`},
			// leading zero
			{"VersLeadingZero", func(m *crate.Metadata) { m.Vers = "1.02.0" }, "invalid leading zero"},
			// dependency name
			{"DepName", func(m *crate.Metadata) { m.Deps[0].Name = "ser de" }, `invalid dependency name "ser de"`},
			// dependency alias
			{"DepAlias", func(m *crate.Metadata) { m.Deps[2].ExplicitNameInToml = ptr("9lives") }, `invalid dependency "portable-atomic" renamed to "9lives": must not start with a digit`},
			// npm-style requirement
			{"DepReqOr", func(m *crate.Metadata) { m.Deps[0].VersionReq = "1.0 || 2.0" }, `invalid dependency "serde" version requirement "1.0 || 2.0": expected comma`},
			// empty requirement
			{"DepReqEmpty", func(m *crate.Metadata) { m.Deps[0].VersionReq = "" }, "unexpected end of input"},
			// unknown kind
			{"DepKind", func(m *crate.Metadata) { m.Deps[0].Kind = "optional" }, `invalid dependency "serde" kind "optional": must be "normal", "dev" or "build"`},
			// empty target
			{"DepTarget", func(m *crate.Metadata) { m.Deps[3].Target = ptr("") }, `dependency "libc" target`},
			// bad dependency feature
			{"DepFeature", func(m *crate.Metadata) { m.Deps[0].Features = []string{"a b"} }, `invalid dependency "serde" feature "a b"`},
			// feature name
			{"FeatureName", func(m *crate.Metadata) { m.Features["-x"] = nil }, `invalid feature name "-x": must start with an ASCII letter, digit or '_'`},
			// feature name with a slash
			{"FeatureNameSlash", func(m *crate.Metadata) { m.Features["a/b"] = nil }, `invalid character '/'`},
			// empty feature name
			{"FeatureNameEmpty", func(m *crate.Metadata) { m.Features[""] = nil }, "invalid feature name: must not be empty"},
			// non-ASCII feature name
			{"FeatureNameUnicode", func(m *crate.Metadata) { m.Features["färg"] = nil }, `invalid feature name "färg": must contain only ASCII characters`},
			// dep: on a non-optional dependency
			{"DepNotOptional", func(m *crate.Metadata) { m.Features["x"] = []string{"dep:libc"} }, `invalid feature "x" value "dep:libc": "libc" is not an optional dependency`},
			// dep: on an unknown dependency
			{"DepUnknown", func(m *crate.Metadata) { m.Features["x"] = []string{"dep:nope"} }, `"nope" is not an optional dependency`},
			// dep: by package name of a renamed dependency
			{"DepRealNameOfRenamed", func(m *crate.Metadata) { m.Features["x"] = []string{"dep:portable-atomic"} }, `"portable-atomic" is not an optional dependency`},
			// weak feature of a non-optional dependency
			{"WeakNotOptional", func(m *crate.Metadata) { m.Features["x"] = []string{"libc?/std"} }, "a `?` is only allowed for optional dependencies"},
			// dep feature of an unknown dependency
			{"DepFeatUnknown", func(m *crate.Metadata) { m.Features["x"] = []string{"nope/std"} }, `"nope" is not a dependency`},
			// dep: combined with /
			{"DepAndSlash", func(m *crate.Metadata) { m.Features["x"] = []string{"dep:serde/std"} }, "`dep:` cannot be combined with `/`"},
			// two slashes
			{"TwoSlashes", func(m *crate.Metadata) { m.Features["x"] = []string{"serde/std/x"} }, "multiple slashes are not allowed"},
			// empty dep: name
			{"DepEmpty", func(m *crate.Metadata) { m.Features["x"] = []string{"dep:"} }, "must not be empty"},
			// plain value that is nothing
			{"PlainUnknown", func(m *crate.Metadata) { m.Features["x"] = []string{"nothing"} }, `invalid feature "x" value "nothing": it is neither a feature nor an optional dependency`},
			// plain value naming an optional dependency hidden by dep:
			{"PlainHidden", func(m *crate.Metadata) { m.Features["x"] = []string{"extra-platforms"} }, `use "dep:extra-platforms"`},
			// plain value naming a non-optional dependency
			{"PlainNotOptional", func(m *crate.Metadata) { m.Features["x"] = []string{"libc"} }, "neither a feature nor an optional dependency"},
			// empty value
			{"EmptyValue", func(m *crate.Metadata) { m.Features["x"] = []string{""} }, `invalid feature "x" value: must not be empty`},
			// empty links
			{"LinksEmpty", func(m *crate.Metadata) { m.Links = ptr("") }, "invalid links: must not be empty when set"},
			// pre-release rust-version
			{"RustVersionPre", func(m *crate.Metadata) { m.RustVersion = ptr("1.70.0-nightly") }, `invalid rust-version "1.70.0-nightly": unexpected pre-release`},
			// rust-version with an operator
			{"RustVersionOp", func(m *crate.Metadata) { m.RustVersion = ptr(">=1.70") }, `invalid rust-version ">=1.70"`},
			// six keywords
			{"KeywordsCount", func(m *crate.Metadata) { m.Keywords = append(m.Keywords, "six") }, "expected at most 5 keywords per crate, got 6"},
			// long keyword
			{"KeywordLong", func(m *crate.Metadata) { m.Keywords[0] = strings.Repeat("k", 21) }, "must be at most 20 characters long"},
			// keyword with a space
			{"KeywordSpace", func(m *crate.Metadata) { m.Keywords[0] = "two words" }, `invalid keyword "two words": must contain only`},
			// keyword starting with a symbol
			{"KeywordStart", func(m *crate.Metadata) { m.Keywords[0] = "-x" }, "must start with an ASCII letter or digit"},
			// empty keyword
			{"KeywordEmpty", func(m *crate.Metadata) { m.Keywords[0] = "" }, "invalid keyword: must not be empty"},
			// six categories
			{"Categories", func(m *crate.Metadata) { m.Categories = []string{"a", "b", "c", "d", "e", "f"} }, "expected at most 5 categories"},
			// huge description
			{"Description", func(m *crate.Metadata) { m.Description = ptr(strings.Repeat("d", 9000)) }, "invalid description: must be at most 8192 bytes long"},
			// homepage without scheme
			{"HomepageScheme", func(m *crate.Metadata) { m.Homepage = ptr("example.com") }, `invalid homepage "example.com": must be an absolute URL beginning with http:// or https://`},
			// javascript URL
			{"RepositoryJS", func(m *crate.Metadata) { m.Repository = ptr("javascript:alert(1)") }, "invalid repository"},
			// empty documentation URL
			{"DocumentationEmpty", func(m *crate.Metadata) { m.Documentation = ptr(" ") }, "must not be empty"},
			// control character in license
			{"LicenseControl", func(m *crate.Metadata) { m.License = ptr("MIT\x00") }, "must not contain control characters"},
		}
		for _, tt := range tests {
			m := validMeta()
			tt.modify(&m)
			requireInvalid(t, m.Validate(), tt.want, tt.name)
		}
	})

	t.Run("SemverCauseIsKept", func(t *testing.T) {
		t.Parallel()

		m := validMeta()
		m.Deps[0].VersionReq = "~>1.0"
		err := m.Validate()
		require.ErrorIs(t, err, semver.ErrInvalid)
		require.ErrorIs(t, err, crate.ErrInvalid)
	})
}
