// Package s3test starts a real S3-compatible server, versitygw, for tests.
//
// versitygw is a separate binary (github.com/versity/versitygw, Apache-2.0)
// that CI installs with .ci/install-versitygw.sh. Tests that need it fail
// when it is missing, unless WHARF_SKIP_S3=1 is set.
package s3test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const (
	// EnvSkip set to "1" makes Start skip the test when versitygw is
	// missing instead of failing it.
	EnvSkip = "WHARF_SKIP_S3"
	// EnvBinary overrides the versitygw binary path (default: PATH lookup).
	EnvBinary = "WHARF_VERSITYGW"

	installHint = "install it with `bash .ci/install-versitygw.sh` " +
		"(CGO_ENABLED=0 GOBIN=/usr/local/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0), " +
		"or set " + EnvSkip + "=1 to skip the S3 tests"

	readyTimeout = 30 * time.Second
	pollInterval = 50 * time.Millisecond
	startTries   = 3
)

// errExited means the server process ended before it was ready, usually
// because another process took the port between our probe and its bind.
var errExited = errors.New("versitygw exited before it was ready")

// Start runs versitygw's posix backend on a free 127.0.0.1 port with a
// fresh temporary directory, waits until it answers HTTP, and stops it when
// the test ends. It returns the endpoint URL and the root account's keys.
//
// The posix backend stores metadata in extended attributes; if the temporary
// directory's filesystem lacks user xattrs, Start passes --sidecar so
// metadata goes to files in a separate directory instead. In sidecar mode
// versitygw does not replace an object's data and metadata (its CRC32)
// together, so a GET racing an overwrite can fail the SDK's checksum
// validation and the conformance suite's OverwriteWhileReading subtest may
// fail; with xattrs (ext4, xfs, btrfs, tmpfs on recent kernels) it passes.
func Start(t testing.TB) (endpoint, accessKey, secretKey string) {
	t.Helper()
	bin := findBinary(t)
	accessKey, secretKey = "wharf-test", rand.Text()
	posixArgs := posixArgs(t)

	var lastErr error
	for range startTries {
		addr, err := freeAddr()
		if err != nil {
			t.Fatalf("s3test: %v", err)
		}
		args := append([]string{"--access", accessKey, "--secret", secretKey, "--port", addr}, posixArgs...)
		err = start(t, bin, args, addr)
		if err == nil {
			return "http://" + addr, accessKey, secretKey
		}
		lastErr = err
		if !errors.Is(err, errExited) {
			break
		}
	}
	t.Fatalf("s3test: start versitygw: %v", lastErr)
	return "", "", ""
}

func findBinary(t testing.TB) string {
	t.Helper()
	name := os.Getenv(EnvBinary)
	if name == "" {
		name = "versitygw"
	}
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin
	}
	if os.Getenv(EnvSkip) == "1" {
		t.Skipf("s3test: versitygw not found (%v); skipping because %s=1", err, EnvSkip)
	}
	t.Fatalf("s3test: versitygw not found (%v): %s", err, installHint)
	return ""
}

// start launches one server process and waits for it to answer on addr.
// On success the process is stopped in t.Cleanup.
func start(t testing.TB, bin string, args []string, addr string) error {
	out := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	if err := waitReady(addr, exited); err != nil {
		stop()
		if errors.Is(err, errExited) {
			return fmt.Errorf("%w (%v); output:\n%s", err, waitErr, out.String())
		}
		return fmt.Errorf("%w; output:\n%s", err, out.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("s3test: versitygw %v output:\n%s", args, out.String())
		}
	})
	return nil
}

// waitReady polls addr until any HTTP response comes back (an anonymous
// request gets 403, which is fine), the process exits, or readyTimeout.
func waitReady(addr string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for attempt := 1; ; attempt++ {
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw not ready on %s after %s (%d polls): %w", addr, readyTimeout, attempt, err)
		}
		timer := time.NewTimer(pollInterval)
		select {
		case <-exited:
			timer.Stop()
			return errExited
		case <-timer.C:
		}
	}
}

// freeAddr returns a 127.0.0.1 address with a port that was free just now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	return addr, nil
}

// lockedBuffer collects the server's output from two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// posixArgs prepares a data directory in t.TempDir and returns versitygw's
// "posix" backend arguments for it (with --sidecar when the filesystem has
// no user xattrs).
func posixArgs(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	args := []string{"posix"}
	if err := probeXattr(data); err != nil {
		t.Logf("s3test: no user xattrs in %s (%v); using --sidecar", data, err)
		meta := filepath.Join(dir, "meta")
		if err := os.Mkdir(meta, 0o755); err != nil {
			t.Fatalf("s3test: %v", err)
		}
		args = append(args, "--sidecar", meta)
	}
	return append(args, data)
}
