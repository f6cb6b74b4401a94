package semver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/semver"
)

// matchCase is one requirement with versions it must and must not match,
// as the Rust semver crate (and so cargo) decides.
type matchCase struct {
	req string
	yes []string
	no  []string
}

// matchCases is the golden table for Req.Matches. It covers every rule of
// cargo-protocol.md §15 and the Rust semver crate's own tests.
var matchCases = []matchCase{
	// bare = caret: 1.2.3 ≡ >=1.2.3, <2.0.0
	{"1.2.3", []string{"1.2.3", "1.2.4", "1.9.0", "1.99.99"}, []string{"1.2.2", "2.0.0", "0.9.9", "1.2.3-alpha", "1.3.0-pre"}},
	// explicit caret, same as bare
	{"^1.2.3", []string{"1.2.3", "1.9.0"}, []string{"2.0.0", "1.2.2"}},
	// caret on 0.x: 0.2.3 → <0.3.0
	{"0.2.3", []string{"0.2.3", "0.2.9"}, []string{"0.3.0", "0.2.2", "1.0.0"}},
	// caret on 0.0.x: 0.0.3 → =0.0.3 (<0.0.4)
	{"0.0.3", []string{"0.0.3"}, []string{"0.0.4", "0.0.2", "0.1.0"}},
	// caret 0.0 → <0.1.0
	{"0.0", []string{"0.0.0", "0.0.2", "0.0.99"}, []string{"0.1.0", "0.1.4", "1.1.1"}},
	// caret 0 → <1.0.0
	{"0", []string{"0.0.0", "0.0.2", "0.9.1"}, []string{"1.0.0", "1.1.1"}},
	// caret ^1 → 1.x
	{"^1", []string{"1.0.0", "1.1.2", "1.2.1"}, []string{"0.9.1", "2.9.0", "1.0.0-beta1", "1.0.1-pre"}},
	// caret ^1.1 → >=1.1.0, <2.0.0
	{"^1.1", []string{"1.1.0", "1.1.2", "1.2.1"}, []string{"1.0.1", "2.9.0", "0.9.1"}},
	// caret ^0.1 → 0.1.x
	{"^0.1", []string{"0.1.0", "0.1.9"}, []string{"0.2.0", "0.0.9"}},
	// caret ^0.1.2 → >=0.1.2, <0.2.0
	{"^0.1.2", []string{"0.1.2", "0.1.4"}, []string{"0.1.1", "0.2.0", "0.1.2-beta", "0.1.3-alpha", "0.2.0-pre"}},
	// caret ^0.0.2 → =0.0.2
	{"^0.0.2", []string{"0.0.2"}, []string{"0.0.1", "0.0.3", "0.1.4"}},
	// caret with pre-release: same tuple pre-releases ≥ it, then releases
	{"^1.4.2-beta.5", []string{"1.4.2", "1.4.3", "1.4.2-beta.5", "1.4.2-beta.6", "1.4.2-c"}, []string{"0.9.9", "2.0.0", "1.4.2-alpha", "1.4.2-beta.4", "1.4.3-beta.5"}},
	// caret 0.x with pre-release
	{"^0.5.1-alpha3", []string{"0.5.1-alpha3", "0.5.1-alpha4", "0.5.1-beta", "0.5.1", "0.5.5"}, []string{"0.5.1-alpha1", "0.5.2-alpha3", "0.5.5-pre", "0.5.0-pre", "0.6.0"}},
	// caret 0.0.x with pre-release: only that patch
	{"^0.0.1-alpha", []string{"0.0.1-alpha", "0.0.1-beta", "0.0.1"}, []string{"0.0.2", "0.0.1-0"}},

	// tilde: ~1.2.3 → >=1.2.3, <1.3.0
	{"~1.2.3", []string{"1.2.3", "1.2.9"}, []string{"1.3.0", "1.2.2", "2.0.0"}},
	// tilde ~1.2 → 1.2.x
	{"~1.2", []string{"1.2.0", "1.2.1"}, []string{"1.1.1", "1.3.0", "0.0.9"}},
	// tilde ~1 → 1.x
	{"~1", []string{"1.0.0", "1.0.1", "1.1.1"}, []string{"0.9.1", "2.9.0", "0.0.9"}},
	// tilde on 0.x keeps the minor
	{"~0.2.3", []string{"0.2.3", "0.2.9"}, []string{"0.3.0"}},
	// tilde with pre-release
	{"~1.2.3-beta.2", []string{"1.2.3", "1.2.4", "1.2.3-beta.2", "1.2.3-beta.4"}, []string{"1.3.3", "1.1.4", "1.2.3-beta.1", "1.2.4-beta.2"}},

	// exact
	{"=1.0.0", []string{"1.0.0", "1.0.0+build", "1.0.0+any"}, []string{"1.0.1", "0.9.9", "1.0.0-pre"}},
	// exact 0.x
	{"=0.9.0", []string{"0.9.0"}, []string{"0.9.1", "1.9.0", "0.0.9", "0.9.0-pre"}},
	// exact pre-release
	{"=0.1.0-beta2.a", []string{"0.1.0-beta2.a"}, []string{"0.9.1", "0.1.0", "0.1.1-beta2.a", "0.1.0-beta2"}},
	// exact ignores build metadata on the requirement
	{"=0.1.0+meta", []string{"0.1.0", "0.1.0+meta", "0.1.0+any"}, []string{"0.1.1"}},
	// partial exact =1.2 ≡ 1.2.x
	{"=1.2", []string{"1.2.0", "1.2.7"}, []string{"1.3.0", "1.1.9", "1.2.0-rc"}},
	// partial exact =1 ≡ 1.x
	{"=1", []string{"1.0.0", "1.9.9"}, []string{"2.0.0", "0.9.9"}},

	// greater-equal
	{">= 1.0.0", []string{"1.0.0", "2.0.0"}, []string{"0.1.0", "0.0.1", "1.0.0-pre", "2.0.0-pre"}},
	// greater-equal with pre-release: same-tuple pre-releases allowed
	{">= 2.1.0-alpha2", []string{"2.1.0-alpha2", "2.1.0-alpha3", "2.1.0", "3.0.0"}, []string{"2.0.0", "2.1.0-alpha1", "2.0.0-alpha2", "3.0.0-alpha2"}},
	// pre-release rule: >=1.0.0-alpha matches 1.0.0-beta but not 1.5.0-alpha
	{">=1.0.0-alpha", []string{"1.0.0-beta", "1.0.0", "1.5.0"}, []string{"1.5.0-alpha", "2.0.0-rc1"}},
	// >=1.0.0-0 does not admit later pre-releases
	{">=1.0.0-0", []string{"1.0.0-0", "1.0.0-alpha", "2.0.0"}, []string{"2.0.0-rc1", "0.9.0"}},
	// partial greater >1 ≡ >=2.0.0
	{">1", []string{"2.0.0", "3.1.0"}, []string{"1.0.0", "1.9.9", "2.0.0-alpha"}},
	// partial greater >1.2 ≡ >=1.3.0
	{">1.2", []string{"1.3.0", "2.0.0"}, []string{"1.2.0", "1.2.9"}},
	// greater with full version
	{">1.2.3", []string{"1.2.4", "2.0.0"}, []string{"1.2.3", "1.2.3+b", "1.2.4-alpha"}},
	// greater than a pre-release: later pre-releases of same tuple
	{">1.2.3-alpha.1", []string{"1.2.3-alpha.2", "1.2.3-beta", "1.2.3", "1.3.0"}, []string{"1.2.3-alpha.1", "1.2.3-alpha", "1.3.0-alpha.2"}},
	// greater-equal partial >=1.2 ≡ >=1.2.0
	{">=1.2", []string{"1.2.0", "5.0.0"}, []string{"1.1.9", "1.2.0-rc.1"}},

	// less: <1.0.0 does not match 0.9.0-alpha
	{"< 1.0.0", []string{"0.1.0", "0.0.1", "0.9.9"}, []string{"1.0.0", "1.0.0-beta", "1.0.1", "0.9.9-alpha"}},
	// less-equal with pre-release
	{"<= 2.1.0-alpha2", []string{"2.1.0-alpha2", "2.1.0-alpha1", "2.0.0", "1.0.0"}, []string{"2.1.0", "2.2.0-alpha1", "2.0.0-alpha2", "1.0.0-alpha2"}},
	// partial less-equal <=1.2 ≡ <1.3.0
	{"<=1.2", []string{"1.2.9", "1.0.0", "0.1.0"}, []string{"1.3.0", "2.0.0"}},
	// partial less <1.2 ≡ <1.2.0
	{"<1.2", []string{"1.1.9", "0.0.1"}, []string{"1.2.0", "1.2.0-alpha"}},
	// partial less <1 ≡ <1.0.0
	{"<1", []string{"0.9.9"}, []string{"1.0.0", "1.0.0-0"}},
	// less than lowest pre-release
	{"<1.0.0-0", []string{"0.9.9"}, []string{"1.0.0-0", "1.0.0", "0.9.9-rc"}},
	// partial less-equal <=1 ≡ <2.0.0
	{"<=1", []string{"1.9.9", "0.1.0"}, []string{"2.0.0"}},

	// wildcards
	{"*", []string{"0.9.1", "2.9.0", "0.0.9", "1.0.1", "1.1.1", "0.0.0"}, []string{"1.0.0-alpha", "0.0.1-0"}},
	// 1.* ≡ >=1.0.0, <2.0.0
	{"1.*", []string{"1.2.0", "1.2.1", "1.1.1", "1.3.0"}, []string{"0.0.9", "2.0.0", "1.2.0-pre"}},
	// 1.x same as 1.*
	{"1.x", []string{"1.0.0", "1.9.0"}, []string{"2.0.0"}},
	// 1.2.* ≡ >=1.2.0, <1.3.0
	{"1.2.*", []string{"1.2.0", "1.2.2", "1.2.4"}, []string{"1.9.0", "1.0.9", "2.0.1", "0.1.3", "1.2.1-rc"}},
	// 0.*.* same as 0.*
	{"0.*.*", []string{"0.5.0", "0.0.0"}, []string{"1.0.0"}},
	// 0.0.* only 0.0.x
	{"0.0.*", []string{"0.0.0", "0.0.7"}, []string{"0.1.0"}},
	// >=1.* ≡ >=1
	{">=1.*", []string{"1.0.0", "7.0.0"}, []string{"0.9.9"}},
	// wildcard component combined with another comparator
	{"1.*, <1.5", []string{"1.0.0", "1.4.9"}, []string{"1.5.0", "2.0.0"}},

	// ranges (AND by comma)
	{"> 0.0.9, <= 2.5.3", []string{"0.0.10", "1.0.0", "2.5.3"}, []string{"0.0.8", "2.5.4"}},
	// unsatisfiable
	{"0.3.0, 0.4.0", nil, []string{"0.0.8", "0.3.0", "0.4.0"}},
	// disjoint
	{"<= 0.2.0, >= 0.5.0", nil, []string{"0.0.8", "0.3.0", "0.5.1"}},
	// several carets
	{"0.1.0, 0.1.4, 0.1.6", []string{"0.1.6", "0.1.9"}, []string{"0.1.0", "0.1.4", "0.2.0"}},
	// range with pre-release lower bound
	{">=0.5.1-alpha3, <0.6", []string{"0.5.1-alpha3", "0.5.1-alpha4", "0.5.1-beta", "0.5.1", "0.5.5"}, []string{"0.5.1-alpha1", "0.5.2-alpha3", "0.5.5-pre", "0.5.0-pre", "0.6.0", "0.6.0-pre"}},
	// pre-release admitted by the upper bound's tuple
	{">=1.0.0, <2.0.0-rc.1", []string{"1.5.0", "2.0.0-beta"}, []string{"2.0.0-rc.1", "2.0.0", "1.5.0-beta"}},
	// RustSec style with spaces
	{"^ 2.2.1", []string{"2.2.1", "2.9.0"}, []string{"3.0.0", "2.2.0"}},
	// Partial comparators against pre-release versions, evaluated component by
	// component as the Rust crate's eval.rs does (deps.dev differs here):
	// a wildcard demands an empty pre-release, so 1.2.* rejects 1.2.3-alpha.1
	// even though the other comparator allows it
	{"1.2.*, 1.2.3-alpha.1", []string{"1.2.3"}, []string{"1.2.3-alpha.1", "1.2.3-beta"}},
	// a partial tilde also demands an empty pre-release
	{"0.2.3-alpha, ~0", []string{"0.2.3", "0.2.9"}, []string{"0.2.3-alpha", "0.2.3-beta"}},
	// >1.* is "major > 1", which a 2.0.0 pre-release satisfies
	{"2.0.0-0, >1.*", []string{"2.0.0-0", "2.0.0-alpha", "2.0.0"}, []string{"2.0.1-alpha", "1.9.0"}},
	// >=1.2 is "exactly 1.2 with no pre-release, or above 1.2"
	{"1.2.3-alpha.1, >=1.2", []string{"1.2.3"}, []string{"1.2.3-alpha.1"}},
	// build metadata on the version is ignored everywhere
	{">=1.0.0, <1.0.1", []string{"1.0.0+a", "1.0.0"}, []string{"1.0.1+a"}},
}

func TestComparatorMatches(t *testing.T) {
	t.Parallel()

	r, err := semver.ParseReq(">=1.0.0-alpha")
	require.NoError(t, err)
	c := r.Comparators()[0]
	// same tuple pre-release
	require.True(t, c.Matches(mustVersion(t, "1.0.0-beta")))
	// other tuple pre-release
	require.False(t, c.Matches(mustVersion(t, "1.5.0-alpha")))
	// release
	require.True(t, c.Matches(mustVersion(t, "1.5.0")))
}

func TestReqMatches(t *testing.T) {
	t.Parallel()

	for _, tt := range matchCases {
		r, err := semver.ParseReq(tt.req)
		require.NoError(t, err, tt.req)
		for _, s := range tt.yes {
			v, err := semver.ParseVersion(s)
			require.NoError(t, err, s)
			require.True(t, r.Matches(v), "%q should match %s", tt.req, s)
		}
		for _, s := range tt.no {
			v, err := semver.ParseVersion(s)
			require.NoError(t, err, s)
			require.False(t, r.Matches(v), "%q should not match %s", tt.req, s)
		}
	}
}

func mustVersion(t *testing.T, s string) semver.Version {
	t.Helper()
	v, err := semver.ParseVersion(s)
	require.NoError(t, err)
	return v
}
