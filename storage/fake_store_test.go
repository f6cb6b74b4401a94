package storage_test

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/wharfhq/wharf/storage"
)

var (
	errBroken    = errors.New("broken")
	errTransient = errors.New("transient: connection reset")
)

// fakeStore calls the matching XxxFunc; a nil one fails the call.
type fakeStore struct {
	DeleteFunc func(ctx context.Context, key string) error
	ListFunc   func(ctx context.Context, prefix string, fn func(storage.Info) error) error
	OpenFunc   func(ctx context.Context, key string) (io.ReadCloser, storage.Info, error)
	PutFunc    func(ctx context.Context, key string, r io.Reader, size int64) error
	StatFunc   func(ctx context.Context, key string) (storage.Info, error)
}

var errNotImplemented = errors.New("fakeStore: not implemented")

func (f *fakeStore) Delete(ctx context.Context, key string) error {
	if f.DeleteFunc == nil {
		return errNotImplemented
	}
	return f.DeleteFunc(ctx, key)
}

func (f *fakeStore) List(ctx context.Context, prefix string, fn func(storage.Info) error) error {
	if f.ListFunc == nil {
		return errNotImplemented
	}
	return f.ListFunc(ctx, prefix, fn)
}

func (f *fakeStore) Open(ctx context.Context, key string) (io.ReadCloser, storage.Info, error) {
	if f.OpenFunc == nil {
		return nil, storage.Info{}, errNotImplemented
	}
	return f.OpenFunc(ctx, key)
}

func (f *fakeStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if f.PutFunc == nil {
		return errNotImplemented
	}
	return f.PutFunc(ctx, key, r, size)
}

func (f *fakeStore) Stat(ctx context.Context, key string) (storage.Info, error) {
	if f.StatFunc == nil {
		return storage.Info{}, errNotImplemented
	}
	return f.StatFunc(ctx, key)
}

// fakeRedirector is a fakeStore with the Redirector capability.
type fakeRedirector struct {
	fakeStore
	RedirectURLFunc func(ctx context.Context, key string, ttl time.Duration) (string, error)
}

func (f *fakeRedirector) RedirectURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return f.RedirectURLFunc(ctx, key, ttl)
}

// blockUntilDone waits for ctx to end and returns its error, or gives up
// after a guard period so that a missing deadline fails the test instead
// of hanging it.
func blockUntilDone(ctx context.Context) error {
	guard := time.NewTimer(20 * time.Second)
	defer guard.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-guard.C:
		return errors.New("fakeStore: context never ended")
	}
}
