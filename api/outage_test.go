package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/store/pgstore"
)

// faultyStore wraps a storage.Store; while fail is set every call returns
// that error (wrapped the way a backend would).
type faultyStore struct {
	storage.Store
	mu   sync.Mutex
	fail error
}

func (s *faultyStore) set(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *faultyStore) err(op, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail == nil {
		return nil
	}
	return fmt.Errorf("s3 %s %q: %w", op, key, s.fail)
}

func (s *faultyStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.err("put", key); err != nil {
		return err
	}
	return s.Store.Put(ctx, key, r, size)
}

func (s *faultyStore) Open(ctx context.Context, key string) (io.ReadCloser, storage.Info, error) {
	if err := s.err("open", key); err != nil {
		return nil, storage.Info{}, err
	}
	return s.Store.Open(ctx, key)
}

func blobCount(t *testing.T, st storage.Store) int {
	t.Helper()
	n := 0
	require.NoError(t, st.List(context.Background(), "", func(storage.Info) error { n++; return nil }))
	return n
}

// requireUnavailable checks a clean 503: Retry-After and cargo's envelope.
func requireUnavailable(t *testing.T, status int, h http.Header, body []byte) {
	t.Helper()
	requireCargoError(t, status, http.StatusServiceUnavailable, body, "service temporarily unavailable: ")
	require.Equal(t, "5", h.Get("Retry-After"))
}

func TestStorageOutage(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"connection refused", refused},
		{"retries exhausted", fmt.Errorf("storage put: giving up after 3 attempts: %w", refused)},
		{"storage timeout", fmt.Errorf("storage timeout after 30s: %w", context.DeadlineExceeded)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachEngine(t, func(t *testing.T, engine string) {
				var faulty *faultyStore
				s := testserver.Start(t, engine, &testserver.Opts{WrapBlobs: func(st storage.Store) storage.Store {
					faulty = &faultyStore{Store: st}
					return faulty
				}})
				publish(t, s, s.AdminToken, "stored", "1.0.0")
				blobs := blobCount(t, s.Blobs)

				faulty.set(tc.err)
				status, h, body := s.Do(t, http.MethodPut, "/api/v1/crates/new", s.AdminToken,
					bytes.NewReader(publishBody("lost", "1.0.0", nil)), nil)
				requireUnavailable(t, status, h, body)
				status, h, body = s.Do(t, http.MethodGet, "/api/v1/crates/stored/1.0.0/download", s.AdminToken, nil, nil)
				requireUnavailable(t, status, h, body)
				// The index needs no storage.
				status, _, _ = s.Do(t, http.MethodGet, "/index/st/or/stored", s.AdminToken, nil, nil)
				require.Equal(t, http.StatusOK, status)

				// Nothing half-written: no rows, no index file, no blob.
				status, _, _ = s.Do(t, http.MethodGet, "/index/lo/st/lost", s.AdminToken, nil, nil)
				require.Equal(t, http.StatusNotFound, status)
				status, _, body = s.Do(t, http.MethodGet, "/api/v1/crates?q=lost", s.AdminToken, nil, nil)
				require.Equal(t, http.StatusOK, status)
				require.Contains(t, string(body), `"total":0`)
				require.Equal(t, blobs, blobCount(t, s.Blobs))

				// Storage back: the same publish goes through.
				faulty.set(nil)
				publish(t, s, s.AdminToken, "lost", "1.0.0")
				status, _, _ = s.Do(t, http.MethodGet, "/api/v1/crates/lost/1.0.0/download", s.AdminToken, nil, nil)
				require.Equal(t, http.StatusOK, status)
			})
		})
	}
	t.Run("other errors stay opaque 500s", func(t *testing.T) {
		t.Parallel()
		var faulty *faultyStore
		s := testserver.Start(t, "sqlite", &testserver.Opts{WrapBlobs: func(st storage.Store) storage.Store {
			faulty = &faultyStore{Store: st}
			return faulty
		}})
		faulty.set(errors.New("secret internal detail"))
		status, h, body := s.Do(t, http.MethodPut, "/api/v1/crates/new", s.AdminToken,
			bytes.NewReader(publishBody("boom", "1.0.0", nil)), nil)
		requireCargoError(t, status, http.StatusInternalServerError, body, "internal server error")
		require.NotContains(t, string(body), "secret")
		require.Empty(t, h.Get("Retry-After"))
	})
}

// TestDatabaseOutage cuts the PostgreSQL database off (testdb.Outage) and
// checks every route that needs it answers a clean 503, readiness fails,
// liveness does not, and the same server recovers once the database is back.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	// Public reads, so that anonymous reads reach the registry's queries
	// (token-authenticated requests already fail at the token lookup).
	s := testserver.Start(t, "postgres", &testserver.Opts{PublicRead: true})
	publish(t, s, s.AdminToken, "steady", "1.0.0")
	dbURL := s.Store.(*pgstore.Store).Pool().Config().ConnString()

	end := testdb.Outage(t, dbURL)
	requests := []struct {
		method, path, token string
		body                func() io.Reader
	}{
		{http.MethodGet, "/index/st/ea/steady", "", nil},
		{http.MethodGet, "/index/st/ea/steady", s.AdminToken, nil},
		{http.MethodGet, "/api/v1/crates/steady/1.0.0/download", "", nil},
		{http.MethodGet, "/api/v1/crates?q=steady", "", nil},
		{http.MethodGet, "/api/v1/crates/steady/owners", "", nil},
		{http.MethodGet, "/api/v1/me", s.AdminToken, nil},
		{http.MethodPut, "/api/v1/crates/new", s.AdminToken, func() io.Reader { return bytes.NewReader(publishBody("steady", "1.0.1", nil)) }},
		{http.MethodDelete, "/api/v1/crates/steady/1.0.0/yank", s.AdminToken, nil},
	}
	for _, rq := range requests {
		var body io.Reader
		if rq.body != nil {
			body = rq.body()
		}
		start := time.Now()
		status, h, respBody := s.Do(t, rq.method, rq.path, rq.token, body, nil)
		requireUnavailable(t, status, h, respBody)
		require.Less(t, time.Since(start), 10*time.Second, "%s %s must fail fast", rq.method, rq.path)
	}
	status, _, body := s.Do(t, http.MethodGet, "/readyz", "", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, status, string(body))
	status, _, _ = s.Do(t, http.MethodGet, "/healthz", "", nil, nil)
	require.Equal(t, http.StatusOK, status, "liveness does not depend on the database")

	end()
	// Connections the pool still holds from before the outage fail once
	// each (503) and are discarded; then every request succeeds.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _, _ = s.Do(t, http.MethodGet, "/readyz", "", nil, nil)
		if status == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(deadline), "not ready 10s after the outage")
		time.Sleep(20 * time.Millisecond)
	}
	recovered := false
	for range 20 {
		status, _, _ = s.Do(t, http.MethodGet, "/index/st/ea/steady", s.AdminToken, nil, nil)
		if status == http.StatusOK {
			recovered = true
			break
		}
		require.Equal(t, http.StatusServiceUnavailable, status)
	}
	require.True(t, recovered)
	publish(t, s, s.AdminToken, "steady", "1.0.1")
	lines := indexLines(t, s, "st/ea/steady")
	require.Len(t, lines, 2)
	var env map[string]any
	status, _, body = s.Do(t, http.MethodGet, "/api/v1/me", s.AdminToken, nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &env))
}
