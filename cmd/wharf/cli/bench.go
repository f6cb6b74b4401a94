package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/internal/bench"
)

const benchUsage = "usage: wharf bench [--versions 1000,100000] [--crates N] [--duration 10s] [--concurrency 16] " +
	"[--engine sqlite|postgres] [--database-url URL] [--nginx auto|off] [--public-read] [--out FILE]"

// defaultPostgresURL is the local PostgreSQL the tests use too.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// benchCmd runs the load benchmark (internal/bench) and prints its table.
// The server under test is this binary's `serve`, in a child process.
func benchCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	versions := fs.String("versions", "1000,100000", "comma-separated total version counts, one fresh registry each")
	crates := fs.Int("crates", 0, "crates per registry (0: one per 20 versions)")
	duration := fs.Duration("duration", 0, "length of each scenario (default 10s)")
	concurrency := fs.Int("concurrency", 16, "keep-alive connections for the read scenarios")
	engine := fs.String("engine", "sqlite", "sqlite or postgres")
	databaseURL := fs.String("database-url", "", "PostgreSQL server to create the fresh databases on "+
		"(default REGISTRY_DATABASE_URL, then TEST_DATABASE_URL, then the local server)")
	nginx := fs.String("nginx", "auto", "auto: compare with nginx when installed; off")
	publicRead := fs.Bool("public-read", false, "serve reads without a token")
	out := fs.String("out", "", "also write the table to this file")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{benchUsage}
	}
	counts, err := parseCounts(*versions)
	if err != nil {
		return usageError{"--versions: " + err.Error()}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the wharf binary: %w", err)
	}
	opts := bench.Options{
		Versions: counts, Crates: *crates, Duration: *duration, Concurrency: *concurrency, Engine: *engine,
		Nginx: *nginx, PublicRead: *publicRead, ServeCommand: []string{exe, "serve"}, Logger: logger,
	}
	if opts.Engine == "postgres" {
		opts.DatabaseURL = firstNonEmpty(*databaseURL, cfg.DatabaseURL, getenv("TEST_DATABASE_URL"), defaultPostgresURL)
	}
	rep, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	var table bytes.Buffer
	if err := rep.WriteMarkdown(&table); err != nil {
		return err
	}
	if _, err := stdout.Write(table.Bytes()); err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, table.Bytes(), 0o644); err != nil { //nolint:gosec // a report
			return fmt.Errorf("write %s: %w", *out, err)
		}
	}
	if f := rep.Failures(); len(f) > 0 {
		return errors.New("some requests failed: " + strings.Join(f, "; "))
	}
	return nil
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.ReplaceAll(strings.TrimSpace(part), "_", "")
		mult := 1
		switch {
		case strings.HasSuffix(part, "k"):
			part, mult = strings.TrimSuffix(part, "k"), 1000
		case strings.HasSuffix(part, "M"):
			part, mult = strings.TrimSuffix(part, "M"), 1_000_000
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive count", part)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
