package storage_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/memory"
)

func TestWithRetry(t *testing.T) {
	t.Parallel()

	fast := storage.RetryOpts{MaxAttempts: 5, MinDelay: time.Microsecond, MaxDelay: time.Millisecond, Jitter: true}

	// flakyStat fails failures times with err, then succeeds.
	flakyStat := func(failures int, err error) (*fakeStore, *int) {
		calls := new(int)
		return &fakeStore{StatFunc: func(_ context.Context, key string) (storage.Info, error) {
			*calls++
			if *calls <= failures {
				return storage.Info{}, err
			}
			return storage.Info{Key: key, Size: 1}, nil
		}}, calls
	}

	t.Run("FlakyThenSucceeds", func(t *testing.T) {
		t.Parallel()
		fake, calls := flakyStat(3, errTransient)
		info, err := storage.WithRetry(fake, fast).Stat(t.Context(), "k")
		require.NoError(t, err)
		require.Equal(t, "k", info.Key)
		require.Equal(t, 4, *calls)
	})

	t.Run("GivesUp", func(t *testing.T) {
		t.Parallel()
		fake, calls := flakyStat(100, errTransient)
		_, err := storage.WithRetry(fake, fast).Stat(t.Context(), "k")
		require.ErrorIs(t, err, errTransient)
		require.ErrorContains(t, err, "giving up after 5 attempts")
		require.Equal(t, 5, *calls)
	})

	t.Run("ListResumesAfterLastKey", func(t *testing.T) {
		t.Parallel()
		calls := 0
		fake := &fakeStore{ListFunc: func(_ context.Context, _ string, fn func(storage.Info) error) error {
			calls++
			for i, key := range []string{"a", "b", "c"} {
				if calls == 1 && i == 2 {
					return errTransient // fails after delivering a and b
				}
				if err := fn(storage.Info{Key: key}); err != nil {
					return err
				}
			}
			return nil
		}}
		var got []string
		err := storage.WithRetry(fake, fast).List(t.Context(), "", func(info storage.Info) error {
			got = append(got, info.Key)
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b", "c"}, got)
		require.Equal(t, 2, calls)
	})

	t.Run("ListCallbackErrorNotRetried", func(t *testing.T) {
		t.Parallel()
		calls := 0
		fake := &fakeStore{ListFunc: func(_ context.Context, _ string, fn func(storage.Info) error) error {
			calls++
			return fn(storage.Info{Key: "a"})
		}}
		err := storage.WithRetry(fake, fast).List(t.Context(), "", func(storage.Info) error { return errBroken })
		require.ErrorIs(t, err, errBroken)
		require.Equal(t, 1, calls)
	})

	t.Run("NotRetried", func(t *testing.T) {
		t.Parallel()
		for _, permanent := range []error{
			storage.ErrNotFound, storage.ErrInvalidKey, storage.ErrSizeMismatch, storage.ErrPermanent, context.Canceled,
		} {
			fake, calls := flakyStat(1, permanent)
			_, err := storage.WithRetry(fake, fast).Stat(t.Context(), "k")
			require.ErrorIs(t, err, permanent)
			require.Equal(t, 1, *calls, "%v retried", permanent)
		}
	})

	t.Run("OpenRetried", func(t *testing.T) {
		t.Parallel()
		calls := 0
		fake := &fakeStore{OpenFunc: func(context.Context, string) (io.ReadCloser, storage.Info, error) {
			calls++
			if calls < 3 {
				return nil, storage.Info{}, errTransient
			}
			return io.NopCloser(strings.NewReader("ok")), storage.Info{Key: "k", Size: 2}, nil
		}}
		rc, info, err := storage.WithRetry(fake, fast).Open(t.Context(), "k")
		require.NoError(t, err)
		defer rc.Close()
		require.Equal(t, int64(2), info.Size)
		require.Equal(t, 3, calls)
	})

	t.Run("PerAttemptDeadlineRetried", func(t *testing.T) {
		t.Parallel()
		fake, calls := flakyStat(2, context.DeadlineExceeded)
		_, err := storage.WithRetry(fake, fast).Stat(t.Context(), "k")
		require.NoError(t, err)
		require.Equal(t, 3, *calls)
	})

	t.Run("PutRewindsSeeker", func(t *testing.T) {
		t.Parallel()
		var got []string
		fake := &fakeStore{PutFunc: func(_ context.Context, _ string, r io.Reader, _ int64) error {
			p, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			got = append(got, string(p))
			if len(got) < 3 {
				return errTransient // after consuming the reader
			}
			return nil
		}}
		r := bytes.NewReader([]byte("hdr:payload"))
		_, err := r.Seek(4, io.SeekStart) // the object starts mid-reader
		require.NoError(t, err)
		require.NoError(t, storage.WithRetry(fake, fast).Put(t.Context(), "k", r, 7))
		require.Equal(t, []string{"payload", "payload", "payload"}, got)
	})

	t.Run("PutStreamNotRetried", func(t *testing.T) {
		t.Parallel()
		calls := 0
		fake := &fakeStore{PutFunc: func(context.Context, string, io.Reader, int64) error {
			calls++
			return errTransient
		}}
		err := storage.WithRetry(fake, fast).Put(t.Context(), "k", io.MultiReader(strings.NewReader("x")), 1)
		require.ErrorIs(t, err, errTransient)
		require.Equal(t, 1, calls)
	})

	t.Run("Redirector", func(t *testing.T) {
		t.Parallel()
		_, ok := storage.WithRetry(memory.New(), fast).(storage.Redirector)
		require.False(t, ok)

		calls := 0
		fake := &fakeRedirector{RedirectURLFunc: func(context.Context, string, time.Duration) (string, error) {
			calls++
			if calls == 1 {
				return "", errTransient
			}
			return "https://example.invalid/k", nil
		}}
		r, ok := storage.WithRetry(fake, fast).(storage.Redirector)
		require.True(t, ok)
		u, err := r.RedirectURL(t.Context(), "k", time.Minute)
		require.NoError(t, err)
		require.Equal(t, "https://example.invalid/k", u)
		require.Equal(t, 2, calls)
	})

	t.Run("WaitEndsWithContext", func(t *testing.T) {
		t.Parallel()
		firstCall := make(chan struct{})
		fake := &fakeStore{DeleteFunc: func(context.Context, string) error {
			select {
			case <-firstCall:
			default:
				close(firstCall)
			}
			return errTransient
		}}
		// An hour's backoff: only the context can end the wait.
		s := storage.WithRetry(fake, storage.RetryOpts{MaxAttempts: 3, MinDelay: time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Delete(ctx, "k") }()

		<-firstCall
		cancel()
		guard := time.NewTimer(20 * time.Second)
		defer guard.Stop()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled)
			require.ErrorIs(t, err, errTransient)
		case <-guard.C:
			t.Fatal("retry wait ignored the canceled context")
		}
	})
}
