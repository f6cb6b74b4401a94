// Package registry is Wharf's use-case layer: one method per Cargo web API
// operation (publish, yank, unyank, owners, search, download) plus users and
// tokens. It owns transactions: rows, rendered sparse-index files and the
// River jobs that follow them are written in one transaction.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/store"
)

// Error kinds. api/errors.go maps them to HTTP statuses.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrBadRequest      = errors.New("bad request")
)

// Error is a user-facing failure: Msg is shown verbatim to cargo users.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string        { return e.Msg }
func (e *Error) Is(target error) bool { return target == e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Config holds the service's dependencies.
type Config struct {
	Store  store.Store
	Blobs  storage.Store
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Limits bounds publish bodies and .crate contents.
	Limits crate.Limits
	// DownloadFlushInterval is how often buffered download counts are
	// written; 0 means 5 seconds.
	DownloadFlushInterval time.Duration
}

// Service implements the registry use cases.
type Service struct {
	store     store.Store
	blobs     storage.Store
	logger    *slog.Logger
	now       func() time.Time
	limits    crate.Limits
	downloads *downloadCounter
	git       *gitIndex
}

// New returns a Service. Call Close to flush buffered download counts.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Blobs == nil {
		return nil, errors.New("registry: Store and Blobs are required")
	}
	s := &Service{store: cfg.Store, blobs: cfg.Blobs, logger: cfg.Logger, now: cfg.Now, limits: cfg.Limits}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limits == (crate.Limits{}) {
		s.limits = crate.DefaultLimits()
	}
	interval := cfg.DownloadFlushInterval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	s.downloads = newDownloadCounter(s, interval)
	return s, nil
}

// Limits returns the configured publish limits.
func (s *Service) Limits() crate.Limits { return s.limits }

// Close flushes buffered download counts and stops the flusher.
func (s *Service) Close(ctx context.Context) error {
	return s.downloads.close(ctx)
}
