package semver_test

import (
	"testing"

	"github.com/wharfhq/wharf/semver"
)

// FuzzParseReq checks that ParseReq never panics, that an accepted
// requirement round-trips through String, and that Matches can evaluate it.
// It also checks that an accepted version is already in canonical form.
func FuzzParseReq(f *testing.F) {
	for _, tt := range matchCases {
		f.Add(tt.req)
	}
	probes := []semver.Version{
		{},
		{Major: 1, Minor: 2, Patch: 3},
		{Major: 1, Minor: 2, Patch: 3, Pre: "alpha.1"},
		{Major: 0, Minor: 2, Patch: 3, Pre: "0", Build: "b"},
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := semver.ParseVersion(s); err == nil && v.String() != s {
			t.Fatalf("ParseVersion(%q).String() = %q", s, v.String())
		}
		r, err := semver.ParseReq(s)
		if err != nil {
			return
		}
		canon := r.String()
		again, err := semver.ParseReq(canon)
		if err != nil {
			t.Fatalf("ParseReq(%q) ok, but its String %q does not parse: %v", s, canon, err)
		}
		if again.String() != canon || len(again.Comparators()) != len(r.Comparators()) {
			t.Fatalf("round trip of %q: %q then %q", s, canon, again.String())
		}
		for i, c := range r.Comparators() {
			if again.Comparators()[i] != c {
				t.Fatalf("round trip of %q changed comparator %d: %+v vs %+v", s, i, c, again.Comparators()[i])
			}
		}
		for _, v := range probes {
			if r.Matches(v) != again.Matches(v) {
				t.Fatalf("round trip of %q changed Matches(%s)", s, v)
			}
		}
	})
}
