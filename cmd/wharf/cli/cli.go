// Package cli implements the wharf subcommands. Run is the whole program:
// main only wires the process environment into it, so it is testable.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/fs"
	"github.com/wharfhq/wharf/storage/s3"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/litestore"
	"github.com/wharfhq/wharf/store/pgstore"
)

const usage = `wharf — a private Cargo registry

Usage:
  wharf serve                      run the registry (HTTP + background jobs)
  wharf migrate                    apply database migrations and exit
  wharf user create LOGIN [--admin] [--email E] [--name N] [--password-stdin]
  wharf user set-password LOGIN --password-stdin
                                   set a local login password (REGISTRY_LOCAL_LOGIN)
  wharf user deactivate|activate LOGIN
                                   deactivation ends sessions and refuses tokens at once
  wharf token create --user LOGIN [--name N] [--read-only]
                                   print a new token's secret (only line on stdout)
  wharf token list --user LOGIN
  wharf token revoke --user LOGIN ID
  wharf index rebuild              recreate the local git index from the database
  wharf bench [--versions 1000,100000] [--duration 10s] [--nginx auto|off] [--out FILE]
                                   load benchmark on fresh seeded registries (see README.md)
  wharf help

Configuration comes from REGISTRY_* environment variables (see README.md).
`

// Run executes the command line args and returns the exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	switch args[0] {
	case "serve":
		err = serve(ctx, cfg, logger, stdout)
	case "migrate":
		err = migrate(ctx, cfg, logger)
	case "user":
		err = userCmd(ctx, cfg, logger, args[1:], stdout)
	case "index":
		err = indexCmd(ctx, cfg, logger, args[1:], stdout)
	case "token":
		err = tokenCmd(ctx, cfg, logger, args[1:], stdout)
	case "bench":
		err = benchCmd(ctx, cfg, logger, args[1:], getenv, stdout)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%v\n\n%s", err, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "wharf:", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newLogger(cfg *config.Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("REGISTRY_LOG_LEVEL: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (store.Store, error) {
	var (
		st  store.Store
		err error
	)
	if cfg.DatabaseURL != "" {
		st, err = pgstore.Open(ctx, cfg.DatabaseURL, logger)
	} else {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		st, err = litestore.Open(ctx, cfg.SQLitePath(), logger)
	}
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return st, nil
}

// openBlobs opens the configured blob storage with timeout and retries.
func openBlobs(ctx context.Context, cfg *config.Config, logger *slog.Logger) (storage.Store, error) {
	var (
		s   storage.Store
		err error
	)
	switch cfg.Storage {
	case "s3":
		maxAttempts := 0
		if cfg.Retry.Enabled {
			maxAttempts = 1 // our retry wrapper owns the policy
		}
		s, err = s3.New(ctx, s3.Config{
			Endpoint: cfg.S3.URI, Region: cfg.S3.Region, AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey,
			Bucket: cfg.S3.Bucket, Root: cfg.S3.Root, CreateBucket: true, Logger: logger, MaxAttempts: maxAttempts,
		})
	default:
		s, err = fs.New(filepath.Join(cfg.DataDir, "storage"))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s storage: %w", cfg.Storage, err)
	}
	s = storage.WithTimeout(s, cfg.StorageTimeout)
	if cfg.Retry.Enabled {
		s = storage.WithRetry(s, storage.RetryOpts{
			MaxAttempts: cfg.Retry.MaxTimes, MinDelay: cfg.Retry.MinDelay, MaxDelay: cfg.Retry.MaxDelay,
			Factor: cfg.Retry.Factor, Jitter: cfg.Retry.Jitter,
		})
	}
	return s, nil
}

// openRegistry opens database, storage and the registry service.
func openRegistry(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*registry.Service, store.Store, error) {
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	blobs, err := openBlobs(ctx, cfg, logger)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	lim := registryLimits(cfg)
	reg, err := registry.New(registry.Config{Store: st, Blobs: blobs, Logger: logger, Limits: lim})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return reg, st, nil
}

func migrate(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	st.Close()
	logger.Info("migrations applied", "engine", st.Engine())
	return nil
}

// parseFlags parses flags that may come before or after positional args.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) > 0 {
			pos = append(pos, args[0])
			args = args[1:]
		}
	}
	return pos, nil
}

func cargoSnippet(cfg *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[registries.%s]\nindex = \"sparse+%s/index/\"\ncredential-provider = \"cargo:token\"\n", cfg.RegistryName, cfg.PublicURL)
	return b.String()
}
