package s3_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/s3"
)

// errGuard ends a test's context if the code under test never times out, so
// that a broken timeout fails the test instead of hanging it.
var errGuard = errors.New("guard deadline: the storage timeout did not fire")

// TestTimeoutAgainstHangingServer points the S3 store at an endpoint that
// accepts requests and never answers (GET sends a few body bytes first).
func TestTimeoutAgainstHangingServer(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		ctx      context.Context
		requests *atomic.Int32
		store    *s3.Store
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		requests := &atomic.Int32{}
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			if r.Method == http.MethodGet {
				w.Header().Set("Content-Length", "1000")
				_, _ = io.WriteString(w, "partial...")
				w.(http.Flusher).Flush()
			}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(func() {
			close(release)
			srv.Close()
		})
		store, err := s3.New(t.Context(), s3.Config{
			AccessKey: "ak", Bucket: "hang", Endpoint: srv.URL, MaxAttempts: 1, SecretKey: "sk",
		})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeoutCause(t.Context(), 20*time.Second, errGuard)
		t.Cleanup(cancel)
		return &testBundle{ctx: ctx, requests: requests, store: store}
	}
	requireTimedOut := func(t *testing.T, b *testBundle, err error) {
		t.Helper()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "storage timeout after")
		require.NoError(t, context.Cause(b.ctx), "only the guard deadline ended the call")
	}

	t.Run("Calls", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := storage.WithTimeout(b.store, 100*time.Millisecond)

		_, err := s.Stat(b.ctx, "k")
		requireTimedOut(t, b, err)
		err = s.Put(b.ctx, "k", strings.NewReader("data"), 4)
		requireTimedOut(t, b, err)
		err = s.Delete(b.ctx, "k")
		requireTimedOut(t, b, err)
		err = s.List(b.ctx, "", func(storage.Info) error { return nil })
		requireTimedOut(t, b, err)
		require.Equal(t, int32(4), b.requests.Load())
	})

	t.Run("OpenCoversTheRead", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := storage.WithTimeout(b.store, 300*time.Millisecond)

		rc, _, err := s.Open(b.ctx, "k")
		require.NoError(t, err, "headers arrive at once")
		defer rc.Close()
		got, err := io.ReadAll(rc)
		requireTimedOut(t, b, err)
		require.Equal(t, "partial...", string(got))
	})

	t.Run("RetryEachAttemptTimesOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := storage.WithRetry(storage.WithTimeout(b.store, 50*time.Millisecond),
			storage.RetryOpts{MaxAttempts: 3, MinDelay: time.Millisecond})

		_, err := s.Stat(b.ctx, "k")
		requireTimedOut(t, b, err)
		require.ErrorContains(t, err, "giving up after 3 attempts")
		require.Equal(t, int32(3), b.requests.Load())
	})
}
