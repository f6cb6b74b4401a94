// Package bench is Wharf's load benchmark (`wharf bench`): for each
// requested size it seeds a fresh registry straight through the registry
// service, serves it with the real HTTP stack, drives keep-alive clients
// against the sparse index, downloads and publish, and compares the index
// with nginx serving the same files statically.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage/fs"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/litestore"
	"github.com/wharfhq/wharf/store/pgstore"
)

// Options configures Run. Zero fields take the defaults noted.
type Options struct {
	// Versions lists the total version counts to benchmark, one fresh
	// registry each (default 1,000 and 100,000).
	Versions []int
	// Crates is the number of crates per registry (0: one per 20 versions).
	Crates int
	// Duration is the length of each scenario (default 10s).
	Duration time.Duration
	// Concurrency is the number of keep-alive connections for the read
	// scenarios (default 16). Publish always uses one client.
	Concurrency int
	// Engine is "sqlite" (default; file in the temporary data directory) or
	// "postgres" (a fresh database on DatabaseURL's server, dropped after).
	Engine      string
	DatabaseURL string
	// Nginx is "auto" (default: compare with nginx when installed) or "off".
	Nginx string
	// PublicRead serves reads without a token (REGISTRY_PUBLIC_READ);
	// by default every read is authenticated, as in a default install.
	PublicRead bool
	// ServeCommand starts Wharf as a separate process (e.g. the wharf
	// binary and "serve"), so its CPU time and peak RSS are its own. Empty:
	// the server runs in this process.
	ServeCommand []string
	// TempDir is where registries are created (default os.TempDir()).
	TempDir string
	// Logger receives progress messages (default: discarded).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if len(o.Versions) == 0 {
		o.Versions = []int{1000, 100_000}
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Engine == "" {
		o.Engine = "sqlite"
	}
	if o.Nginx == "" {
		o.Nginx = "auto"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	for _, v := range o.Versions {
		if v < 1 {
			errs = append(errs, fmt.Errorf("version counts must be positive, got %d", v))
		}
	}
	if o.Engine != "sqlite" && o.Engine != "postgres" {
		errs = append(errs, fmt.Errorf("engine must be sqlite or postgres, got %q", o.Engine))
	}
	if o.Engine == "postgres" && o.DatabaseURL == "" {
		errs = append(errs, errors.New("the postgres engine needs a database URL"))
	}
	if o.Nginx != "auto" && o.Nginx != "off" {
		errs = append(errs, fmt.Errorf("nginx must be auto or off, got %q", o.Nginx))
	}
	if o.Crates < 0 {
		errs = append(errs, fmt.Errorf("crates must not be negative, got %d", o.Crates))
	}
	return errors.Join(errs...)
}

// Report is the outcome of Run.
type Report struct {
	Options Options
	// Nginx is the nginx binary compared against ("" when not compared).
	Nginx string
	CPUs  int
	// LoadAverage is /proc/loadavg's 1, 5 and 15 minute figures at the
	// start and end ("" when unknown): other work on the machine skews
	// the numbers.
	LoadAverage [2]string
	Results     []*Result
}

// Result is one registry size.
type Result struct {
	Versions     int
	Crates       int
	Distribution string
	SeedTime     time.Duration
	IndexSize    sizeStats
	Scenarios    []Scenario
	// WharfRSS and NginxRSS are peak resident set sizes in bytes (0:
	// unknown). NginxRSS sums the master and its workers.
	WharfRSS int64
	NginxRSS int64
}

// Scenario is one load against Wharf and, for index reads, nginx.
type Scenario struct {
	Name  string
	Wharf Stats
	Nginx *Stats
}

// Scenario names.
const (
	ScenarioIndex200 = "index GET 200"
	ScenarioIndex304 = "index GET 304"
	ScenarioDownload = "download"
	ScenarioPublish  = "publish (1 client)"
)

// Run benchmarks each requested size in turn.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	rep := &Report{Options: o, CPUs: runtime.NumCPU()}
	rep.LoadAverage[0] = loadAverage()
	defer func() { rep.LoadAverage[1] = loadAverage() }()
	if o.Nginx == "auto" {
		rep.Nginx = findNginx()
		if rep.Nginx == "" {
			o.Logger.WarnContext(ctx, "nginx not found: no comparison (install it, e.g. apt-get install nginx)")
		}
	}
	for _, total := range o.Versions {
		res, err := runSize(ctx, o, total, rep.Nginx)
		if err != nil {
			return rep, fmt.Errorf("%d versions: %w", total, err)
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// Failures lists the scenarios that had failed requests.
func (r *Report) Failures() []string {
	var out []string
	for _, res := range r.Results {
		for _, sc := range res.Scenarios {
			for _, s := range []*Stats{&sc.Wharf, sc.Nginx} {
				if s != nil && s.Errors > 0 {
					out = append(out, fmt.Sprintf("%d versions, %s: %d failed requests, first: %s",
						res.Versions, sc.Name, s.Errors, s.FirstError))
				}
			}
		}
	}
	return out
}

// registryParts is a freshly created, seeded registry.
type registryParts struct {
	dataDir     string
	databaseURL string
	st          store.Store
	reg         *registry.Service
	token       string
	seeded      *seeded
	plan        *plan
	seedTime    time.Duration
	close       func()
}

func runSize(ctx context.Context, o Options, total int, nginxBin string) (*Result, error) {
	dir, err := os.MkdirTemp(o.TempDir, "wharf-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	export := ""
	if nginxBin != "" {
		export = filepath.Join(dir, "www")
	}
	parts, cleanup, err := newRegistry(ctx, o, dir, total, export)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	res := &Result{
		Versions: total, Crates: len(parts.plan.crates), Distribution: parts.plan.distribution(),
		SeedTime: parts.seedTime, IndexSize: parts.seeded.indexSize,
	}
	o.Logger.InfoContext(ctx, "seeded", slog.Int("versions", total), slog.Int("crates", res.Crates),
		slog.Duration("took", res.SeedTime.Round(time.Millisecond)))

	if err := benchWharf(ctx, o, parts, res); err != nil {
		return nil, err
	}
	if nginxBin != "" {
		if err := benchNginx(ctx, o, nginxBin, filepath.Join(dir, "nginx"), export, parts.seeded, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// newRegistry creates and seeds a fresh registry below dir. The returned
// cleanup (always non-nil) closes it and drops a PostgreSQL database.
func newRegistry(ctx context.Context, o Options, dir string, total int, export string) (*registryParts, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	parts := &registryParts{dataDir: filepath.Join(dir, "data")}
	if err := os.MkdirAll(parts.dataDir, 0o750); err != nil {
		return nil, cleanup, err
	}
	discard := slog.New(slog.DiscardHandler)
	var err error
	if o.Engine == "postgres" {
		var drop func(context.Context) error
		parts.databaseURL, drop, err = freshDatabase(ctx, o.DatabaseURL)
		if err != nil {
			return nil, cleanup, err
		}
		cleanups = append(cleanups, func() { _ = drop(context.WithoutCancel(ctx)) })
		parts.st, err = pgstore.Open(ctx, parts.databaseURL, discard)
	} else {
		parts.st, err = litestore.Open(ctx, filepath.Join(parts.dataDir, "wharf.db"), discard)
	}
	if err != nil {
		return nil, cleanup, err
	}
	blobs, err := fs.New(filepath.Join(parts.dataDir, "storage"))
	if err != nil {
		parts.st.Close()
		return nil, cleanup, err
	}
	parts.reg, err = registry.New(registry.Config{Store: parts.st, Blobs: blobs, Logger: discard})
	if err != nil {
		parts.st.Close()
		return nil, cleanup, err
	}
	parts.close = sync.OnceFunc(func() {
		_ = parts.reg.Close(context.WithoutCancel(ctx))
		parts.st.Close()
	})
	cleanups = append(cleanups, parts.close)
	if err := parts.st.Migrate(ctx); err != nil {
		return nil, cleanup, fmt.Errorf("migrate: %w", err)
	}
	if err := parts.st.InitJobs(jobs.Config(parts.reg)); err != nil {
		return nil, cleanup, err
	}
	if parts.token, err = parts.reg.Bootstrap(ctx, "admin"); err != nil {
		return nil, cleanup, err
	}
	admin, err := parts.st.UserGetByLogin(ctx, "admin")
	if err != nil {
		return nil, cleanup, err
	}
	parts.plan = newPlan(total, o.Crates)
	o.Logger.InfoContext(ctx, "seeding", slog.Int("versions", total), slog.Int("crates", len(parts.plan.crates)),
		slog.String("engine", o.Engine))
	parts.seeded, err = seed(ctx, parts.reg, parts.st, blobs, admin.ID, parts.plan, export)
	if err != nil {
		return nil, cleanup, fmt.Errorf("seed: %w", err)
	}
	parts.seedTime = parts.seeded.took
	return parts, cleanup, nil
}
