package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// WithTimeout returns a Store whose calls each run with a context that ends
// after d (or earlier, when the caller's context ends):
//
//   - Put, Stat and Delete: the whole call.
//   - List: the whole listing, including the time spent in fn.
//   - Open: opening and the whole read, until the returned reader is closed.
//     The reader checks the deadline before every Read, so even backends
//     whose readers ignore contexts (fs, memory) stop once it has passed;
//     closing the reader releases the timer. The reader is a wrapper, so
//     callers no longer see the backend's concrete type (*os.File).
//
// Errors caused by the deadline wrap context.DeadlineExceeded. If s is a
// Redirector, so is the returned Store (RedirectURL gets the same timeout).
// d <= 0 returns s unchanged.
func WithTimeout(s Store, d time.Duration) Store {
	if d <= 0 {
		return s
	}
	ts := &timeoutStore{d: d, inner: s}
	if r, ok := s.(Redirector); ok {
		return &timeoutRedirector{timeoutStore: ts, redirector: r}
	}
	return ts
}

type timeoutStore struct {
	d     time.Duration
	inner Store
}

func (s *timeoutStore) Delete(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.annotate(ctx, s.inner.Delete(ctx, key))
}

func (s *timeoutStore) List(ctx context.Context, prefix string, fn func(Info) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.annotate(ctx, s.inner.List(ctx, prefix, fn))
}

func (s *timeoutStore) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	rc, info, err := s.inner.Open(ctx, key)
	if err != nil {
		cancel()
		return nil, Info{}, s.annotate(ctx, err)
	}
	return &timeoutReader{ctx: ctx, cancel: cancel, inner: rc, store: s}, info, nil
}

func (s *timeoutStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.annotate(ctx, s.inner.Put(ctx, key, r, size))
}

func (s *timeoutStore) Stat(ctx context.Context, key string) (Info, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	info, err := s.inner.Stat(ctx, key)
	return info, s.annotate(ctx, err)
}

// annotate says that an error came from this wrapper's deadline. ctx is the
// derived context, so its error is DeadlineExceeded both when our timer fired
// and when the caller's own deadline passed; both are worth naming.
func (s *timeoutStore) annotate(ctx context.Context, err error) error {
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("storage timeout after %s: %w", s.d, err)
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrInvalidKey), errors.Is(err, ErrSizeMismatch):
		// A definite answer that happened to arrive at the deadline.
		return err
	default:
		// The backend reported something else (e.g. a closed connection)
		// because of the deadline; keep both.
		return fmt.Errorf("storage timeout after %s: %w: %w", s.d, context.DeadlineExceeded, err)
	}
}

type timeoutRedirector struct {
	*timeoutStore
	redirector Redirector
}

func (s *timeoutRedirector) RedirectURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	u, err := s.redirector.RedirectURL(ctx, key, ttl)
	return u, s.annotate(ctx, err)
}

// timeoutReader ends reads once its context is done and cancels the context
// on Close.
type timeoutReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	inner  io.ReadCloser
	store  *timeoutStore
}

func (r *timeoutReader) Close() error {
	err := r.inner.Close()
	r.cancel()
	return err
}

func (r *timeoutReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, r.store.annotate(r.ctx, err)
	}
	n, err := r.inner.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = r.store.annotate(r.ctx, err)
	}
	return n, err
}
