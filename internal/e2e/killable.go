package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testdb"
)

// Killable is a `wharf serve` process for robustness tests: the test may
// kill it (SIGKILL, at any point) and start it again on the same port,
// data directory and database. Unlike Server, an exit is never a failure
// by itself; the test checks the state the restarted server serves.
type Killable struct {
	URL         string // http://127.0.0.1:PORT, the same across restarts
	Port        int
	AdminToken  string // printed by the first start
	DataDir     string
	DatabaseURL string // "" on SQLite
	Engine      string

	env    []string
	log    *logBuffer
	run    *killableRun // current (or last) process
	starts int
}

type killableRun struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid once done is closed
}

// StartKillable starts wharf on engine ("sqlite" or "postgres") with a
// fresh data directory and database; extra are KEY=VALUE settings. The
// process still running when t ends is stopped with SIGTERM.
func StartKillable(t *testing.T, engine string, extra ...string) *Killable {
	t.Helper()
	k := &Killable{Engine: engine, DataDir: t.TempDir(), log: &logBuffer{}}
	switch engine {
	case "sqlite":
	case "postgres":
		k.DatabaseURL = testdb.PostgresURL(t)
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		k.Port = restartablePort(t)
		k.URL = "http://127.0.0.1:" + strconv.Itoa(k.Port)
		k.env = append(baseEnv(),
			"REGISTRY_WEB_LISTENON_IP=127.0.0.1",
			"REGISTRY_WEB_LISTENON_PORT="+strconv.Itoa(k.Port),
			"REGISTRY_WEB_PUBLIC_URI="+k.URL,
			"REGISTRY_DATA_DIR="+k.DataDir,
		)
		if k.DatabaseURL != "" {
			k.env = append(k.env, "REGISTRY_DATABASE_URL="+k.DatabaseURL)
		}
		k.env = append(k.env, extra...)
		lastErr = k.start(true)
		if lastErr == nil {
			t.Cleanup(func() { k.shutdown(t) })
			t.Logf("wharf %s (killable) listening on %s", engine, k.URL)
			return k
		}
		if !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start wharf (%s): %v", engine, lastErr)
	return nil
}

// Kill sends SIGKILL and waits until the process is gone.
func (k *Killable) Kill(t *testing.T) {
	t.Helper()
	select {
	case <-k.run.done:
		t.Fatalf("wharf had already exited (%v); log:\n%s", k.run.err, k.log.tail(40))
	default:
	}
	_ = k.run.cmd.Process.Signal(syscall.SIGKILL)
	<-k.run.done
	k.log.addLine("--- SIGKILL ---")
}

// Restart starts the server again (after Kill) and waits until it answers
// /healthz.
func (k *Killable) Restart(t *testing.T) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = k.start(false); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart wharf: %v", err)
	}
}

// Alive reports whether the current process is still running.
func (k *Killable) Alive() bool {
	select {
	case <-k.run.done:
		return false
	default:
		return true
	}
}

// LogTail returns the last n lines the server printed, across restarts.
func (k *Killable) LogTail(n int) string { return k.log.tail(n) }

// LogMatching returns the log lines containing sub, across restarts.
func (k *Killable) LogMatching(sub string) []string { return k.log.matching(sub) }

// start runs one process and waits for /healthz (60s at most).
func (k *Killable) start(first bool) error {
	k.starts++
	k.log.addLine(fmt.Sprintf("--- start %d ---", k.starts))
	run := &killableRun{cmd: exec.Command(wharfBin, "serve"), done: make(chan struct{})}
	run.cmd.Env = k.env
	run.cmd.Stderr = k.log
	stdout, err := run.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := run.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", wharfBin, err)
	}
	k.run = run
	tokenc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			k.log.addLine(line)
			if m := tokenLine.FindStringSubmatch(line); m != nil {
				select {
				case tokenc <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		run.err = run.cmd.Wait()
		close(run.done)
	}()
	if err := k.waitHealthy(60 * time.Second); err != nil {
		_ = run.cmd.Process.Kill()
		<-run.done
		return err
	}
	if first {
		select {
		case k.AdminToken = <-tokenc:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("no bootstrap admin token on stdout; log:\n%s", k.log.tail(60))
		}
	}
	return nil
}

// waitHealthy polls /healthz until 200, the process exits or d passes.
func (k *Killable) waitHealthy(d time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(d)
	for {
		select {
		case <-k.run.done:
			return fmt.Errorf("wharf exited before becoming ready (%v); log:\n%s", k.run.err, k.log.tail(60))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, k.URL+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wharf not ready after %s; log:\n%s", d, k.log.tail(60))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// shutdown stops the current process with SIGTERM (SIGKILL after 30s).
func (k *Killable) shutdown(t *testing.T) {
	if !k.Alive() {
		return
	}
	_ = k.run.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.run.done:
		if k.run.err != nil {
			t.Errorf("wharf did not exit cleanly on SIGTERM: %v\nlog tail:\n%s", k.run.err, k.log.tail(30))
		}
	case <-time.After(30 * time.Second):
		_ = k.run.cmd.Process.Kill()
		<-k.run.done
		t.Errorf("wharf did not stop within 30s of SIGTERM\nlog tail:\n%s", k.log.tail(30))
	}
}

// restartablePort returns a free port below the kernel's ephemeral range.
// A killed server restarts on the same port; a port from the ephemeral
// range (what listening on :0 gives) can meanwhile be handed to another
// process's outgoing connection or :0 listener, and the restart would fail.
// Ports below the range are only ever taken by explicit binds.
func restartablePort(t *testing.T) int {
	t.Helper()
	low := 32768 // Linux default when the range cannot be read
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	if low <= 12000 {
		return freePort(t)
	}
	for range 100 {
		port := 10000 + rand.IntN(low-10000)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		if err := ln.Close(); err == nil {
			return port
		}
	}
	return freePort(t)
}
