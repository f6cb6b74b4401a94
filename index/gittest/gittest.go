// Package gittest helps testing the git index against real git: running
// the git CLI in isolation, a slog logger that writes to the test log, and
// an in-process SSH server that runs git-receive-pack and git-upload-pack
// (SSHServer).
package gittest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Env is the environment for running git in tests: the caller's, minus
// anything that points git at another repository or configuration, with
// HOME set to home and no prompts.
func Env(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_") || k == "HOME" || k == "XDG_CONFIG_HOME" || strings.HasSuffix(strings.ToUpper(k), "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@localhost",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@localhost",
	)
	return append(env, extra...)
}

// Result is a finished git run.
type Result struct {
	Stdout string
	Stderr string
	Err    error
}

// Run runs git args in dir ("" = a temporary directory) with Env and
// returns what happened; it fails the test only if git cannot be started.
func Run(tb testing.TB, dir string, env []string, args ...string) Result {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	if env == nil {
		env = Env(tb.TempDir())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tb.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// Git runs git args in dir and fails the test unless it succeeds; it
// returns the trimmed standard output.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	res := Run(tb, dir, nil, args...)
	if res.Err != nil {
		tb.Fatalf("git %s in %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), dir, res.Err, res.Stdout, res.Stderr)
	}
	return strings.TrimSpace(res.Stdout)
}

// InitBare creates a bare repository whose HEAD points at branch and
// returns its directory.
func InitBare(tb testing.TB, branch string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "remote.git")
	Git(tb, "", "init", "-q", "--bare", "-b", branch, dir)
	return dir
}

// Log is a slog logger that writes every record to the test log and keeps
// the messages for assertions.
type Log struct {
	Logger *slog.Logger

	mu       sync.Mutex
	messages []string
}

// NewLog returns a Log writing to tb at debug level.
func NewLog(tb testing.TB) *Log {
	l := &Log{}
	l.Logger = slog.New(&logHandler{tb: tb, log: l, level: slog.LevelDebug})
	return l
}

// Messages returns the messages logged so far, each with its attributes as
// "key=value" after the message.
func (l *Log) Messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.messages...)
}

// Contains reports whether any logged message contains s.
func (l *Log) Contains(s string) bool {
	for _, m := range l.Messages() {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

type logHandler struct {
	tb    testing.TB
	log   *Log
	attrs []slog.Attr
	level slog.Level
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	add := func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.log.mu.Lock()
	h.log.messages = append(h.log.messages, b.String())
	h.log.mu.Unlock()
	h.tb.Log(b.String())
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	cp := *h
	cp.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &cp
}

// WithGroup is not needed by the index package; groups are flattened.
func (h *logHandler) WithGroup(string) slog.Handler { return h }
