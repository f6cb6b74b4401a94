// Package pgstore implements store.Store on PostgreSQL with pgx and River's
// riverpgxv5 driver. Wharf's tables and River's live in the same database so
// jobs are inserted in the same transaction as the rows they follow.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/wharfhq/wharf/queries/pgdb"
	"github.com/wharfhq/wharf/schema"
	"github.com/wharfhq/wharf/store"
)

// migrationLockID serialises migrations of replicas starting together.
const migrationLockID = 0x77686172660001

// Store is a PostgreSQL-backed store.Store.
type Store struct {
	queries
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	logger *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open connects to url (a postgres:// URL or DSN).
func Open(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &Store{queries: queries{q: pgdb.New(pool)}, pool: pool, logger: logger}, nil
}

// Pool exposes the pgx pool (for tests and tools).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) Close() { s.pool.Close() }

func (s *Store) Engine() string { return "postgres" }

func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func (s *Store) Jobs() store.Jobs {
	if s.client == nil {
		return nil
	}
	return s.client
}

func (s *Store) InitJobs(cfg *river.Config) error {
	client, err := river.NewClient(riverpgxv5.New(s.pool), cfg)
	if err != nil {
		return fmt.Errorf("create river client: %w", err)
	}
	s.client = client
	return nil
}

// Migrate applies Wharf's migrations then River's, under an advisory lock so
// that replicas starting at once do not race.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection for migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockID)); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockID))
	}()
	migrations, err := schema.Postgres()
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS wharf_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, m := range migrations {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM wharf_migrations WHERE version = $1", m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			s.logger.InfoContext(ctx, "applying migration", slog.String("migration", m.Name))
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO wharf_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{Logger: s.logger})
	if err != nil {
		return fmt.Errorf("create river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply river migrations: %w", err)
	}
	return nil
}

type tx struct {
	queries
	tx     pgx.Tx
	client *river.Client[pgx.Tx]
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

// txAttempts bounds how often Tx runs a transaction that PostgreSQL aborts
// to break a deadlock or a serialization failure.
const txAttempts = 4

// Tx runs fn in a transaction. A transaction aborted with SQLSTATE 40P01
// (deadlock detected) or 40001 (serialization failure) is rolled back and
// run again from the start, up to txAttempts times: such aborts are normal
// under concurrency (River's unique job inserts lock the existing job row,
// ON CONFLICT … DO UPDATE, while its completer locks batches of job rows
// in its own order), and nothing of the aborted attempt remains.
func (s *Store) Tx(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, func(ptx pgx.Tx) error {
			return fn(tx{queries: queries{q: pgdb.New(ptx)}, tx: ptx, client: s.client})
		})
		if err == nil || attempt >= txAttempts || !retryableTx(err) || ctx.Err() != nil {
			return err
		}
		s.logger.WarnContext(ctx, "retrying transaction", slog.Int("attempt", attempt), slog.Any("error", err))
		// A short random pause so the retried transactions do not meet again.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(5+rand.IntN(20*attempt)) * time.Millisecond):
		}
	}
}

// retryableTx reports a transaction PostgreSQL aborted for a deadlock or a
// serialization failure, which can simply be run again.
func retryableTx(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
