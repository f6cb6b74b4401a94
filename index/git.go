package index

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// safeDirEnv turns off git's ownership check (which refuses a repository
// owned by another user, e.g. a volume after a uid change) for the git
// processes Wharf runs on its own repository. The value is "*" because
// git-http-backend runs upload-pack on ".", which no path matches.
func safeDirEnv() []string {
	return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=safe.directory", "GIT_CONFIG_VALUE_0=*"}
}

// gitCommand returns a git command on the repository in gitDir.
func gitCommand(ctx context.Context, gitDir string, args ...string) *exec.Cmd {
	full := append([]string{"--git-dir=" + gitDir}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = append(os.Environ(), safeDirEnv()...)
	return cmd
}

// runGit runs git on the repository in gitDir and returns its standard
// output.
func runGit(ctx context.Context, gitDir string, args ...string) ([]byte, error) {
	cmd := gitCommand(ctx, gitDir, args...)
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
