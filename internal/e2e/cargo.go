package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Cargo runs the real cargo against one Wharf server with an isolated
// CARGO_HOME. Copies made by WithToken share CARGO_HOME and target dir.
type Cargo struct {
	Home      string   // CARGO_HOME
	TargetDir string   // CARGO_TARGET_DIR, shared to save build time
	Token     string   // CARGO_REGISTRIES_LOCAL_TOKEN; "" = none
	Env       []string // extra KEY=VALUE settings for cargo (and the git it runs)
	srv       *Server
}

// CargoOpts tunes the generated $CARGO_HOME/config.toml.
type CargoOpts struct {
	// NoCredentialProvider leaves credential-provider out of the registry
	// config (only possible on a public-read registry).
	NoCredentialProvider bool
	// TargetDir reuses a target dir; "" makes a new one.
	TargetDir string
}

// NewCargo writes a fresh CARGO_HOME whose registry "local" is srv's sparse
// index and which replaces crates.io with it.
func NewCargo(t *testing.T, srv *Server, token string, opts CargoOpts) *Cargo {
	t.Helper()
	c := &Cargo{Home: t.TempDir(), TargetDir: opts.TargetDir, Token: token, srv: srv}
	if c.TargetDir == "" {
		c.TargetDir = t.TempDir()
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "[registries.local]\nindex = \"sparse+%s/index/\"\n", srv.URL)
	if !opts.NoCredentialProvider {
		cfg.WriteString("credential-provider = \"cargo:token\"\n")
	}
	cfg.WriteString("\n[source.crates-io]\nreplace-with = \"local\"\n\n[net]\nretry = 0\n")
	require.NoError(t, os.WriteFile(filepath.Join(c.Home, "config.toml"), []byte(cfg.String()), 0o644))
	return c
}

// NewCargoConfig writes a fresh CARGO_HOME with config.toml as given; env
// are extra KEY=VALUE settings (e.g. registry tokens, git configuration).
// srv is only used for failure reports.
func NewCargoConfig(t *testing.T, srv *Server, config string, env ...string) *Cargo {
	t.Helper()
	c := &Cargo{Home: t.TempDir(), TargetDir: t.TempDir(), Env: env, srv: srv}
	require.NoError(t, os.WriteFile(filepath.Join(c.Home, "config.toml"), []byte(config), 0o644))
	return c
}

// WithToken returns a Cargo sharing home and target dir with another token.
func (c *Cargo) WithToken(token string) *Cargo {
	cp := *c
	cp.Token = token
	return &cp
}

// CargoResult is one finished cargo run.
type CargoResult struct {
	Cmd    string
	Code   int
	Stdout string
	Stderr string
}

func (c *Cargo) env() []string {
	env := append(baseEnv(),
		"CARGO_HOME="+c.Home,
		"CARGO_TARGET_DIR="+c.TargetDir,
		"CARGO_NET_RETRY=0",
		"CARGO_TERM_COLOR=never",
		"CARGO_TERM_PROGRESS_WHEN=never",
		"CARGO_HTTP_TIMEOUT=30",
		"CARGO_INCREMENTAL=0",
		"CARGO_PROFILE_DEV_DEBUG=0",
		"NO_PROXY=127.0.0.1,localhost",
	)
	if c.Token != "" {
		env = append(env, "CARGO_REGISTRIES_LOCAL_TOKEN="+c.Token)
	}
	return append(env, c.Env...)
}

// Run runs cargo args… in dir and returns whatever happened.
func (c *Cargo) Run(t *testing.T, dir string, args ...string) CargoResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cargo", args...)
	cmd.Dir = dir
	cmd.Env = c.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := CargoResult{Cmd: "cargo " + strings.Join(args, " "), Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	default:
		t.Fatalf("%s: %v", res.Cmd, err)
	}
	t.Logf("%s (in %s): exit %d after %s", res.Cmd, filepath.Base(dir), res.Code, time.Since(start).Round(time.Millisecond))
	if os.Getenv("WHARF_E2E_VERBOSE") != "" {
		t.Logf("--- stdout:\n%s--- stderr:\n%s", res.Stdout, res.Stderr)
	}
	return res
}

// report formats a run and the server's log tail for a failure message.
func (c *Cargo) report(res CargoResult) string {
	return fmt.Sprintf("%s: exit %d\n--- stdout:\n%s\n--- stderr:\n%s\n--- server log tail:\n%s",
		res.Cmd, res.Code, res.Stdout, res.Stderr, c.srv.LogTail(40))
}

// OK runs cargo and requires exit code 0 and every want substring in
// stderr.
func (c *Cargo) OK(t *testing.T, dir string, args []string, want ...string) CargoResult {
	t.Helper()
	res := c.Run(t, dir, args...)
	if res.Code != 0 {
		t.Fatalf("expected success\n%s", c.report(res))
	}
	for _, w := range want {
		if !strings.Contains(res.Stderr, w) {
			t.Fatalf("stderr lacks %q\n%s", w, c.report(res))
		}
	}
	return res
}

// Fail runs cargo and requires a non-zero exit code and every want
// substring in stderr.
func (c *Cargo) Fail(t *testing.T, dir string, args []string, want ...string) CargoResult {
	t.Helper()
	res := c.Run(t, dir, args...)
	if res.Code == 0 {
		t.Fatalf("expected failure\n%s", c.report(res))
	}
	for _, w := range want {
		if !strings.Contains(res.Stderr, w) {
			t.Fatalf("stderr lacks %q\n%s", w, c.report(res))
		}
	}
	return res
}

// Exec runs a built binary and returns its stdout.
func (c *Cargo) Exec(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(c.TargetDir, "debug", bin)).Output()
	require.NoError(t, err, "run %s", bin)
	return string(out)
}

func args(a ...string) []string { return a }
