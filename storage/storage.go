// Package storage defines Wharf's blob-storage contract: a small Store
// interface implemented by one package per backend (storage/fs,
// storage/memory, storage/s3), the shared sentinels, key validation, and
// wrappers that add per-call timeouts (WithTimeout) and retries (WithRetry).
//
// Every backend runs the conformance suite in storage/storagetest.
//
// Compose the wrappers with the timeout inside the retries, so that each
// attempt gets its own deadline and a timed-out attempt is retried:
//
//	store = storage.WithRetry(storage.WithTimeout(backend, 30*time.Second), storage.RetryOpts{})
//
// Optional capabilities are separate interfaces checked at run time, the way
// net/http checks for http.Flusher:
//
//	if r, ok := store.(storage.Redirector); ok { url, err := r.RedirectURL(ctx, key, ttl) }
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

var (
	// ErrNotFound is returned (wrapped) by Open and Stat when no object is
	// stored under the key.
	ErrNotFound = errors.New("storage: object not found")

	// ErrInvalidKey is returned (wrapped) by every backend for a key or list
	// prefix that ValidateKey or ValidatePrefix rejects. No I/O happens.
	ErrInvalidKey = errors.New("storage: invalid key")

	// ErrSizeMismatch is returned (wrapped) by Put when the reader yields
	// fewer or more bytes than the declared size. Nothing is stored.
	ErrSizeMismatch = errors.New("storage: size mismatch")

	// ErrPermanent marks backend errors that retrying cannot fix, such as
	// rejected credentials or access denied. WithRetry does not retry them.
	ErrPermanent = errors.New("storage: permanent error")
)

// Info describes a stored object.
type Info struct {
	// Key is the object's key as given to Put (without any backend root).
	Key string
	// ModTime is when the object was last written, at the backend's
	// granularity (S3: one second).
	ModTime time.Time
	// Size is the object's length in bytes.
	Size int64
}

// Store is a flat key/value blob store. Keys follow ValidateKey; the layout
// Wharf uses is documented in paths.go. Implementations are safe for
// concurrent use.
type Store interface {
	// Put stores exactly size bytes read from r under key, replacing any
	// existing object atomically: readers see either the old or the new
	// object, never a partial one. If r yields fewer or more than size bytes
	// Put fails with ErrSizeMismatch and stores nothing. Put does not close r.
	Put(ctx context.Context, key string, r io.Reader, size int64) error

	// Open returns a reader for the object and its Info; ErrNotFound
	// (wrapped) if there is none. The caller must close the reader. A reader
	// keeps returning the object as it was when opened (best effort on S3:
	// an overwrite replaces the object, never mixes two versions).
	Open(ctx context.Context, key string) (io.ReadCloser, Info, error)

	// Stat returns the object's Info; ErrNotFound (wrapped) if there is none.
	Stat(ctx context.Context, key string) (Info, error)

	// Delete removes the object. Deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error

	// List calls fn for each object whose key starts with prefix, in
	// lexical (byte-wise) key order. An empty prefix lists everything. A
	// prefix need not end at a '/' ("crates/ab" matches "crates/abc/x").
	// If fn returns an error, List stops and returns that error unwrapped.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// Redirector is an optional Store capability: a URL that lets a client fetch
// the object directly from the backend (S3: a presigned GET) for ttl.
// Check for it with a type assertion; the wrappers in this package keep it
// when the wrapped store has it.
type Redirector interface {
	RedirectURL(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// copyChunk is how much CopyExact moves between context checks.
const copyChunk = 256 << 10

// CopyExact copies exactly size bytes from src to dst for a backend's Put.
// It fails with an error wrapping ErrSizeMismatch if src ends early or still
// has bytes after size (it reads one byte past size to find out), and with
// ctx.Err() if ctx is done between chunks.
func CopyExact(ctx context.Context, dst io.Writer, src io.Reader, size int64) error {
	if size < 0 {
		return fmt.Errorf("%w: negative size %d", ErrSizeMismatch, size)
	}
	var copied int64
	for copied < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.CopyN(dst, src, min(size-copied, copyChunk))
		copied += n
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: reader ended after %d of %d bytes", ErrSizeMismatch, copied, size)
		}
		if err != nil {
			return fmt.Errorf("copy object data: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var extra [1]byte
	for range 100 {
		n, err := src.Read(extra[:])
		if n > 0 {
			return fmt.Errorf("%w: reader has more than %d bytes", ErrSizeMismatch, size)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("copy object data: %w", err)
		}
	}
	return fmt.Errorf("copy object data: %w", io.ErrNoProgress)
}
