package semver_test

import (
	"fmt"
	"strings"
	"testing"

	depsdev "deps.dev/util/semver"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/semver"
)

// TestMatchesAgreesWithDepsDev cross-checks Req.Matches against
// deps.dev/util/semver in Cargo mode, an independent implementation that
// cargo-protocol.md §15.1 found identical to cargo on its 65 cases, over a
// generated grid of requirements and versions plus the golden table.
//
// Two classes are excluded, where this package follows the Rust crate's
// eval.rs and deps.dev does not (both pinned in matchCases):
//   - a pre-release version against a requirement with a partial comparator
//     (no patch: "~1", ">=1.2", "1.2.*"): eval.rs compares component by
//     component (a wildcard or partial tilde demands an empty pre-release,
//     ">1.*" only looks at the major) while deps.dev uses intervals;
//   - comma lists whose comparators only touch at one boundary ("<1, 1" vs
//     1.0.0, "<0.2.3, =0.2.3" vs 0.2.3): deps.dev's interval intersection
//     wrongly matches the boundary. Comma lists are therefore checked on
//     releases against the AND of deps.dev's per-comparator answers.
func TestMatchesAgreesWithDepsDev(t *testing.T) {
	t.Parallel()

	versions := gridVersions()
	singles, pairs := gridReqs()
	for _, tt := range matchCases {
		versions = append(versions, tt.yes...)
		versions = append(versions, tt.no...)
	}
	type parsed struct {
		ours   semver.Version
		theirs *depsdev.Version
	}
	vs := make([]parsed, 0, len(versions))
	for _, s := range versions {
		ours, err := semver.ParseVersion(s)
		require.NoError(t, err, s)
		theirs, err := depsdev.Cargo.Parse(s)
		require.NoError(t, err, s)
		vs = append(vs, parsed{ours, theirs})
	}
	depsDev := func(s string) *depsdev.Constraint {
		c, err := depsdev.Cargo.ParseConstraint(s)
		require.NoError(t, err, s)
		return c
	}
	ours := func(s string) semver.Req {
		r, err := semver.ParseReq(s)
		require.NoError(t, err, s)
		return r
	}

	checked := 0
	for _, s := range singles {
		r, theirs := ours(s), depsDev(s)
		partial := len(r.Comparators()) == 1 && !r.Comparators()[0].HasPatch
		for _, v := range vs {
			if partial && v.ours.IsPrerelease() {
				continue
			}
			require.Equal(t, theirs.MatchVersion(v.theirs), r.Matches(v.ours), "req %q version %s", s, v.ours)
			checked++
		}
	}
	for _, p := range pairs {
		r, a, b := ours(p[0]+", "+p[1]), depsDev(p[0]), depsDev(p[1])
		for _, v := range vs {
			if v.ours.IsPrerelease() {
				continue
			}
			want := a.MatchVersion(v.theirs) && b.MatchVersion(v.theirs)
			require.Equal(t, want, r.Matches(v.ours), "req %q, %q version %s", p[0], p[1], v.ours)
			checked++
		}
	}
	t.Logf("%d requirement/version pairs agree", checked)
}

// gridVersions returns releases and pre-releases around 0.0.x, 0.x and 1.x.
func gridVersions() []string {
	var out []string
	for _, major := range []int{0, 1, 2} {
		for _, minor := range []int{0, 1, 2, 3} {
			for _, patch := range []int{0, 2, 3, 4} {
				for _, pre := range []string{"", "-0", "-alpha", "-alpha.1", "-beta.2"} {
					out = append(out, fmt.Sprintf("%d.%d.%d%s", major, minor, patch, pre))
				}
			}
		}
	}
	return out
}

// gridReqs returns every operator applied to full, partial, pre-release and
// wildcard versions, and a sample of pairs of them.
func gridReqs() (singles []string, pairs [][2]string) {
	bases := []string{
		"0", "0.0", "0.0.3", "0.2", "0.2.3", "0.2.3-alpha", "1", "1.2", "1.2.3",
		"1.2.3-alpha.1", "1.2.3-beta.2", "2.0.0-0", "1.*", "1.2.*", "0.*", "0.0.*",
	}
	singles = []string{"*"}
	for _, op := range []string{"", "^", "~", "=", ">", ">=", "<", "<="} {
		for _, b := range bases {
			singles = append(singles, op+b)
		}
	}
	for _, tt := range matchCases {
		if !strings.Contains(tt.req, ",") {
			singles = append(singles, tt.req)
		}
	}
	for i, a := range singles {
		for j, b := range singles {
			// A bare wildcard cannot be combined; every 5th pair keeps the
			// test fast.
			if !isStar(a) && !isStar(b) && (i*len(singles)+j)%5 == 0 {
				pairs = append(pairs, [2]string{a, b})
			}
		}
	}
	return singles, pairs
}

func isStar(s string) bool { return s == "*" || s == "x" || s == "X" }
