package jobs

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
)

type fakePruner struct{ keep []int }

func (f *fakePruner) PruneDownloads(_ context.Context, keepDays int) (int64, error) {
	f.keep = append(f.keep, keepDays)
	return 0, nil
}

func TestWithDownloadRetention(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want int }{
		{0, DefaultDownloadRetentionDays}, // default
		{30, 90},                          // never below the chart's window
		{730, 730},
	} {
		require.Equal(t, tc.want, retentionDays(tc.in))
		f := &fakePruner{}
		w := &downloadsPruneWorker{reg: f, keepDays: retentionDays(tc.in)}
		require.NoError(t, w.Work(context.Background(), &river.Job[DownloadsPruneArgs]{}))
		require.Equal(t, []int{tc.want}, f.keep)
	}
	require.Len(t, WithDownloadRetention(&river.Config{}, &fakePruner{}, 0).PeriodicJobs, 1)
	cfg := Config(&nopRegistry{})
	WithDownloadRetention(cfg, &fakePruner{}, 0)
	require.Len(t, cfg.PeriodicJobs, 2, "added to the serving configuration")
	require.Equal(t, "downloads_prune", DownloadsPruneArgs{}.Kind())
	require.Equal(t, QueueMaintenance, DownloadsPruneArgs{}.InsertOpts().Queue)
}

type nopRegistry struct{ Registry }
