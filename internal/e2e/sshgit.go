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

	"github.com/gliderlabs/ssh"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHGit is an in-process SSH server that serves git-receive-pack and
// git-upload-pack for exactly one bare repository to exactly one ed25519
// client key, like a git forge's deploy key. It can be taken down (it then
// drops every connection at once, counting them) and brought back up on the
// same address with the same host key.
type SSHGit struct {
	Addr       string // 127.0.0.1:PORT
	Repo       string // the bare repository (absolute path)
	KeyFile    string // the client's private key, OpenSSH PEM
	KnownHosts string // a known_hosts file with the server's host key

	clientKey gossh.PublicKey
	srv       *ssh.Server
	ln        net.Listener
	accepted  chan struct{} // closed when the accept loop ended

	down     atomic.Bool
	refused  atomic.Int64 // connections dropped while down
	sessions atomic.Int64 // git commands served
	closeMu  sync.Once
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
		clientKey:  sshPub,
		accepted:   make(chan struct{}),
	}
	require.NoError(t, os.WriteFile(s.KeyFile, pem.EncodeToMemory(block), 0o600))
	s.srv = &ssh.Server{
		Handler: s.handle,
		PublicKeyHandler: func(_ ssh.Context, key ssh.PublicKey) bool {
			return ssh.KeysEqual(key, s.clientKey)
		},
	}
	s.srv.AddHostKey(hostSigner)

	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.Addr = s.ln.Addr().String()
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, hostSigner.PublicKey())
	require.NoError(t, os.WriteFile(s.KnownHosts, []byte(line+"\n"), 0o644))
	go s.acceptLoop()
	t.Cleanup(s.Close)
	return s
}

func (s *SSHGit) acceptLoop() {
	defer close(s.accepted)
	_ = s.srv.Serve(downListener{s})
}

// downListener hands Serve the connections that arrive while the server is
// up and drops the others.
type downListener struct{ s *SSHGit }

func (l downListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.s.ln.Accept()
		if err != nil || !l.s.down.Load() {
			return conn, err
		}
		l.s.refused.Add(1)
		_ = conn.Close()
	}
}

func (l downListener) Close() error   { return l.s.ln.Close() }
func (l downListener) Addr() net.Addr { return l.s.ln.Addr() }

// URL is the ssh:// URL of the repository.
func (s *SSHGit) URL() string { return "ssh://git@" + s.Addr + s.Repo }

// Sessions counts the git commands served so far.
func (s *SSHGit) Sessions() int64 { return s.sessions.Load() }

// Refused counts the connections dropped while down.
func (s *SSHGit) Refused() int64 { return s.refused.Load() }

// Down makes the server drop every new connection, as an unreachable forge
// would; sessions already running finish.
func (s *SSHGit) Down() { s.down.Store(true) }

// Up serves again.
func (s *SSHGit) Up() { s.down.Store(false) }

// Close stops listening and closes every connection.
func (s *SSHGit) Close() {
	s.closeMu.Do(func() {
		_ = s.srv.Close() // closes the listener too
		<-s.accepted
	})
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
