// Package jobs declares Wharf's River job kinds and their workers. Workers
// are thin and idempotent: they re-derive state from the database through a
// consumer-side interface, never from job arguments alone.
package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// CrateReconcileArgs re-derives a crate's sparse-index file and summary from
// its version rows. Inserted by publish, yank and unyank in their transaction.
type CrateReconcileArgs struct {
	NameKey string `json:"name_key" river:"unique"`
}

func (CrateReconcileArgs) Kind() string { return "crate_reconcile" }

func (CrateReconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueIndex, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateScheduled, rivertype.JobStateRetryable,
	}}}
}

// BlobGCArgs deletes stored .crate blobs that no version references (left by
// a publish whose transaction failed after the upload).
type BlobGCArgs struct{}

func (BlobGCArgs) Kind() string { return "blob_gc" }

func (BlobGCArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// Queue names.
const (
	QueueIndex       = "index"
	QueueMaintenance = "maintenance"
)

// Registry is what the workers need from the registry service.
type Registry interface {
	ReconcileCrate(ctx context.Context, nameKey string) error
	CollectGarbage(ctx context.Context, olderThan time.Duration) (int, error)
	// SyncIndexRepo brings the local git index up to date and pushes it to
	// the remote mirror when one is configured (no-op without a git index).
	SyncIndexRepo(ctx context.Context) error
}

type indexSyncWorker struct {
	river.WorkerDefaults[IndexSyncArgs]
	reg Registry
}

// NextRetry retries pushes to an unreachable remote quickly at first, then
// every minute, for as long as it takes.
func (w *indexSyncWorker) NextRetry(job *river.Job[IndexSyncArgs]) time.Time {
	d := time.Duration(1<<min(job.Attempt, 6)) * time.Second
	return time.Now().Add(min(d, time.Minute))
}

func (w *indexSyncWorker) Timeout(*river.Job[IndexSyncArgs]) time.Duration { return 5 * time.Minute }

func (w *indexSyncWorker) Work(ctx context.Context, _ *river.Job[IndexSyncArgs]) error {
	if err := w.reg.SyncIndexRepo(ctx); err != nil {
		return fmt.Errorf("sync git index: %w", err)
	}
	return nil
}

type crateReconcileWorker struct {
	river.WorkerDefaults[CrateReconcileArgs]
	reg Registry
}

func (w *crateReconcileWorker) Work(ctx context.Context, job *river.Job[CrateReconcileArgs]) error {
	if err := w.reg.ReconcileCrate(ctx, job.Args.NameKey); err != nil {
		return fmt.Errorf("reconcile crate %s: %w", job.Args.NameKey, err)
	}
	return nil
}

type blobGCWorker struct {
	river.WorkerDefaults[BlobGCArgs]
	reg Registry
}

func (w *blobGCWorker) Timeout(*river.Job[BlobGCArgs]) time.Duration { return 10 * time.Minute }

func (w *blobGCWorker) Work(ctx context.Context, _ *river.Job[BlobGCArgs]) error {
	if _, err := w.reg.CollectGarbage(ctx, time.Hour); err != nil {
		return fmt.Errorf("collect garbage: %w", err)
	}
	return nil
}

// Config returns the River configuration for a serving process: workers,
// queues and periodic jobs.
func Config(reg Registry) *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, &crateReconcileWorker{reg: reg})
	river.AddWorker(workers, &blobGCWorker{reg: reg})
	river.AddWorker(workers, &indexSyncWorker{reg: reg})
	return &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 2},
			QueueIndex:         {MaxWorkers: 1},
			QueueMaintenance:   {MaxWorkers: 1},
		},
		Workers:              workers,
		RescueStuckJobsAfter: 15 * time.Minute, // > the longest job timeout (blob_gc: 10 min)
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return BlobGCArgs{}, nil
			}, &river.PeriodicJobOpts{ID: "blob_gc"}),
		},
	}
}

// IndexSyncArgs brings the executing replica's git index repository up to
// date with the index change log and, when configured, pushes it to the
// remote mirror. Inserted with every index change, in its transaction.
type IndexSyncArgs struct{}

func (IndexSyncArgs) Kind() string { return "index_sync" }

func (IndexSyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueIndex, MaxAttempts: 100_000, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled, rivertype.JobStateRetryable,
		rivertype.JobStateRunning,
	}}}
}
