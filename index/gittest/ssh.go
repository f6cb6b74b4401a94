package gittest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHServer is an in-process SSH server on 127.0.0.1 serving the bare
// repositories below Root to git clients: it runs `git receive-pack` and
// `git upload-pack` for the one client key it accepts. It can be stopped
// and started again on the same port to simulate a remote that is down.
type SSHServer struct {
	// Addr is host:port.
	Addr string
	// Root holds the repositories; a URL path is relative to it.
	Root string
	// KeyFile is the accepted client's private key (OpenSSH PEM).
	KeyFile string
	// KnownHostsFile lists the server's host key for Addr.
	KnownHostsFile string
	// OtherKnownHostsFile lists another key for Addr (a wrong host key).
	OtherKnownHostsFile string

	tb        testing.TB
	hostKey   gossh.Signer
	clientPub gossh.PublicKey

	serving sync.WaitGroup // the Serve goroutine

	mu       sync.Mutex
	srv      *ssh.Server
	listener net.Listener
	running  int // handlers running
	sessions int
}

// StartSSHServer starts an SSHServer serving root and stops it when the
// test ends.
func StartSSHServer(tb testing.TB, root string) *SSHServer {
	tb.Helper()
	dir := tb.TempDir()
	s := &SSHServer{Root: root, tb: tb}

	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	must(tb, err)
	s.hostKey, err = gossh.NewSignerFromKey(hostPriv)
	must(tb, err)
	clientPub, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	must(tb, err)
	s.clientPub, err = gossh.NewPublicKey(clientPub)
	must(tb, err)
	block, err := gossh.MarshalPrivateKey(clientPriv, "wharf test client")
	must(tb, err)
	s.KeyFile = filepath.Join(dir, "id_ed25519")
	must(tb, os.WriteFile(s.KeyFile, pem.EncodeToMemory(block), 0o600))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, err)
	s.Addr = l.Addr().String()

	_, otherPriv, err := ed25519.GenerateKey(rand.Reader)
	must(tb, err)
	otherSigner, err := gossh.NewSignerFromKey(otherPriv)
	must(tb, err)
	s.KnownHostsFile = filepath.Join(dir, "known_hosts")
	s.OtherKnownHostsFile = filepath.Join(dir, "known_hosts_other")
	line := func(k gossh.PublicKey) []byte {
		return []byte(knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, k) + "\n")
	}
	must(tb, os.WriteFile(s.KnownHostsFile, line(s.hostKey.PublicKey()), 0o644))
	must(tb, os.WriteFile(s.OtherKnownHostsFile, line(otherSigner.PublicKey()), 0o644))

	s.serve(l)
	tb.Cleanup(s.Stop)
	return s
}

// URL returns the ssh:// URL of the repository at path below Root.
func (s *SSHServer) URL(path string) string {
	return "ssh://git@" + s.Addr + "/" + strings.TrimPrefix(filepath.ToSlash(path), "/")
}

// Sessions returns how many sessions ran a git command.
func (s *SSHServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Start starts a stopped server again on the same address.
func (s *SSHServer) Start() {
	s.tb.Helper()
	l, err := net.Listen("tcp", s.Addr)
	must(s.tb, err)
	s.serve(l)
}

// Stop closes the listener and every connection, and waits for the
// handlers to return. Stopping a stopped server does nothing.
func (s *SSHServer) Stop() {
	s.mu.Lock()
	srv, l := s.srv, s.listener
	s.srv, s.listener = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	// Serve may not have registered the listener with srv yet.
	_ = l.Close()
	s.serving.Wait()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		n := s.running
		s.mu.Unlock()
		if n == 0 {
			return
		}
	}
	s.tb.Errorf("ssh server: handlers still running after stop")
}

func (s *SSHServer) serve(l net.Listener) {
	srv := &ssh.Server{
		Handler: s.handle,
		PublicKeyHandler: func(_ ssh.Context, key ssh.PublicKey) bool {
			return ssh.KeysEqual(key, s.clientPub)
		},
	}
	srv.AddHostKey(s.hostKey)
	s.mu.Lock()
	s.srv, s.listener = srv, l
	s.mu.Unlock()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		_ = srv.Serve(l)
	}()
}

func (s *SSHServer) handle(sess ssh.Session) {
	s.mu.Lock()
	s.running++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	code, err := s.run(sess)
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "%v\n", err)
	}
	_ = sess.Exit(code)
}

func (s *SSHServer) run(sess ssh.Session) (int, error) {
	args := sess.Command()
	if len(args) != 2 || args[0] != "git-receive-pack" && args[0] != "git-upload-pack" {
		return 1, fmt.Errorf("unsupported command %q", sess.RawCommand())
	}
	rel := filepath.Clean("/" + args[1])
	dir := filepath.Join(s.Root, rel)
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()

	cmd := exec.Command("git", strings.TrimPrefix(args[0], "git-"), dir)
	cmd.Env = Env(s.Root)
	cmd.Stdout, cmd.Stderr = sess, sess.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1, err
	}
	if err := cmd.Start(); err != nil {
		return 1, err
	}
	// The client keeps its side open until it has the exit status, so the
	// copy must not be waited for; it ends when the session closes.
	go func() {
		_, _ = io.Copy(stdin, sess)
		_ = stdin.Close()
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
