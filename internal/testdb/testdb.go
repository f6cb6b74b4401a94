// Package testdb gives tests a fresh, migrated database on each engine:
// SQLite in t.TempDir(), and PostgreSQL as a new database cloned from a
// migrated template (TEST_DATABASE_URL, default the local PostgreSQL 15).
// A missing PostgreSQL fails the test: CI never silently skips it.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wharfhq/wharf/schema"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/litestore"
	"github.com/wharfhq/wharf/store/pgstore"
)

// Engines lists the engines every registry behaviour test runs on.
var Engines = []string{"sqlite", "postgres"}

// AdminURL is the PostgreSQL server used by tests.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

func withDB(admin, db string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + db
	return u.String()
}

func ensureTemplate(ctx context.Context) (string, error) {
	templateOnce.Do(func() {
		migs, err := schema.Postgres()
		if err != nil {
			templateErr = err
			return
		}
		h := sha256.New()
		for _, m := range migs {
			h.Write([]byte(m.SQL))
		}
		name := "wharf_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12]
		conn, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			templateErr = fmt.Errorf("connect to PostgreSQL at %s (start it with `pg_ctlcluster 15 main start` or set TEST_DATABASE_URL): %w", AdminURL(), err)
			return
		}
		defer conn.Close(ctx)
		// Several test binaries run in parallel: serialise template creation.
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(4242)"); err != nil {
			templateErr = err
			return
		}
		defer conn.Exec(ctx, "SELECT pg_advisory_unlock(4242)") //nolint:errcheck
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			templateErr = err
			return
		}
		if !exists {
			tmp := name + "_build"
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmp)
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmp); err != nil {
				templateErr = err
				return
			}
			st, err := pgstore.Open(ctx, withDB(AdminURL(), tmp), slog.New(slog.DiscardHandler))
			if err != nil {
				templateErr = err
				return
			}
			err = st.Migrate(ctx)
			st.Close()
			if err != nil {
				templateErr = err
				return
			}
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+tmp+" RENAME TO "+name); err != nil {
				templateErr = err
				return
			}
		}
		templateName = name
	})
	return templateName, templateErr
}

// PostgresURL creates a fresh migrated PostgreSQL database for t and returns
// its URL; it is dropped when t ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	tmpl, err := ensureTemplate(ctx)
	if err != nil {
		t.Fatalf("PostgreSQL test template: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "wharf_t_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDB(AdminURL(), name)
}

// Open returns a migrated store on engine ("sqlite" or "postgres"), closed
// when t ends.
func Open(t testing.TB, engine string) store.Store {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	var (
		st  store.Store
		err error
	)
	switch engine {
	case "sqlite":
		st, err = litestore.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"), logger)
	case "postgres":
		st, err = pgstore.Open(ctx, PostgresURL(t), logger)
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return st
}

// Outage simulates a PostgreSQL outage of one database without touching
// the shared cluster (other tests run against it in parallel): it forbids
// new connections to the database (ALTER DATABASE … ALLOW_CONNECTIONS
// false; superusers included) and terminates the existing ones, so clients
// see their connections dropped (SQLSTATE 57P01) and every reconnection
// refused, as if the server were down. The returned function ends the
// outage; it also runs when t ends.
func Outage(t testing.TB, dbURL string) (end func()) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("testdb: parse %s: %v", dbURL, err)
	}
	name := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	ctx := context.Background()
	exec := func(sql string, args ...any) error {
		conn, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql, args...)
		return err
	}
	if err := exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false"); err != nil {
		t.Fatalf("testdb: block connections to %s: %v", name, err)
	}
	if err := exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
		strings.TrimPrefix(u.Path, "/")); err != nil {
		t.Fatalf("testdb: terminate connections to %s: %v", name, err)
	}
	var once sync.Once
	end = func() {
		once.Do(func() {
			if err := exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true"); err != nil {
				t.Errorf("testdb: allow connections to %s again: %v", name, err)
			}
		})
	}
	t.Cleanup(end)
	return end
}
