// Package e2e is Wharf's end-to-end acceptance test: it builds the wharf
// binary, runs it as a real process on each database engine and drives the
// real cargo against it (see docs: cargo-protocol notes §13).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/testdb"
)

// wharfBin is the binary built once by TestMain.
var wharfBin string

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// buildWharf compiles ./cmd/wharf into dir.
func buildWharf(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "wharf")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/wharf")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/wharf: %w\n%s", err, out)
	}
	return bin, nil
}

// logBuffer collects the server's stdout and stderr lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.part = append(b.part, p...)
	for {
		i := bytes.IndexByte(b.part, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, string(b.part[:i]))
		b.part = b.part[i+1:]
	}
	return len(p), nil
}

func (b *logBuffer) addLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, s)
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := b.lines
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	s := strings.Join(lines, "\n")
	if len(b.part) > 0 {
		s += "\n" + string(b.part)
	}
	return s
}

func (b *logBuffer) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.lines)
}

func (b *logBuffer) matching(sub string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.lines {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// Server is one wharf replica: a process that can be stopped, killed and
// started again on the same port, data directory and database.
type Server struct {
	URL        string // http://127.0.0.1:PORT, no trailing slash
	Port       int
	AdminToken string
	DataDir    string

	engine string
	env    []string
	log    *logBuffer
	p      *proc // the current (or last) process

	mu        sync.Mutex
	allowed   []*regexp.Regexp // level=ERROR lines that the test expects
	checkedTo int              // log lines already checked for errors
}

// proc is one run of the wharf binary.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // exit status, valid after done is closed
	// ready is set once the server answered /healthz: from then on an
	// unexpected exit is a test failure.
	ready bool
}

// ServerConfig describes a replica for Start.
type ServerConfig struct {
	Engine string // "sqlite" or "postgres"
	// DataDir is REGISTRY_DATA_DIR; "" = a fresh temporary directory.
	DataDir string
	// DatabaseURL is REGISTRY_DATABASE_URL for postgres; "" = a fresh
	// database.
	DatabaseURL string
	// Port to listen on; 0 = a free port.
	Port int
	// PublicURL is REGISTRY_WEB_PUBLIC_URI; "" = the server's own URL.
	PublicURL string
	// Env are extra KEY=VALUE settings.
	Env []string
	// JoinExisting: the database already has users (another replica
	// bootstrapped it), so no admin token is printed.
	JoinExisting bool
}

var tokenLine = regexp.MustCompile(`^    (wharf_\S+)\s*$`)

// baseEnv is the process environment without proxies, REGISTRY_* and CARGO_*.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		uk := strings.ToUpper(k)
		if strings.HasPrefix(uk, "REGISTRY_") || strings.HasPrefix(uk, "CARGO") || strings.HasSuffix(uk, "_PROXY") ||
			strings.HasPrefix(uk, "RUSTFLAGS") || strings.HasPrefix(uk, "RUSTDOCFLAGS") || uk == "RUSTC_WRAPPER" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// StartServer runs wharf on engine ("sqlite" or "postgres") with a fresh
// data directory and database; extra are additional KEY=VALUE settings. It
// is stopped with SIGTERM when t ends.
func StartServer(t *testing.T, engine string, extra ...string) *Server {
	t.Helper()
	return Start(t, ServerConfig{Engine: engine, Env: extra})
}

// Start runs a replica described by cfg and waits until it is ready. It is
// stopped with SIGTERM when t ends.
func Start(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := newServer(t, cfg)
		if err != nil {
			t.Fatalf("start wharf (%s): %v", cfg.Engine, err)
		}
		err = s.startProc(t, !cfg.JoinExisting)
		if err == nil {
			t.Cleanup(func() { s.stop(t) })
			t.Logf("wharf %s listening on %s (data %s)", cfg.Engine, s.URL, s.DataDir)
			return s
		}
		lastErr = err
		if cfg.Port != 0 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start wharf (%s): %v", cfg.Engine, lastErr)
	return nil
}

func newServer(t *testing.T, cfg ServerConfig) (*Server, error) {
	port := cfg.Port
	if port == 0 {
		port = freePort(t)
	}
	s := &Server{
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		Port:    port,
		DataDir: cfg.DataDir,
		engine:  cfg.Engine,
		log:     &logBuffer{},
	}
	if s.DataDir == "" {
		s.DataDir = t.TempDir()
	}
	public := cfg.PublicURL
	if public == "" {
		public = s.URL
	}
	s.env = append(baseEnv(),
		"REGISTRY_WEB_LISTENON_IP=127.0.0.1",
		"REGISTRY_WEB_LISTENON_PORT="+strconv.Itoa(port),
		"REGISTRY_WEB_PUBLIC_URI="+public,
		"REGISTRY_DATA_DIR="+s.DataDir,
		"REGISTRY_LOG_LEVEL=debug",
	)
	switch cfg.Engine {
	case "sqlite":
	case "postgres":
		db := cfg.DatabaseURL
		if db == "" {
			db = testdb.PostgresURL(t)
		}
		s.env = append(s.env, "REGISTRY_DATABASE_URL="+db)
	default:
		return nil, fmt.Errorf("unknown engine %q", cfg.Engine)
	}
	s.env = append(s.env, cfg.Env...)
	return s, nil
}

// startProc runs the binary and waits for /healthz (and the bootstrap token
// when wantToken).
func (s *Server) startProc(t *testing.T, wantToken bool) error {
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(wharfBin, "serve")
	p.cmd.Env = s.env
	p.cmd.Stderr = s.log
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", wharfBin, err)
	}
	s.p = p
	tokenc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			s.log.addLine(line)
			if m := tokenLine.FindStringSubmatch(line); m != nil && !sent {
				tokenc <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.err = p.cmd.Wait()
		close(p.done)
	}()

	// Readiness: poll /healthz, bounded; fail fast if the process exits.
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("wharf exited before becoming ready (%v); log:\n%s", p.err, s.log.tail(60))
		default:
		}
		resp, err := client.Get(s.URL + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.killProc()
			return fmt.Errorf("wharf not ready after 60s; log:\n%s", s.log.tail(60))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if wantToken {
		select {
		case s.AdminToken = <-tokenc:
		case <-time.After(10 * time.Second):
			s.killProc()
			return fmt.Errorf("no bootstrap admin token on stdout; log:\n%s", s.log.tail(60))
		}
	}
	p.ready = true
	return nil
}

// killProc kills the current process without any check.
func (s *Server) killProc() {
	if s.p == nil {
		return
	}
	s.p.ready = false
	_ = s.p.cmd.Process.Kill()
	<-s.p.done
}

// Running reports whether the current process is alive.
func (s *Server) Running() bool {
	if s.p == nil {
		return false
	}
	select {
	case <-s.p.done:
		return false
	default:
		return true
	}
}

// Stop stops the replica with SIGTERM and checks that it exits cleanly and
// logged no unexpected error.
func (s *Server) Stop(t *testing.T) {
	t.Helper()
	s.stop(t)
}

// Kill stops the replica with SIGKILL, as a crash would.
func (s *Server) Kill(t *testing.T) {
	t.Helper()
	if !s.Running() {
		t.Errorf("kill %s: not running", s.URL) // not Fatal: callable from any goroutine
		return
	}
	s.killProc()
	s.log.addLine("=== e2e: wharf killed with SIGKILL ===")
	t.Logf("wharf on %s killed", s.URL)
}

// Restart starts the replica again on the same port, data directory,
// database and settings (stopping it with SIGTERM first if it runs).
func (s *Server) Restart(t *testing.T) {
	t.Helper()
	if s.Running() {
		s.stop(t)
	}
	s.log.addLine("=== e2e: wharf restarting ===")
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		// The port of a killed process can take a moment to be free.
		if err = s.startProc(t, false); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart wharf on %s: %v", s.URL, err)
	}
	t.Logf("wharf %s restarted on %s", s.engine, s.URL)
}

// AllowErrors declares level=ERROR log lines the test provokes on purpose
// (e.g. pushes to a remote it took down): lines matching any pattern are
// not reported when the server stops.
func (s *Server) AllowErrors(patterns ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range patterns {
		s.allowed = append(s.allowed, regexp.MustCompile(p))
	}
}

// Env returns the server's environment (for other wharf commands).
func (s *Server) Env() []string { return slices.Clone(s.env) }

// stop sends SIGTERM and waits for a clean exit.
func (s *Server) stop(t *testing.T) {
	p := s.p
	if p == nil {
		return
	}
	defer s.saveLog(t)
	defer s.checkErrors(t)
	select {
	case <-p.done:
		if p.ready {
			t.Errorf("wharf exited during the test: %v\nlog tail:\n%s", p.err, s.log.tail(30))
			p.ready = false
		}
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("wharf did not exit cleanly on SIGTERM: %v\nlog tail:\n%s", p.err, s.log.tail(30))
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("wharf did not stop within 30s of SIGTERM\nlog tail:\n%s", s.log.tail(30))
	}
	p.ready = false
}

// saveLog writes the whole log to $WHARF_E2E_LOGDIR/<test>-<port>.log when
// that variable is set (for debugging).
func (s *Server) saveLog(t *testing.T) {
	dir := os.Getenv("WHARF_E2E_LOGDIR")
	if dir == "" {
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "-" + strconv.Itoa(s.Port) + ".log"
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(s.log.snapshot(), "\n")+"\n"), 0o644)
}

// checkErrors reports level=ERROR lines logged since the last check: every
// scenario is a normal operation, so nothing may be logged as an error
// (unexpected 500s, failed jobs, panics) unless the test allowed it.
func (s *Server) checkErrors(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.log.snapshot()
	var errs []string
	for _, l := range lines[min(s.checkedTo, len(lines)):] {
		if !strings.Contains(l, "level=ERROR") {
			continue
		}
		if slices.ContainsFunc(s.allowed, func(re *regexp.Regexp) bool { return re.MatchString(l) }) {
			continue
		}
		errs = append(errs, l)
	}
	s.checkedTo = len(lines)
	if len(errs) > 0 {
		t.Errorf("wharf on %s logged %d error(s):\n%s", s.URL, len(errs), strings.Join(errs, "\n"))
	}
}

// LogMatching returns the lines the server printed that contain sub.
func (s *Server) LogMatching(sub string) []string { return s.log.matching(sub) }

// LogTail returns the last n lines the server printed.
func (s *Server) LogTail(n int) string { return s.log.tail(n) }

// CLI runs `wharf args…` with the server's environment and returns stdout.
func (s *Server) CLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wharfBin, args...)
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wharf %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// CreateUser runs `wharf user create`.
func (s *Server) CreateUser(t *testing.T, login string, admin bool) {
	t.Helper()
	args := []string{"user", "create", login, "--email", login + "@example.com"}
	if admin {
		args = append(args, "--admin")
	}
	s.CLI(t, args...)
}

// CreateToken runs `wharf token create` and returns the secret, which must
// be the only line on stdout.
func (s *Server) CreateToken(t *testing.T, login, name string, readOnly bool) string {
	t.Helper()
	args := []string{"token", "create", "--user", login, "--name", name}
	if readOnly {
		args = append(args, "--read-only")
	}
	out := s.CLI(t, args...)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 1, "token create must print exactly one line, got %q", out)
	require.True(t, strings.HasPrefix(lines[0], "wharf_"), "token %q", lines[0])
	return lines[0]
}

// TokenID finds the ID of the token named name in `wharf token list`.
func (s *Server) TokenID(t *testing.T, login, name string) string {
	t.Helper()
	out := s.CLI(t, "token", "list", "--user", login)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == name {
			return f[0]
		}
	}
	t.Fatalf("token %q not in `wharf token list --user %s`:\n%s", name, login, out)
	return ""
}

// HTTPResult is a finished HTTP exchange.
type HTTPResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request; token "" sends no Authorization header.
func (s *Server) Do(t *testing.T, method, path, token string, body []byte, header ...string) HTTPResult {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return HTTPResult{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Get is Do(GET) requiring 200.
func (s *Server) Get(t *testing.T, path, token string) []byte {
	t.Helper()
	res := s.Do(t, http.MethodGet, path, token, nil)
	require.Equal(t, http.StatusOK, res.Status, "GET %s: %s\nserver log:\n%s", path, res.Body, s.LogTail(20))
	return res.Body
}
