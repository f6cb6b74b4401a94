package index

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// runGit runs the git binary on the repository in gitDir and returns its
// standard output.
func runGit(ctx context.Context, gitDir string, args ...string) ([]byte, error) {
	full := append([]string{"--git-dir=" + gitDir}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Repack packs loose objects into one pack and deletes the loose copies
// (`git repack -a -d -q`, which includes `git prune-packed`). git keeps
// serving fetches while it runs; writers wait for it.
func (r *Repo) Repack(ctx context.Context) error {
	r.packMu.Lock()
	defer r.packMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := runGit(ctx, r.cfg.Dir, "repack", "-a", "-d", "-q")
	// go-git caches the list of packs: start over with fresh storage, also
	// when git failed half-way.
	r.closeStorage()
	r.st = newStorage(r.cfg.Dir)
	if err != nil {
		return fmt.Errorf("repack git index: %w", err)
	}
	return nil
}

// gitExecPath returns `git --exec-path`, where git-http-backend lives.
func gitExecPath(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "--exec-path").Output()
	if err != nil {
		return "", fmt.Errorf("git --exec-path: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
