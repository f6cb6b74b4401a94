package semver_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/semver"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			in   string
			want semver.Version
		}{
			// plain release
			{"1.2.3", semver.Version{Major: 1, Minor: 2, Patch: 3}},
			// all zeros
			{"0.0.0", semver.Version{}},
			// pre-release with numeric and alphanumeric identifiers
			{"1.0.0-alpha.1", semver.Version{Major: 1, Pre: "alpha.1"}},
			// pre-release and build metadata
			{"1.2.3-alpha.1+build.5", semver.Version{Major: 1, Minor: 2, Patch: 3, Pre: "alpha.1", Build: "build.5"}},
			// build metadata may have leading zeros
			{"1.2.3+build.01", semver.Version{Major: 1, Minor: 2, Patch: 3, Build: "build.01"}},
			// hyphens inside identifiers
			{"1.2.3-a-b.c+d.e-f", semver.Version{Major: 1, Minor: 2, Patch: 3, Pre: "a-b.c", Build: "d.e-f"}},
			// a single hyphen is a valid (pathological) pre-release
			{"1.2.3--", semver.Version{Major: 1, Minor: 2, Patch: 3, Pre: "-"}},
			// numeric pre-release identifier 0 is fine
			{"1.0.0-0", semver.Version{Major: 1, Pre: "0"}},
			// alphanumeric identifier may start with 0
			{"1.0.0-0a", semver.Version{Major: 1, Pre: "0a"}},
			// u64 max fits
			{"18446744073709551615.0.0", semver.Version{Major: 18446744073709551615}},
		}
		for _, tt := range tests {
			got, err := semver.ParseVersion(tt.in)
			require.NoError(t, err, tt.in)
			require.Equal(t, tt.want, got, tt.in)
			require.Equal(t, tt.in, got.String(), tt.in)
		}
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			in     string
			reason string
		}{
			// empty input
			{"", "empty string"},
			// partial versions are requirements, not versions
			{"1.2", "unexpected end of input while parsing minor version number"},
			// v prefix
			{"v1.2.3", "unexpected character 'v' while parsing major version number"},
			// leading zero in major
			{"01.2.3", "invalid leading zero in major version number"},
			// leading zero in patch
			{"1.2.03", "invalid leading zero in patch version number"},
			// leading zero in numeric pre-release identifier
			{"1.2.3-01", "invalid leading zero in pre-release identifier"},
			// four components
			{"1.0.0.0", "unexpected character '.' after patch version number"},
			// trailing space
			{"1.0.0 ", "unexpected character ' ' after patch version number"},
			// leading space
			{" 1.0.0", "unexpected character ' ' while parsing major version number"},
			// empty build metadata
			{"1.0.0+", "empty identifier segment in build metadata"},
			// empty pre-release
			{"1.0.0-", "empty identifier segment in pre-release identifier"},
			// empty pre-release segment
			{"1.0.0-a..b", "empty identifier segment in pre-release identifier"},
			// trailing dot in pre-release
			{"1.0.0-a.", "empty identifier segment in pre-release identifier"},
			// invalid character in pre-release
			{"1.0.0-a_b", "unexpected character '_' after pre-release identifier"},
			// non-ASCII
			{"1.0.0-é", "empty identifier segment in pre-release identifier"},
			// overflow
			{"18446744073709551616.0.0", "value of major version number exceeds u64::MAX"},
			// junk after version
			{"2.0.0b5", "unexpected character 'b' after patch version number"},
			// wildcard is not a version
			{"1.*.0", "unexpected character '*' while parsing minor version number"},
			// requirement operator is not a version
			{"=1.0.0", "unexpected character '=' while parsing major version number"},
		}
		for _, tt := range tests {
			_, err := semver.ParseVersion(tt.in)
			require.Error(t, err, tt.in)
			require.ErrorIs(t, err, semver.ErrInvalid, tt.in)
			require.ErrorContains(t, err, tt.reason, tt.in)
			var perr *semver.Error
			require.True(t, errors.As(err, &perr))
			require.Equal(t, "version", perr.Kind)
		}
	})
}

func TestValidRustVersion(t *testing.T) {
	t.Parallel()

	valid := []string{
		"1",      // major only
		"1.70",   // major.minor, the usual form
		"1.70.0", // full version
		"0.9",    // pre-1.0 toolchains
	}
	for _, s := range valid {
		require.NoError(t, semver.ValidRustVersion(s), s)
	}

	invalid := []struct {
		in     string
		reason string
	}{
		{"", "empty string"},                              // empty
		{"1.70.0-nightly", "unexpected pre-release"},      // pre-release
		{"1.70.0+abc", "unexpected build metadata"},       // build metadata
		{"1.70-beta", "unexpected pre-release"},           // pre-release on partial
		{"^1.70", "unexpected character '^'"},             // operator
		{">=1.70", "unexpected character '>'"},            // operator
		{"1.70.0.1", "unexpected character '.'"},          // four components
		{"01.70", "invalid leading zero"},                 // leading zero
		{" 1.70", "unexpected character ' '"},             // leading space
		{"1.70 ", "unexpected character ' '"},             // trailing space
		{"1.", "unexpected end of input"},                 // dangling dot
		{"1.x", "unexpected character 'x'"},               // wildcard
		{"v1.70", "unexpected character 'v'"},             // v prefix
		{"1.70, 1.71", "unexpected character ','"},        // list
		{"99999999999999999999", "exceeds u64::MAX"},      // overflow
		{"1.70.0\x00", "unexpected character '\\x00'"},    // NUL
		{"1.७0", "unexpected character '७'"},              // non-ASCII digit
		{"1.70.0-", "unexpected pre-release"},             // empty pre-release
		{"stable", "unexpected character 's' while pars"}, // toolchain name
	}
	for _, tt := range invalid {
		err := semver.ValidRustVersion(tt.in)
		require.ErrorIs(t, err, semver.ErrInvalid, tt.in)
		require.ErrorContains(t, err, tt.reason, tt.in)
	}
}

func TestVersionCompare(t *testing.T) {
	t.Parallel()

	// Each row is strictly ascending by SemVer precedence (semver.org §11).
	ordered := []string{
		"0.0.0",
		"0.0.1",
		"0.1.0",
		"1.0.0-0",
		"1.0.0-1",
		"1.0.0-2",
		"1.0.0-10",                      // numeric identifiers compare numerically
		"1.0.0-99999999999999999999999", // beyond uint64, still numeric
		"1.0.0-alpha",                   // numeric < alphanumeric
		"1.0.0-alpha.1",                 // longer list of equal prefix is bigger
		"1.0.0-alpha.beta",
		"1.0.0-beta",
		"1.0.0-beta.2",
		"1.0.0-beta.11",
		"1.0.0-rc.1",
		"1.0.0", // release after its pre-releases
		"1.0.1",
		"1.1.0",
		"2.0.0",
		"10.0.0",
	}
	for i := range ordered {
		for j := range ordered {
			a, err := semver.ParseVersion(ordered[i])
			require.NoError(t, err)
			b, err := semver.ParseVersion(ordered[j])
			require.NoError(t, err)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			require.Equal(t, want, a.Compare(b), "%s vs %s", ordered[i], ordered[j])
		}
	}

	t.Run("BuildIgnored", func(t *testing.T) {
		t.Parallel()

		a, _ := semver.ParseVersion("1.0.7")
		b, _ := semver.ParseVersion("1.0.7+extra")
		require.Equal(t, 0, a.Compare(b))
		require.Equal(t, a.Key(), b.Key())
		require.Equal(t, "1.0.7", b.Key())
		require.Equal(t, "1.0.7+extra", b.String())
	})

	t.Run("IsPrerelease", func(t *testing.T) {
		t.Parallel()

		a, _ := semver.ParseVersion("1.0.0-rc.1+b")
		require.True(t, a.IsPrerelease())
		b, _ := semver.ParseVersion("1.0.0+b")
		require.False(t, b.IsPrerelease())
	})
}
