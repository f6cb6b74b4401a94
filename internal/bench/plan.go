package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
)

// plan is the generated content of one registry: crates with their version
// counts, dependencies and features. It is deterministic for given sizes.
type plan struct {
	crates   []plannedCrate
	versions int
}

type plannedCrate struct {
	name     string
	deps     []crate.Dep
	features map[string][]string
	versions int
}

// Crate sizes follow a log-normal distribution scaled to the requested total:
// most crates have a handful of versions, a few percent have hundreds (like
// crates.io, where the median crate has few releases and popular ones have
// hundreds). One crate never exceeds maxCrateVersions.
const (
	sizeSigma        = 1.8
	maxCrateVersions = 1000
	// defaultVersionsPerCrate sets the crate count when --crates is 0.
	defaultVersionsPerCrate = 20
)

// newPlan spreads total versions over n crates (n = 0: total/20).
func newPlan(total, n int) *plan {
	if n <= 0 {
		n = max(1, total/defaultVersionsPerCrate)
	}
	n = min(n, total)
	rng := rand.New(rand.NewPCG(uint64(total), uint64(n)))
	sizes := crateSizes(rng, total, n)
	names := crateNames(rng, n)
	p := &plan{crates: make([]plannedCrate, n), versions: total}
	for i := range n {
		deps, features := crateDeps(rng, names[:i])
		p.crates[i] = plannedCrate{name: names[i], deps: deps, features: features, versions: sizes[i]}
	}
	return p
}

// crateSizes draws n log-normal weights and scales them so the sizes (each
// 1..maxCrateVersions) sum to total exactly.
func crateSizes(rng *rand.Rand, total, n int) []int {
	limit := max(maxCrateVersions, (total+n-1)/n)
	weights := make([]float64, n)
	for i := range weights {
		weights[i] = math.Exp(sizeSigma * rng.NormFloat64())
	}
	sizesAt := func(scale float64) ([]int, int) {
		sizes := make([]int, n)
		sum := 0
		for i, w := range weights {
			sizes[i] = min(limit, max(1, int(math.Round(w*scale))))
			sum += sizes[i]
		}
		return sizes, sum
	}
	lo, hi := 0.0, float64(total)
	for range 100 {
		mid := (lo + hi) / 2
		if _, sum := sizesAt(mid); sum < total {
			lo = mid
		} else {
			hi = mid
		}
	}
	sizes, sum := sizesAt(hi)
	// Rounding leaves a small difference: take it from (or give it to) the
	// largest crates that can absorb it.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return sizes[b] - sizes[a] })
	for i := 0; sum != total; i = (i + 1) % n {
		j := order[i]
		switch {
		case sum > total && sizes[j] > 1:
			sizes[j]--
			sum--
		case sum < total && sizes[j] < limit:
			sizes[j]++
			sum++
		}
	}
	return sizes
}

var (
	syllables = []string{
		"ba", "co", "de", "fi", "gu", "ha", "jo", "ka", "li", "mo", "nu", "pa", "ro", "sa", "te", "vi", "wu",
		"xo", "ya", "zen", "tok", "ser", "rand", "sync", "log", "http", "hy", "per", "net", "io", "ap", "arg",
		"par", "re", "ge", "ax", "um", "ix", "lo", "quo", "tra", "bit", "byte", "fut", "tur", "mio",
	}
	suffixes = []string{"-core", "-derive", "-macros", "-sys", "-utils", "_impl", "-types", "-rt"}
)

// crateNames returns n distinct valid crate names (distinct by NameKey) of
// varied length, so index paths spread over the 1/, 2/, 3/ and ab/cd/
// directories.
func crateNames(rng *rand.Rand, n int) []string {
	seen := make(map[string]bool, n)
	names := make([]string, 0, n)
	for len(names) < n {
		var b strings.Builder
		for range 1 + rng.IntN(3) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		if rng.IntN(4) == 0 {
			b.WriteString(suffixes[rng.IntN(len(suffixes))])
		}
		name := b.String()
		if seen[crate.NameKey(name)] {
			name = fmt.Sprintf("%s%d", name, len(names))
		}
		if seen[crate.NameKey(name)] || crate.ValidateName(name) != nil {
			continue
		}
		seen[crate.NameKey(name)] = true
		names = append(names, name)
	}
	return names
}

// crateDeps picks up to six dependencies among earlier crates (so they
// exist), some optional (exposed as "dep:" features, which makes the index
// line v2) and some dev-only.
func crateDeps(rng *rand.Rand, earlier []string) ([]crate.Dep, map[string][]string) {
	features := map[string][]string{"default": {"std"}, "std": {}}
	nd := min(len(earlier), rng.IntN(7))
	deps := make([]crate.Dep, 0, nd)
	used := map[string]bool{}
	for len(deps) < nd {
		name := earlier[rng.IntN(len(earlier))]
		if used[name] {
			continue
		}
		used[name] = true
		d := crate.Dep{
			Name: name, VersionReq: fmt.Sprintf("^0.%d", rng.IntN(10)), Features: []string{},
			DefaultFeatures: true, Kind: "normal",
		}
		switch rng.IntN(5) {
		case 0:
			d.Kind = "dev"
		case 1:
			d.Optional = true
			features["with-"+crate.NameKey(name)] = []string{"dep:" + name}
		}
		deps = append(deps, d)
	}
	return deps, features
}

// versionString is the i-th version of a crate (increasing: 0.0.0, 0.0.1, …
// 0.0.9, 0.1.0, … 1.0.0 …).
func versionString(i int) string {
	return fmt.Sprintf("%d.%d.%d", i/100, i/10%10, i%10)
}

// metadata is the publish metadata of version vers of c.
func (c *plannedCrate) metadata(vers string) crate.Metadata {
	m := cratetest.Metadata(c.name, vers)
	m.Deps = c.deps
	m.Features = c.features
	return m
}

// distribution summarises crate sizes for the report.
func (p *plan) distribution() string {
	buckets := []struct {
		label string
		max   int
	}{{"1", 1}, {"2–5", 5}, {"6–20", 20}, {"21–100", 100}, {"101–500", 500}, {">500", math.MaxInt}}
	counts := make([]int, len(buckets))
	largest := 0
	for _, c := range p.crates {
		largest = max(largest, c.versions)
		for i, b := range buckets {
			if c.versions <= b.max {
				counts[i]++
				break
			}
		}
	}
	parts := make([]string, 0, len(buckets))
	for i, b := range buckets {
		parts = append(parts, fmt.Sprintf("%s: %d", b.label, counts[i]))
	}
	return fmt.Sprintf("%d crates by version count — %s; largest %d", len(p.crates), strings.Join(parts, ", "), largest)
}
