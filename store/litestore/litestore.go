// Package litestore implements store.Store on SQLite (modernc.org/sqlite, no
// cgo) with River's riversqlite driver, for single-node installs. One writer
// connection (River's requirement) and a small pool of read connections (WAL
// lets readers run beside the writer).
package litestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/wharfhq/wharf/queries/litedb"
	"github.com/wharfhq/wharf/schema"
	"github.com/wharfhq/wharf/store"
)

// Store is a SQLite-backed store.Store.
type Store struct {
	queries         // reads and non-transactional writes go through the writer
	read    queries // read-only pool
	db      *sql.DB
	rdb     *sql.DB
	client  *river.Client[*sql.Tx]
	logger  *slog.Logger
}

var _ store.Store = (*Store)(nil)

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)") // a 200 publish survives power loss
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the SQLite database file at path.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", path, err)
	}
	rdb.SetMaxOpenConns(4)
	return &Store{
		queries: queries{q: litedb.New(db)},
		read:    queries{q: litedb.New(rdb)},
		db:      db, rdb: rdb, logger: logger,
	}, nil
}

// prepare switches to prepared statements (once the schema exists): SQLite
// otherwise parses every statement again on every call.
func (s *Store) prepare(ctx context.Context) error {
	w, err := litedb.Prepare(ctx, s.db)
	if err != nil {
		return fmt.Errorf("prepare statements: %w", err)
	}
	r, err := litedb.Prepare(ctx, s.rdb)
	if err != nil {
		w.Close()
		return fmt.Errorf("prepare read statements: %w", err)
	}
	s.queries, s.read = queries{q: w}, queries{q: r}
	return nil
}

// DB exposes the writer pool (for tests and tools).
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) Close() {
	_ = s.read.q.Close()
	_ = s.queries.q.Close()
	s.rdb.Close()
	s.db.Close()
}

func (s *Store) Engine() string { return "sqlite" }

func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Store) Jobs() store.Jobs {
	if s.client == nil {
		return nil
	}
	return s.client
}

func (s *Store) InitJobs(cfg *river.Config) error {
	client, err := river.NewClient(riversqlite.New(s.db), cfg)
	if err != nil {
		return fmt.Errorf("create river client: %w", err)
	}
	s.client = client
	return nil
}

// Migrate applies Wharf's migrations then River's.
func (s *Store) Migrate(ctx context.Context) error {
	migrations, err := schema.SQLite()
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS wharf_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, m := range migrations {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	migrator, err := rivermigrate.New(riversqlite.New(s.db), &rivermigrate.Config{Logger: s.logger})
	if err != nil {
		return fmt.Errorf("create river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply river migrations: %w", err)
	}
	return s.prepare(ctx)
}

func (s *Store) apply(ctx context.Context, m schema.Migration) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM wharf_migrations WHERE version = ?", m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		s.logger.InfoContext(ctx, "applying migration", slog.String("migration", m.Name))
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO wharf_migrations (version, name) VALUES (?, ?)", m.Version, m.Name)
		return err
	})
}

func (s *Store) withTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	stx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err := fn(stx); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type tx struct {
	queries
	tx     *sql.Tx
	client *river.Client[*sql.Tx]
}

func (t tx) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if t.client == nil {
		return errors.New("enqueue job: river client not initialised")
	}
	if _, err := t.client.InsertTx(ctx, t.tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s job: %w", args.Kind(), err)
	}
	return nil
}

func (s *Store) Tx(ctx context.Context, fn func(store.Tx) error) error {
	return s.withTx(ctx, func(stx *sql.Tx) error {
		return fn(tx{queries: queries{q: s.queries.q.WithTx(stx)}, tx: stx, client: s.client})
	})
}

// Hot read paths use the read-only pool so they never queue behind the
// single writer connection.

func (s *Store) IndexFileGet(ctx context.Context, path string) (store.IndexFileGetRow, error) {
	return s.read.IndexFileGet(ctx, path)
}

func (s *Store) IndexFileMeta(ctx context.Context, path string) (store.IndexFileMetaRow, error) {
	return s.read.IndexFileMeta(ctx, path)
}

func (s *Store) VersionForDownload(ctx context.Context, arg store.VersionForDownloadParams) (store.VersionForDownloadRow, error) {
	return s.read.VersionForDownload(ctx, arg)
}

func (s *Store) TokenGetByHash(ctx context.Context, hash string) (store.TokenGetByHashRow, error) {
	return s.read.TokenGetByHash(ctx, hash)
}
