package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gliderlabs/ssh"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHGit is an in-process SSH server that serves git-receive-pack and
// git-upload-pack for exactly one bare repository to exactly one ed25519
// client key, like a git forge's deploy key. It can be stopped and started
// again on the same address with the same host key.
type SSHGit struct {
	Addr       string // 127.0.0.1:PORT
	Repo       string // the bare repository (absolute path)
	KeyFile    string // the client's private key, OpenSSH PEM
	KnownHosts string // a known_hosts file with the server's host key

	hostKey   gossh.Signer
	clientKey gossh.PublicKey

	mu       sync.Mutex
	srv      *ssh.Server
	served   chan struct{} // closed when srv.Serve returned
	sessions atomic.Int64  // git commands served
}

// StartSSHGit creates the keys and the known_hosts file and starts serving
// repo (a bare repository) on a free port.
func StartSSHGit(t *testing.T, repo string) *SSHGit {
	t.Helper()
	dir := t.TempDir()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	hostSigner, err := gossh.NewSignerFromKey(hostPriv)
	require.NoError(t, err)
	clientPub, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sshPub, err := gossh.NewPublicKey(clientPub)
	require.NoError(t, err)
	block, err := gossh.MarshalPrivateKey(clientPriv, "wharf-e2e")
	require.NoError(t, err)

	abs, err := filepath.Abs(repo)
	require.NoError(t, err)
	s := &SSHGit{
		Repo:       abs,
		KeyFile:    filepath.Join(dir, "id_ed25519"),
		KnownHosts: filepath.Join(dir, "known_hosts"),
		hostKey:    hostSigner,
		clientKey:  sshPub,
	}
	require.NoError(t, os.WriteFile(s.KeyFile, pem.EncodeToMemory(block), 0o600))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.Addr = ln.Addr().String()
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, hostSigner.PublicKey())
	require.NoError(t, os.WriteFile(s.KnownHosts, []byte(line+"\n"), 0o644))
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL is the ssh:// URL of the repository.
func (s *SSHGit) URL() string { return "ssh://git@" + s.Addr + s.Repo }

// Sessions counts the git commands served so far.
func (s *SSHGit) Sessions() int64 { return s.sessions.Load() }

func (s *SSHGit) serve(ln net.Listener) {
	srv := &ssh.Server{
		Handler: s.handle,
		PublicKeyHandler: func(_ ssh.Context, key ssh.PublicKey) bool {
			return ssh.KeysEqual(key, s.clientKey)
		},
	}
	srv.AddHostKey(s.hostKey)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	s.mu.Lock()
	s.srv, s.served = srv, served
	s.mu.Unlock()
}

// Stop closes the listener and every connection.
func (s *SSHGit) Stop() {
	s.mu.Lock()
	srv, served := s.srv, s.served
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	<-served
}

// Restart serves again on the same address with the same host key.
func (s *SSHGit) Restart(t *testing.T) {
	t.Helper()
	s.Stop()
	var (
		ln  net.Listener
		err error
	)
	for attempt := 0; attempt < 50; attempt++ {
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err, "listen again on %s", s.Addr)
	s.serve(ln)
}

// handle runs `git-receive-pack '<repo>'` or `git-upload-pack '<repo>'`
// for the one repository; anything else is refused.
func (s *SSHGit) handle(sess ssh.Session) {
	cmd := sess.Command()
	if len(cmd) != 2 || (cmd[0] != "git-receive-pack" && cmd[0] != "git-upload-pack") ||
		filepath.Clean(cmd[1]) != s.Repo {
		_, _ = io.WriteString(sess.Stderr(), "only git-receive-pack and git-upload-pack of "+s.Repo+" are served\n")
		_ = sess.Exit(128)
		return
	}
	s.sessions.Add(1)
	c := exec.Command(cmd[0], s.Repo)
	c.Env = append(os.Environ(), sess.Environ()...)
	c.Stdout, c.Stderr = sess, sess.Stderr()
	stdin, err := c.StdinPipe()
	if err != nil {
		_ = sess.Exit(1)
		return
	}
	if err := c.Start(); err != nil {
		_, _ = io.WriteString(sess.Stderr(), err.Error()+"\n")
		_ = sess.Exit(1)
		return
	}
	// Not through c.Stdin: Wait would wait for the client to close its side,
	// which it only does after the exit status.
	go func() {
		_, _ = io.Copy(stdin, sess)
		_ = stdin.Close()
	}()
	err = c.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code = 1
	}
	_ = sess.Exit(code)
}
