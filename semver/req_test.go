package semver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/semver"
)

func TestParseReq(t *testing.T) {
	t.Parallel()

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			in        string
			canonical string
		}{
			{"1.2.3", "^1.2.3"},                                // bare = caret
			{"^1.2.3", "^1.2.3"},                               // explicit caret
			{"=1.2.3", "=1.2.3"},                               // exact
			{"= 0.3.15", "=0.3.15"},                            // space after operator (real index line)
			{"^ 2.2.1", "^2.2.1"},                              // space after caret (RustSec)
			{">= 1.2, < 1.5", ">=1.2, <1.5"},                   // spaces around ops and comma
			{"  >=1.0.0  ,  <2  ", ">=1.0.0, <2"},              // spaces everywhere
			{"> 0.0.9, <= 2.5.3", ">0.0.9, <=2.5.3"},           // four operators
			{"~1", "~1"},                                       // tilde major
			{"~1.2", "~1.2"},                                   // tilde minor
			{"~1.2.3-beta.2", "~1.2.3-beta.2"},                 // tilde with pre-release
			{"*", "*"},                                         // any
			{"  *  ", "*"},                                     // any with spaces
			{"x", "*"},                                         // x wildcard
			{"X", "*"},                                         // X wildcard
			{"1.*", "1.*"},                                     // minor wildcard
			{"1.x", "1.*"},                                     // minor x wildcard
			{"1.2.*", "1.2.*"},                                 // patch wildcard
			{"1.2.X", "1.2.*"},                                 // patch X wildcard
			{"0.*.*", "0.*"},                                   // cargo#3202
			{"0.1.*", "0.1.*"},                                 // real index line
			{">=1.*", ">=1"},                                   // wildcard after explicit op drops out
			{"=1.2.*", "=1.2"},                                 // exact partial
			{"1.*, <1.5", "1.*, <1.5"},                         // wildcard component may be combined
			{"0.3.0, 0.4.0", "^0.3.0, ^0.4.0"},                 // unsatisfiable but valid
			{"=1.0.0+build.5", "=1.0.0"},                       // build metadata dropped
			{"1.2.3-alpha.1+b", "^1.2.3-alpha.1"},              // pre-release kept, build dropped
			{">=0.10.0-alpha.4", ">=0.10.0-alpha.4"},           // pre-release (RustSec)
			{"< 1.0.0-0", "<1.0.0-0"},                          // lowest pre-release
			{"0", "^0"},                                        // major only
			{"0.0", "^0.0"},                                    // major.minor
			{"18446744073709551615", "^18446744073709551615"},  // u64 max
			{strings.Repeat("1, ", 31) + "1", repeatCaret(32)}, // 32 comparators is the max
			{"1.0.0-a-b--", "^1.0.0-a-b--"},                    // hyphens in pre-release
			{"<=2.1.0-alpha2", "<=2.1.0-alpha2"},               // less-equal with pre
			{"^0.5.1-alpha3, <0.6", "^0.5.1-alpha3, <0.6"},     // mixed
			{"1.2.3 ", "^1.2.3"},                               // trailing space
			{">1", ">1"},                                       // partial greater
			{"<=1.2", "<=1.2"},                                 // partial less-equal
			{"~1.2.*", "~1.2"},                                 // tilde with wildcard patch
			{"1.2.3-0.3.7", "^1.2.3-0.3.7"},                    // numeric pre-release identifiers
			{"1.0.0-x.7.z.92", "^1.0.0-x.7.z.92"},              // semver.org example
			{"=2.1.1-really.0", "=2.1.1-really.0"},             // dtolnay test_pre
			{"^1.0.0+20130313144700", "^1.0.0"},                // numeric build
			{"1.0.0+001", "^1.0.0"},                            // build may have leading zeros
			{"<1.0.0, >=1.0.0-beta, >=1.0.0-rc", "<1.0.0, >=1.0.0-beta, >=1.0.0-rc"}, // three
		}
		for _, tt := range tests {
			r, err := semver.ParseReq(tt.in)
			require.NoError(t, err, tt.in)
			require.Equal(t, tt.canonical, r.String(), tt.in)
			again, err := semver.ParseReq(r.String())
			require.NoError(t, err, tt.in)
			require.Equal(t, r, again, tt.in)
		}
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			in     string
			reason string
		}{
			{"", "unexpected end of input while parsing major version number"},                        // empty
			{"   ", "unexpected end of input while parsing major version number"},                     // only spaces
			{"=1.2.3 || =2.3.4", "expected comma after patch version number, found '|'"},              // no ||
			{"1.1 || =1.2.3", "expected comma after minor version number, found '|'"},                 // no || after partial
			{"6.* || 8.*", "expected comma after minor version number, found '|'"},                    // no || with wildcards
			{"1.2.3 - 2.3.4", "expected comma after patch version number, found '-'"},                 // no hyphen range
			{"> 0.0.9 <= 2.5.3", "expected comma after patch version number, found '<'"},              // no space-AND
			{">=1.0 <2.0", "expected comma after minor version number, found '<'"},                    // no space-AND partial
			{"v1.2.3", "unexpected character 'v' while parsing major version number"},                 // no v prefix
			{"^v1.2.3", "unexpected character 'v' while parsing major version number"},                // no v after op
			{"01.2.3", "invalid leading zero in major version number"},                                // leading zero
			{"1.02", "invalid leading zero in minor version number"},                                  // leading zero minor
			{"1.2.3-01", "invalid leading zero in pre-release identifier"},                            // numeric pre leading zero
			{"!=1.2.3", "unexpected character '!' while parsing major version number"},                // no !=
			{"~>1.2", "unexpected character '>' while parsing major version number"},                  // no ~>
			{"*, 1.2", "wildcard req (*) must be the only comparator in the version req"},             // wildcard first
			{"1.2, *", "wildcard req (*) must be the only comparator in the version req"},             // wildcard later
			{"0.20.0-any, *, 1.0", "wildcard req (*) must be the only comparator in the version req"}, // wildcard middle
			{"1.2, x", "wildcard req (x) must be the only comparator in the version req"},             // x wildcard later
			{"*.1", "unexpected character after wildcard in version req"},                             // digit after bare wildcard
			{"1.*.3", "unexpected character after wildcard in version req"},                           // digit after wildcard component
			{">=1.*.1", "unexpected character after wildcard in version req"},                         // also with an operator
			{"=*", "unexpected character '*' while parsing major version number"},                     // operator on bare wildcard
			{"~1.2-pre", "expected comma after minor version number, found '-'"},                      // pre-release on partial
			{"1.2+build", "expected comma after minor version number, found '+'"},                     // build on partial
			{"1.2.*-alpha", "expected comma after patch version number, found '-'"},                   // pre after wildcard
			{"1.0.0-", "empty identifier segment in pre-release identifier"},                          // empty pre
			{"1.0.0+", "empty identifier segment in build metadata"},                                  // empty build
			{">= >= 0.0.2", "unexpected character '>' while parsing major version number"},            // doubled op
			{">== 0.0.2", "unexpected character '=' while parsing major version number"},              // op typo
			{"> 0.1.0,", "unexpected end of input while parsing major version number"},                // trailing comma
			{"> 0.3.0, ,", "unexpected character ',' while parsing major version number"},             // empty comparator
			{"a.0.0", "unexpected character 'a' while parsing major version number"},                  // letters
			{"\x00", "unexpected character '\\x00' while parsing major version number"},               // NUL
			{"\t1.0", "unexpected character '\\t' while parsing major version number"},                // tab is not a space
			{"1.0\t", "expected comma after minor version number, found '\\t'"},                       // trailing tab
			{"1.0.0.0", "expected comma after patch version number, found '.'"},                       // four components
			{"1 .2", "expected comma after major version number, found '.'"},                          // space inside version
			{"18446744073709551616", "value of major version number exceeds u64::MAX"},                // overflow
			{strings.Repeat("1, ", 32) + "1", "excessive number of version comparators"},              // 33 comparators
			{"^1.2.3;", "expected comma after patch version number, found ';'"},                       // junk
			{"latest", "unexpected character 'l' while parsing major version number"},                 // npm tag
			{"1.0.0-é", "empty identifier segment in pre-release identifier"},                         // non-ASCII pre
			{"１.0", "unexpected character '１' while parsing major version number"},                    // full-width digit
			{"1.2.3-a..b", "empty identifier segment in pre-release identifier"},                      // empty segment
		}
		for _, tt := range tests {
			_, err := semver.ParseReq(tt.in)
			require.ErrorIs(t, err, semver.ErrInvalid, tt.in)
			require.ErrorContains(t, err, tt.reason, tt.in)
		}
	})
}

func repeatCaret(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "^1"
	}
	return strings.Join(parts, ", ")
}

func TestReqComparators(t *testing.T) {
	t.Parallel()

	r, err := semver.ParseReq(">= 1.2.3-rc.1, <2, 1.*")
	require.NoError(t, err)
	require.Equal(t, []semver.Comparator{
		{Op: semver.OpGreaterEq, Major: 1, Minor: 2, Patch: 3, HasMinor: true, HasPatch: true, Pre: "rc.1"},
		{Op: semver.OpLess, Major: 2},
		{Op: semver.OpWildcard, Major: 1},
	}, r.Comparators())

	star, err := semver.ParseReq("*")
	require.NoError(t, err)
	require.Empty(t, star.Comparators())
	require.Equal(t, semver.Req{}, star)
}
