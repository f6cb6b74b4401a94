package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/store"
)

// seedDay adds n downloads of name@vers on the day daysAgo days before now.
func seedDay(t *testing.T, s *testserver.Server, name, vers string, daysAgo int, n int64) {
	t.Helper()
	ctx := context.Background()
	c, err := s.Store.CrateGetByKey(ctx, crate.NameKey(name))
	require.NoError(t, err)
	rows, err := s.Store.VersionListByCrate(ctx, c.ID)
	require.NoError(t, err)
	for _, r := range rows {
		if r.Version == vers {
			day := time.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly)
			require.NoError(t, s.Store.Tx(ctx, func(tx store.Tx) error {
				if err := tx.VersionDownloadsAdd(ctx, store.VersionDownloadsAddParams{VersionID: r.ID, Day: day, N: n}); err != nil {
					return err
				}
				return tx.CrateAddDownloads(ctx, store.CrateAddDownloadsParams{ID: c.ID, N: n})
			}))
			return
		}
	}
	t.Fatalf("no version %s of %s", vers, name)
}

func TestStats(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		ctx := context.Background()
		publish(t, s, "older", "1.0.0")
		publish(t, s, "newer", "0.1.0")
		publish(t, s, "newer", "0.2.0")
		seedDay(t, s, "older", "1.0.0", 0, 5)
		seedDay(t, s, "older", "1.0.0", 30, 2)
		seedDay(t, s, "older", "1.0.0", 500, 9) // kept in the total, not in the series
		seedDay(t, s, "newer", "0.2.0", 1, 3)

		totals, err := s.Registry.Totals(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(2), totals.Crates)
		require.Equal(t, int64(3), totals.Versions)
		require.Equal(t, int64(19), totals.Downloads)

		top, err := s.Registry.TopDownloaded(ctx, 10)
		require.NoError(t, err)
		require.Len(t, top, 2)
		require.Equal(t, "older", top[0].Name)
		require.Equal(t, int64(16), top[0].Downloads)
		require.Equal(t, "0.2.0", top[1].MaxVersion)

		recent, err := s.Registry.RecentVersions(ctx, 2)
		require.NoError(t, err)
		require.Len(t, recent, 2)
		require.Equal(t, "newer", recent[0].Name)
		require.Equal(t, "0.2.0", recent[0].Version)
		require.Equal(t, "0.1.0", recent[1].Version)

		series, total, err := s.Registry.CrateDownloads(ctx, "older", 90)
		require.NoError(t, err)
		require.Equal(t, int64(16), total)
		require.Len(t, series, 2)
		require.Equal(t, int64(2), series[0].Downloads)
		require.Equal(t, int64(5), series[1].Downloads)

		// Retention deletes old daily rows only; totals stay.
		n, err := s.Registry.PruneDownloads(ctx, 400)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		n, err = s.Registry.PruneDownloads(ctx, 400)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = s.Registry.PruneDownloads(ctx, 10)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		_, total, err = s.Registry.CrateDownloads(ctx, "older", 90)
		require.NoError(t, err)
		require.Equal(t, int64(16), total)
		_, err = s.Registry.PruneDownloads(ctx, 0)
		require.Error(t, err)
	})
}
