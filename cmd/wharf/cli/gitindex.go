package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/store"
)

// rootConfigJSON is config.json in every replica's root commit. It is a
// constant so the history never depends on configuration; the real
// config.json is logged as the first change (and again when it changes).
var rootConfigJSON = []byte("{}\n")

func gitIndexConfig(cfg *config.Config, logger *slog.Logger) index.Config {
	return index.Config{
		Dir:        filepath.Join(cfg.DataDir, "index.git"),
		Branch:     cfg.Git.Branch,
		Author:     index.Signature{Name: cfg.Git.UserName, Email: cfg.Git.UserEmail},
		ConfigJSON: rootConfigJSON,
		Logger:     logger,
	}
}

func gitRemote(cfg *config.Config) *index.RemoteConfig {
	if cfg.Git.Remote == "" || !cfg.Git.PushChanges {
		return nil
	}
	return &index.RemoteConfig{
		URL: cfg.Git.Remote, SSHKeyFile: cfg.Git.SSHKeyFile, KnownHostsFile: cfg.Git.KnownHostsFile,
		InsecureIgnoreHostKey: cfg.Git.InsecureIgnoreHostKey,
	}
}

// setupIndex logs config.json and, when the git index is enabled, opens
// (repairing if needed) and syncs the local repository and schedules a push.
func setupIndex(ctx context.Context, cfg *config.Config, logger *slog.Logger, reg *registry.Service, st store.Store) error {
	if err := reg.EnsureIndexConfig(ctx, crate.ConfigJSON(cfg.PublicURL, !cfg.PublicRead)); err != nil {
		return fmt.Errorf("log config.json: %w", err)
	}
	if !cfg.GitEnabled() {
		return nil
	}
	icfg := gitIndexConfig(cfg, logger)
	repo, err := index.Open(icfg)
	if err != nil {
		return fmt.Errorf("open git index: %w", err)
	}
	reg.EnableGitIndex(registry.GitIndexConfig{Repo: repo, Config: icfg, Remote: gitRemote(cfg)})
	if _, err := st.Jobs().Insert(ctx, jobs.IndexSyncArgs{}, nil); err != nil {
		return fmt.Errorf("schedule git index sync: %w", err)
	}
	return nil
}

func indexCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "rebuild" {
		return usageError{"usage: wharf index rebuild"}
	}
	return withRegistry(ctx, cfg, logger, func(reg *registry.Service) error {
		head, err := reg.RebuildGitIndex(ctx, gitIndexConfig(cfg, logger))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rebuilt %s up to change %d\n", filepath.Join(cfg.DataDir, "index.git"), head)
		return nil
	})
}
