package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// RetryOpts configures WithRetry. Zero fields take the defaults noted.
type RetryOpts struct {
	// Factor multiplies the delay after each failed attempt. Default 2.
	Factor float64
	// Jitter, when true, picks each delay uniformly from [delay/2, delay]
	// so that many clients do not retry in lockstep.
	Jitter bool
	// MaxAttempts is the total number of attempts, including the first.
	// Default 3; 1 disables retries.
	MaxAttempts int
	// MaxDelay caps the delay between attempts. Default 5s.
	MaxDelay time.Duration
	// MinDelay is the delay before the second attempt. Default 100ms.
	MinDelay time.Duration
}

func (o RetryOpts) withDefaults() RetryOpts {
	if o.Factor < 1 {
		o.Factor = 2
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.MinDelay <= 0 {
		o.MinDelay = 100 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 5 * time.Second
	}
	o.MaxDelay = max(o.MaxDelay, o.MinDelay)
	return o
}

// delay returns the wait before attempt number next (2, 3, …).
func (o RetryOpts) delay(next int) time.Duration {
	d := float64(o.MinDelay)
	for i := 2; i < next && d < float64(o.MaxDelay); i++ {
		d *= o.Factor
	}
	d = min(d, float64(o.MaxDelay))
	if o.Jitter {
		d = d/2 + rand.Float64()*d/2
	}
	return time.Duration(d)
}

// WithRetry returns a Store that retries failed calls with exponential
// backoff. It is Wharf's retry policy; a backend's own retries (the S3 SDK's)
// happen inside each attempt.
//
// Not retried: errors wrapping ErrNotFound, ErrInvalidKey, ErrSizeMismatch,
// ErrPermanent or context.Canceled, and any error once the caller's context
// is done. context.DeadlineExceeded while the caller's context is still live
// (a per-attempt WithTimeout inside this wrapper) is retried.
//
// Put is retried only when r is an io.Seeker: before each new attempt r is
// seeked back to where it was when Put was called. Open retries opening, not
// reads from the returned reader. List resumes after the last key passed to
// fn, so fn never sees a key twice; an error from fn is returned at once.
//
// Waits between attempts end early when the context ends. If s is a
// Redirector, so is the returned Store.
func WithRetry(s Store, o RetryOpts) Store {
	rs := &retryStore{inner: s, opts: o.withDefaults()}
	if r, ok := s.(Redirector); ok {
		return &retryRedirector{retryStore: rs, redirector: r}
	}
	return rs
}

type retryStore struct {
	inner Store
	opts  RetryOpts
}

func (s *retryStore) Delete(ctx context.Context, key string) error {
	return s.do(ctx, "delete", key, func() error { return s.inner.Delete(ctx, key) })
}

func (s *retryStore) List(ctx context.Context, prefix string, fn func(Info) error) error {
	var (
		delivered bool
		lastKey   string
		fnErr     error
	)
	wrapped := func(info Info) error {
		if delivered && info.Key <= lastKey {
			return nil // already passed to fn by an earlier attempt
		}
		if err := fn(info); err != nil {
			fnErr = err
			return err
		}
		delivered, lastKey = true, info.Key
		return nil
	}
	err := s.do(ctx, "list", prefix, func() error {
		err := s.inner.List(ctx, prefix, wrapped)
		if fnErr != nil {
			return &stopError{err: fnErr}
		}
		return err
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

func (s *retryStore) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	var (
		rc   io.ReadCloser
		info Info
	)
	err := s.do(ctx, "open", key, func() error {
		var err error
		rc, info, err = s.inner.Open(ctx, key)
		return err
	})
	if err != nil {
		return nil, Info{}, err
	}
	return rc, info, nil
}

func (s *retryStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	seeker, ok := r.(io.Seeker)
	if !ok {
		return s.inner.Put(ctx, key, r, size)
	}
	start, err := seeker.Seek(0, io.SeekCurrent)
	if err != nil {
		// Claims to seek but cannot (e.g. a pipe behind *os.File).
		return s.inner.Put(ctx, key, r, size)
	}
	attempt := 0
	return s.do(ctx, "put", key, func() error {
		attempt++
		if attempt > 1 {
			if _, err := seeker.Seek(start, io.SeekStart); err != nil {
				return &stopError{err: fmt.Errorf("rewind reader: %w", err)}
			}
		}
		return s.inner.Put(ctx, key, r, size)
	})
}

func (s *retryStore) Stat(ctx context.Context, key string) (Info, error) {
	var info Info
	err := s.do(ctx, "stat", key, func() error {
		var err error
		info, err = s.inner.Stat(ctx, key)
		return err
	})
	return info, err
}

// do runs call until it succeeds, fails for good or runs out of attempts.
func (s *retryStore) do(ctx context.Context, op, key string, call func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = call()
		if err == nil {
			return nil
		}
		if stop, ok := errors.AsType[*stopError](err); ok {
			return stop.err
		}
		if !s.retryable(ctx, err) {
			return err
		}
		if attempt >= s.opts.MaxAttempts {
			return fmt.Errorf("storage %s %q: giving up after %d attempts: %w", op, key, attempt, err)
		}
		if werr := wait(ctx, s.opts.delay(attempt+1)); werr != nil {
			return fmt.Errorf("storage %s %q: waiting to retry: %w (last error: %w)", op, key, werr, err)
		}
	}
}

func (s *retryStore) retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	for _, permanent := range []error{ErrNotFound, ErrInvalidKey, ErrSizeMismatch, ErrPermanent, context.Canceled} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	return true
}

// wait blocks for d or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// stopError ends the retry loop and returns err unchanged.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }

type retryRedirector struct {
	*retryStore
	redirector Redirector
}

func (s *retryRedirector) RedirectURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	var u string
	err := s.do(ctx, "redirect", key, func() error {
		var err error
		u, err = s.redirector.RedirectURL(ctx, key, ttl)
		return err
	})
	return u, err
}
