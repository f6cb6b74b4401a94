package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/store"
)

// wharfServer is the Wharf under test: a `wharf serve` child process, or an
// in-process http.Server when no serve command is configured.
type wharfServer struct {
	addr string
	// pid is the child's pid; 0 in-process.
	pid  int
	stop func(ctx context.Context) error
	logs *tailBuffer
}

func (s *wharfServer) url() string { return "http://" + s.addr }

// cpu samples the server process's CPU time (unknown in-process, where the
// load generator shares the process).
func (s *wharfServer) cpu() (time.Duration, bool) {
	if s.pid == 0 {
		return 0, false
	}
	return procGroup{s.pid}.cpu()
}

// peakRSS is the server's VmHWM; in-process it is this whole process's
// (server, seeding and load generator together).
func (s *wharfServer) peakRSS() int64 {
	if s.pid == 0 {
		return procGroup{os.Getpid()}.peakRSS()
	}
	return procGroup{s.pid}.peakRSS()
}

// startInProcess serves reg with the real router on a real net/http server
// (keep-alive) and starts the job queue, as `wharf serve` does.
func startInProcess(ctx context.Context, reg *registry.Service, st store.Store, publicRead bool) (*wharfServer, error) {
	if err := st.Jobs().Start(ctx); err != nil {
		return nil, fmt.Errorf("start job queue: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = st.Jobs().Stop(ctx)
		return nil, err
	}
	addr := ln.Addr().String()
	srv := &http.Server{
		Handler: api.NewRouter(api.Config{
			Registry: reg, PublicURL: "http://" + addr, PublicRead: publicRead, BodyLimit: 10 << 20,
			RegistryName: "bench", Ready: st.Ping,
		}),
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
	}
	go func() { _ = srv.Serve(ln) }()
	stop := func(ctx context.Context) error {
		return errors.Join(srv.Shutdown(ctx), st.Jobs().Stop(ctx))
	}
	return &wharfServer{addr: addr, stop: stop, logs: &tailBuffer{}}, nil
}

// serveEnv configures a `wharf serve` child: every REGISTRY_* variable of
// this process is dropped so only the benchmark's settings apply.
type serveEnv struct {
	dataDir     string
	databaseURL string
	publicRead  bool
}

// startProcess runs command (e.g. [/path/to/wharf serve]) against the seeded
// data directory and waits until it answers /healthz.
func startProcess(ctx context.Context, command []string, e serveEnv) (*wharfServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	env := make([]string, 0, len(os.Environ())+8)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"REGISTRY_DATA_DIR="+e.dataDir,
		"REGISTRY_WEB_LISTENON_IP=127.0.0.1",
		"REGISTRY_WEB_LISTENON_PORT="+port,
		"REGISTRY_WEB_PUBLIC_URI=http://"+addr,
		"REGISTRY_PUBLIC_READ="+strconv.FormatBool(e.publicRead),
		"REGISTRY_STORAGE=fs",
		"REGISTRY_LOG_LEVEL=warn",
	)
	if e.databaseURL != "" {
		env = append(env, "REGISTRY_DATABASE_URL="+e.databaseURL)
	}
	logs := &tailBuffer{max: 16 << 10}
	cmd := exec.Command(command[0], command[1:]...) //nolint:gosec // the wharf binary itself
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", strings.Join(command, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func(ctx context.Context) error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return fmt.Errorf("wharf serve: %w\n%s", err, logs.String())
			}
			return err
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-done
			return ctx.Err()
		}
	}
	s := &wharfServer{addr: addr, pid: cmd.Process.Pid, stop: stop, logs: logs}
	if err := waitHTTP(ctx, s.url()+"/healthz", done, 60*time.Second); err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("wharf serve did not start: %w\n%s", err, logs.String())
	}
	return s, nil
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// errExited reports that a server process ended while being waited for.
var errExited = errors.New("process exited")

// waitHTTP polls url until it answers (any status), the process exits (done)
// or timeout passes.
func waitHTTP(ctx context.Context, url string, done <-chan error, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-done:
			return fmt.Errorf("%w: %v", errExited, err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s after %s: %w", url, timeout, err)
		}
	}
}

// tailBuffer keeps the last max bytes written (a child's output, for error
// messages).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if b.max > 0 && len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}
