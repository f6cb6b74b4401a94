package registry_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/store/pgstore"
)

// TestDownloadCountsSurviveDatabaseOutage: counts buffered while the
// database is unreachable are kept by a failed flush and written by the
// next one.
func TestDownloadCountsSurviveDatabaseOutage(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, "postgres", nil)
	ctx := context.Background()
	publish(t, s, "counted", "1.0.0")
	download := func() {
		d, err := s.Registry.Download(ctx, "counted", "1.0.0")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, d.Body)
		require.NoError(t, d.Body.Close())
	}
	for range 3 {
		download()
	}
	require.NoError(t, s.Registry.FlushDownloads(ctx))
	for range 4 {
		download()
	}

	end := testdb.Outage(t, s.Store.(*pgstore.Store).Pool().Config().ConnString())
	require.Error(t, s.Registry.FlushDownloads(ctx), "the database is unreachable")
	require.Error(t, s.Registry.FlushDownloads(ctx), "still unreachable; the counts are still buffered")
	end()

	// Pooled connections from before the outage fail once each.
	deadline := time.Now().Add(10 * time.Second)
	for err := s.Registry.FlushDownloads(ctx); err != nil; err = s.Registry.FlushDownloads(ctx) {
		require.True(t, time.Now().Before(deadline), "flush still failing 10s after the outage: %v", err)
	}
	res, err := s.Registry.Search(ctx, "counted", 10, 1)
	require.NoError(t, err)
	require.Len(t, res.Crates, 1)
	require.Equal(t, int64(7), res.Crates[0].Downloads, "no count lost, none doubled")
}
