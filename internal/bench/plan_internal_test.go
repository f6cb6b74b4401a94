package bench

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
)

func TestNewPlan(t *testing.T) {
	t.Parallel()

	t.Run("CratesFlag", func(t *testing.T) {
		t.Parallel()
		p := newPlan(1000, 7)
		require.Len(t, p.crates, 7)
		requireTotal(t, p, 1000)
	})

	t.Run("Deterministic", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, newPlan(5000, 0), newPlan(5000, 0))
	})

	t.Run("MoreCratesThanVersions", func(t *testing.T) {
		t.Parallel()
		p := newPlan(3, 10)
		require.Len(t, p.crates, 3)
		requireTotal(t, p, 3)
	})

	t.Run("Shape", func(t *testing.T) {
		t.Parallel()
		p := newPlan(100_000, 0)
		require.Len(t, p.crates, 5000)
		requireTotal(t, p, 100_000)
		small, hundreds := 0, 0
		for _, c := range p.crates {
			if c.versions <= 5 {
				small++
			}
			if c.versions > 100 {
				hundreds++
			}
		}
		// Most crates have a few versions, some have hundreds.
		require.Greater(t, small, len(p.crates)/2)
		require.Greater(t, hundreds, 50)
		require.Contains(t, p.distribution(), "5000 crates")
	})

	t.Run("ValidMetadata", func(t *testing.T) {
		t.Parallel()
		p := newPlan(2000, 0)
		keys := map[string]bool{}
		for i := range p.crates {
			c := &p.crates[i]
			require.NoError(t, crate.ValidateName(c.name))
			require.False(t, keys[crate.NameKey(c.name)], c.name)
			keys[crate.NameKey(c.name)] = true
			for _, vers := range []string{versionString(0), versionString(c.versions - 1), "99.0.1"} {
				m := c.metadata(vers)
				require.NoError(t, m.Validate(), "%s %s", c.name, vers)
			}
		}
	})
}

func requireTotal(t *testing.T, p *plan, total int) {
	t.Helper()
	sum := 0
	for _, c := range p.crates {
		require.GreaterOrEqual(t, c.versions, 1)
		require.LessOrEqual(t, c.versions, maxCrateVersions)
		sum += c.versions
	}
	require.Equal(t, total, sum)
	require.Equal(t, total, p.versions)
}
