package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// DefaultDownloadRetentionDays is how long daily download rows are kept when
// no retention is configured. The web UI charts the last 90 days.
const DefaultDownloadRetentionDays = 400

// DownloadsPruneArgs deletes daily download rows older than the retention
// (version and crate totals are kept). Periodic, daily.
type DownloadsPruneArgs struct{}

func (DownloadsPruneArgs) Kind() string { return "downloads_prune" }

func (DownloadsPruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// DownloadPruner is what the prune worker needs from the registry service.
type DownloadPruner interface {
	PruneDownloads(ctx context.Context, keepDays int) (int64, error)
}

type downloadsPruneWorker struct {
	river.WorkerDefaults[DownloadsPruneArgs]
	reg      DownloadPruner
	keepDays int
}

func (w *downloadsPruneWorker) Timeout(*river.Job[DownloadsPruneArgs]) time.Duration {
	return 10 * time.Minute
}

func (w *downloadsPruneWorker) Work(ctx context.Context, _ *river.Job[DownloadsPruneArgs]) error {
	if _, err := w.reg.PruneDownloads(ctx, w.keepDays); err != nil {
		return fmt.Errorf("prune daily downloads: %w", err)
	}
	return nil
}

// WithDownloadRetention adds the downloads_prune worker and its daily
// periodic job to cfg (from Config) and returns cfg. keepDays < 90 (the
// chart's window) is raised to 90; 0 means DefaultDownloadRetentionDays.
func WithDownloadRetention(cfg *river.Config, reg DownloadPruner, keepDays int) *river.Config {
	keepDays = retentionDays(keepDays)
	if cfg.Workers == nil {
		cfg.Workers = river.NewWorkers()
	}
	river.AddWorker(cfg.Workers, &downloadsPruneWorker{reg: reg, keepDays: keepDays})
	cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return DownloadsPruneArgs{}, nil },
		&river.PeriodicJobOpts{ID: "downloads_prune", RunOnStart: true}))
	return cfg
}

// retentionDays applies the default and the 90-day floor.
func retentionDays(keepDays int) int {
	if keepDays == 0 {
		return DefaultDownloadRetentionDays
	}
	return max(keepDays, 90)
}
