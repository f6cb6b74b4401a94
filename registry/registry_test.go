package registry_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/litestore"
	"github.com/wharfhq/wharf/store/pgstore"
)

func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, engine)
		})
	}
}

func jobCount(t *testing.T, st store.Store, kind string) int {
	t.Helper()
	var n int
	var err error
	switch s := st.(type) {
	case *pgstore.Store:
		err = s.Pool().QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE kind = $1", kind).Scan(&n)
	case *litestore.Store:
		err = s.DB().QueryRow("SELECT count(*) FROM river_job WHERE kind = ?", kind).Scan(&n)
	}
	require.NoError(t, err)
	return n
}

func admin(t *testing.T, s *testserver.Server) *auth.Principal {
	t.Helper()
	p, err := s.Registry.Authenticate(context.Background(), auth.Credential{Secret: s.AdminToken})
	require.NoError(t, err)
	return p
}

func publish(t *testing.T, s *testserver.Server, name, vers string) {
	t.Helper()
	body := cratetest.PublishBody(cratetest.Metadata(name, vers), cratetest.Build(name, vers, nil))
	_, err := s.Registry.Publish(context.Background(), admin(t, s), bytes.NewReader(body))
	require.NoError(t, err)
}

func TestJobsAreTransactional(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		ctx := context.Background()
		publish(t, s, "jobbed", "1.0.0")
		require.Equal(t, 1, jobCount(t, s.Store, jobs.CrateReconcileArgs{}.Kind()), "publish enqueues in its transaction")
		require.NoError(t, s.Registry.SetYanked(ctx, admin(t, s), "jobbed", "1.0.0", true))
		require.GreaterOrEqual(t, jobCount(t, s.Store, jobs.CrateReconcileArgs{}.Kind()), 1)

		// A rolled-back transaction leaves neither rows nor jobs behind.
		boom := errors.New("boom")
		err := s.Store.Tx(ctx, func(tx store.Tx) error {
			require.NoError(t, tx.Enqueue(ctx, jobs.BlobGCArgs{}, nil))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Equal(t, 0, jobCount(t, s.Store, jobs.BlobGCArgs{}.Kind()))
	})
}

func TestReconcileWorkerRepairsIndex(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, &testserver.Opts{Jobs: true})
		ctx := context.Background()
		events, cancel := s.Store.Jobs().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		publish(t, s, "repair-me", "1.0.0")
		waitJob(t, events, jobs.CrateReconcileArgs{}.Kind())

		good, err := s.Registry.IndexFile(ctx, "repair-me")
		require.NoError(t, err)
		// Corrupt the rendered file, then let the worker re-derive it.
		c, err := s.Store.CrateGetByKey(ctx, "repair_me")
		require.NoError(t, err)
		require.NoError(t, s.Store.IndexFileUpsert(ctx, store.IndexFileUpsertParams{
			CrateID: c.ID, Path: c.IndexPath, Content: []byte("garbage\n"), Etag: `"x"`, UpdatedAt: time.Now(),
		}))
		_, err = s.Store.Jobs().Insert(ctx, jobs.CrateReconcileArgs{NameKey: "repair_me"}, nil)
		require.NoError(t, err)
		waitJob(t, events, jobs.CrateReconcileArgs{}.Kind())
		repaired, err := s.Registry.IndexFile(ctx, "repair-me")
		require.NoError(t, err)
		require.Equal(t, good.Content, repaired.Content)
		require.Equal(t, good.ETag, repaired.ETag)
	})
}

func waitJob(t *testing.T, events <-chan *river.Event, kind string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != kind {
				continue
			}
			require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job errors: %v", ev.Job.Errors)
			return
		case <-timeout:
			t.Fatalf("job %s did not complete", kind)
		}
	}
}

func TestCollectGarbage(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		ctx := context.Background()
		publish(t, s, "kept", "1.0.0")
		orphan := storage.CrateKey(strings.Repeat("ab", 32))
		require.NoError(t, s.Blobs.Put(ctx, orphan, strings.NewReader("orphan"), 6))

		n, err := s.Registry.CollectGarbage(ctx, time.Hour)
		require.NoError(t, err)
		require.Zero(t, n, "young blobs are kept: their publish may be in flight")
		n, err = s.Registry.CollectGarbage(ctx, -time.Hour)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, err = s.Blobs.Stat(ctx, orphan)
		require.ErrorIs(t, err, storage.ErrNotFound)
		d, err := s.Registry.Download(ctx, "kept", "1.0.0")
		require.NoError(t, err, "referenced blobs survive")
		d.Body.Close()
	})
}
