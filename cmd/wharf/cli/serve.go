package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/store"
)

func registryLimits(cfg *config.Config) crate.Limits {
	lim := crate.DefaultLimits()
	lim.MaxCrateSize = cfg.BodyLimit
	return lim
}

// cookieSecret returns REGISTRY_WEB_COOKIE_SECRET or one generated once and
// kept in the data dir.
func cookieSecret(cfg *config.Config) (string, error) {
	if cfg.CookieSecret != "" {
		return cfg.CookieSecret, nil
	}
	path := filepath.Join(cfg.DataDir, "cookie-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(buf)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return secret, nil
}

// recheckIndexSync calls reg.RecheckIndexSync after each index_sync job
// this replica completed (River sends the event once the job is marked
// completed), so that a change committed while the job was still marked
// running is pushed at once too.
func recheckIndexSync(ctx context.Context, logger *slog.Logger, reg *registry.Service, events <-chan *river.Event) {
	kind := jobs.IndexSyncArgs{}.Kind()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Job == nil || ev.Job.Kind != kind {
				continue
			}
			if err := reg.RecheckIndexSync(ctx); err != nil && ctx.Err() == nil {
				logger.WarnContext(ctx, "re-check git index push", "error", err)
			}
		}
	}
}

// newHandler builds the whole HTTP handler: cargo API and index, git index,
// sessions and login, web UI.
func newHandler(cfg *config.Config, reg *registry.Service, st store.Store, logger *slog.Logger) (http.Handler, error) {
	apiCfg := api.Config{
		Registry: reg, Logger: logger, PublicURL: cfg.PublicURL, PublicRead: cfg.PublicRead,
		BodyLimit: cfg.BodyLimit, RegistryName: cfg.RegistryName, Ready: st.Ping,
		SparseDisabled: !cfg.IndexSparse,
	}
	if cfg.IndexGit {
		apiCfg.Git = reg.GitHTTPHandler("/index.git")
	}
	mws, mounts, err := identityMounts(cfg, reg, logger)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	ui, err := webMount(cfg, reg, st, logger)
	if err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	apiCfg.Middlewares = append(apiCfg.Middlewares, mws...)
	apiCfg.Mounts = append(apiCfg.Mounts, append(mounts, ui)...)
	return api.NewRouter(apiCfg), nil
}

func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdout io.Writer) error {
	if _, err := cookieSecret(cfg); err != nil {
		return fmt.Errorf("cookie secret: %w", err)
	}
	reg, st, err := openRegistry(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	secret, err := reg.Bootstrap(ctx, cfg.AdminLogin)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if secret != "" {
		fmt.Fprintf(stdout, "\nCreated the first administrator %q. Its token is shown only once:\n\n    %s\n\n", cfg.AdminLogin, secret)
		fmt.Fprintf(stdout, "Add this to ~/.cargo/config.toml:\n\n%s\nthen run: echo %s | cargo login --registry %s\n\n",
			cargoSnippet(cfg), secret, cfg.RegistryName)
	}

	riverCfg := jobs.WithDownloadRetention(jobs.Config(reg), reg, 0)
	riverCfg.Logger = logger // failed jobs (e.g. an unreachable git mirror) show in the server log
	if err := st.InitJobs(riverCfg); err != nil {
		return err
	}
	if err := setupIndex(ctx, cfg, logger, reg, st); err != nil {
		return err
	}
	if _, err := reg.SyncIndexRepoLocal(ctx); err != nil {
		return err
	}
	if cfg.GitEnabled() {
		// Subscribe before starting, so that no completion is missed.
		events, unsubscribe := st.Jobs().Subscribe(river.EventKindJobCompleted)
		defer unsubscribe()
		go recheckIndexSync(ctx, logger, reg, events)
	}
	if err := st.Jobs().Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}

	handler, err := newHandler(cfg, reg, st, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr(), err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	logger.Info("wharf listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "engine", st.Engine(),
		"storage", cfg.Storage)
	go reg.RunMirrorLoop(ctx, 30*time.Second)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if err := reg.Close(shutdownCtx); err != nil {
		logger.Error("flush downloads", "error", err)
	}
	if err := st.Jobs().Stop(shutdownCtx); err != nil {
		logger.Error("stop job queue", "error", err)
	}
	return nil
}
