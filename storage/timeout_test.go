package storage_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/memory"
)

func TestWithTimeout(t *testing.T) {
	t.Parallel()

	const timeout = 50 * time.Millisecond

	// requireDeadline checks that the wrapper gave ctx a deadline of about
	// timeout from now.
	requireDeadline := func(t *testing.T, ctx context.Context, called time.Time) {
		t.Helper()
		deadline, ok := ctx.Deadline()
		require.True(t, ok, "no deadline")
		require.WithinDuration(t, called.Add(timeout), deadline, 5*time.Second)
	}

	t.Run("BlockingCallsTimeOut", func(t *testing.T) {
		t.Parallel()
		fake := &fakeStore{
			DeleteFunc: func(ctx context.Context, _ string) error { return blockUntilDone(ctx) },
			ListFunc: func(ctx context.Context, _ string, _ func(storage.Info) error) error {
				return blockUntilDone(ctx)
			},
			OpenFunc: func(ctx context.Context, _ string) (io.ReadCloser, storage.Info, error) {
				return nil, storage.Info{}, blockUntilDone(ctx)
			},
			PutFunc: func(ctx context.Context, _ string, _ io.Reader, _ int64) error { return blockUntilDone(ctx) },
			StatFunc: func(ctx context.Context, _ string) (storage.Info, error) {
				return storage.Info{}, blockUntilDone(ctx)
			},
		}
		s := storage.WithTimeout(fake, timeout)
		ctx := t.Context()

		_, err := s.Stat(ctx, "k")
		requireTimeout(t, err)
		_, _, err = s.Open(ctx, "k")
		requireTimeout(t, err)
		requireTimeout(t, s.Put(ctx, "k", strings.NewReader("x"), 1))
		requireTimeout(t, s.Delete(ctx, "k"))
		requireTimeout(t, s.List(ctx, "", func(storage.Info) error { return nil }))
	})

	t.Run("CallerContextStillRules", func(t *testing.T) {
		t.Parallel()
		s := storage.WithTimeout(memory.New(), time.Hour)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Stat(ctx, "k")
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("OpenReaderStopsAtDeadline", func(t *testing.T) {
		t.Parallel()
		var opened context.Context
		fake := &fakeStore{OpenFunc: func(ctx context.Context, _ string) (io.ReadCloser, storage.Info, error) {
			requireDeadline(t, ctx, time.Now())
			opened = ctx
			// A reader that ignores contexts, like *os.File.
			return io.NopCloser(strings.NewReader("0123456789")), storage.Info{Key: "k", Size: 10}, nil
		}}
		s := storage.WithTimeout(fake, timeout)

		rc, info, err := s.Open(t.Context(), "k")
		require.NoError(t, err)
		require.Equal(t, int64(10), info.Size)
		buf := make([]byte, 4)
		_, err = io.ReadFull(rc, buf)
		require.NoError(t, err, "reads work before the deadline")

		<-opened.Done() // the deadline checked above passes
		_, err = rc.Read(buf)
		requireTimeout(t, err)
		require.NoError(t, rc.Close())
	})

	t.Run("OpenReaderCloseReleases", func(t *testing.T) {
		t.Parallel()
		var opened context.Context
		fake := &fakeStore{OpenFunc: func(ctx context.Context, _ string) (io.ReadCloser, storage.Info, error) {
			opened = ctx
			return io.NopCloser(strings.NewReader("x")), storage.Info{}, nil
		}}
		rc, _, err := storage.WithTimeout(fake, time.Hour).Open(t.Context(), "k")
		require.NoError(t, err)
		require.NoError(t, opened.Err())
		require.NoError(t, rc.Close())
		require.ErrorIs(t, opened.Err(), context.Canceled)
	})

	t.Run("PassesResultsThrough", func(t *testing.T) {
		t.Parallel()
		called := time.Now()
		fake := &fakeStore{StatFunc: func(ctx context.Context, key string) (storage.Info, error) {
			requireDeadline(t, ctx, called)
			return storage.Info{Key: key, Size: 3}, nil
		}}
		info, err := storage.WithTimeout(fake, timeout).Stat(t.Context(), "k")
		require.NoError(t, err)
		require.Equal(t, storage.Info{Key: "k", Size: 3}, info)

		_, err = storage.WithTimeout(memory.New(), time.Minute).Stat(t.Context(), "missing")
		require.ErrorIs(t, err, storage.ErrNotFound)
		require.NotErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("Redirector", func(t *testing.T) {
		t.Parallel()
		_, ok := storage.WithTimeout(memory.New(), timeout).(storage.Redirector)
		require.False(t, ok, "memory store has no redirects; the wrapper must not invent them")

		fake := &fakeRedirector{RedirectURLFunc: func(ctx context.Context, key string, _ time.Duration) (string, error) {
			return "https://example.invalid/" + key, blockUntilDone(ctx)
		}}
		r, ok := storage.WithTimeout(fake, timeout).(storage.Redirector)
		require.True(t, ok)
		_, err := r.RedirectURL(t.Context(), "k", time.Minute)
		requireTimeout(t, err)
	})

	t.Run("ZeroIsNoTimeout", func(t *testing.T) {
		t.Parallel()
		s := memory.New()
		require.Same(t, storage.Store(s), storage.WithTimeout(s, 0))
	})
}

func requireTimeout(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "storage timeout after 50ms")
}
