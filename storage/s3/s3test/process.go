package s3test

import (
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Process is a versitygw server that a test can stop and start again, on
// the same port and data directory, to simulate a storage outage: while it
// is stopped, clients get "connection refused"; once started again, it
// serves the objects stored before.
type Process struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT; it never changes.
	Endpoint  string
	AccessKey string
	SecretKey string

	t    testing.TB
	bin  string
	args []string
	addr string

	mu  sync.Mutex
	cur *running // nil while stopped
}

// running is one run of the versitygw binary.
type running struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // valid once exited is closed
	out    *lockedBuffer
}

// StartProcess is Start for tests that stop and restart the server (Stop,
// Start). The server is stopped when the test ends.
func StartProcess(t testing.TB) *Process {
	t.Helper()
	bin := findBinary(t)
	p := &Process{t: t, bin: bin, AccessKey: "wharf-test"}
	p.SecretKey = rand.Text()
	posixArgs := posixArgs(t)

	var lastErr error
	for range startTries {
		addr, err := restartableAddr()
		if err != nil {
			t.Fatalf("s3test: %v", err)
		}
		p.addr = addr
		p.args = append([]string{"--access", p.AccessKey, "--secret", p.SecretKey, "--port", addr}, posixArgs...)
		if lastErr = p.launch(); lastErr == nil {
			p.Endpoint = "http://" + addr
			t.Cleanup(p.Stop)
			return p
		}
		if !errors.Is(lastErr, errExited) {
			break
		}
	}
	t.Fatalf("s3test: start versitygw: %v", lastErr)
	return nil
}

// Start starts the server again after Stop, on the same port and data.
// It waits until the server answers; starting a running server does
// nothing.
func (p *Process) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		return
	}
	// The port was ours a moment ago; retry briefly in case the kernel is
	// slow to release it.
	var err error
	for range startTries {
		if err = p.launchLocked(); err == nil || !errors.Is(err, errExited) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("s3test: restart versitygw on %s: %v", p.addr, err)
	}
}

// Stop kills the server (SIGKILL: an abrupt outage) and waits for it to
// exit. Stopping a stopped server does nothing.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return
	}
	_ = p.cur.cmd.Process.Kill()
	<-p.cur.exited
	if p.t.Failed() {
		p.t.Logf("s3test: versitygw %v output (tail):\n%s", p.args, tail(p.cur.out.String(), 20))
	}
	p.cur = nil
}

func (p *Process) launch() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.launchLocked()
}

func (p *Process) launchLocked() error {
	r := &running{out: &lockedBuffer{}, exited: make(chan struct{})}
	r.cmd = exec.Command(p.bin, p.args...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", p.bin, err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	if err := waitReady(p.addr, r.exited); err != nil {
		_ = r.cmd.Process.Kill()
		<-r.exited
		if errors.Is(err, errExited) {
			return fmt.Errorf("%w (%v); output:\n%s", err, r.err, r.out.String())
		}
		return fmt.Errorf("%w; output:\n%s", err, r.out.String())
	}
	p.cur = r
	return nil
}

// tail returns the last n lines of s (request logs make the output long).
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// restartableAddr is freeAddr for a server that restarts on the same port:
// the port is chosen below the kernel's ephemeral range, so that it cannot
// be handed to another process's outgoing connection (or :0 listener)
// while the server is stopped.
func restartableAddr() (string, error) {
	low := 32768 // Linux default
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	if low > 12000 {
		for range 100 {
			addr := "127.0.0.1:" + strconv.Itoa(10000+mrand.IntN(low-10000))
			if l, err := net.Listen("tcp", addr); err == nil {
				if err := l.Close(); err == nil {
					return addr, nil
				}
			}
		}
	}
	return freeAddr()
}
