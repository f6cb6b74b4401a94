package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// ErrRemoteDiverged is returned by Push when the remote branch is not an
// ancestor of the local one: the remote is ahead of this replica (retry
// once the change log has been replayed further) or holds another history
// (built from another config.json or author, or written by someone else).
// Push never force-pushes.
var ErrRemoteDiverged = errors.New("git index remote has diverged")

// pushRemoteName names the throw-away remote; nothing is saved in the
// repository's config and no remote-tracking ref is written.
const pushRemoteName = "wharf-push"

// RemoteConfig is a remote the index is pushed to (REGISTRY_GIT_REMOTE…).
type RemoteConfig struct {
	// URL is ssh://[user@]host[:port]/path, scp-like [user@]host:path,
	// http(s)://…, file://… or a local path.
	URL string
	// SSHKeyFile is a private key file (OpenSSH or PEM, no passphrase);
	// required for SSH remotes. The SSH user is the URL's, default "git".
	SSHKeyFile string
	// KnownHostsFile verifies the SSH server's host key; empty uses
	// SSH_KNOWN_HOSTS or ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.
	KnownHostsFile string
	// InsecureIgnoreHostKey accepts any SSH host key, when KnownHostsFile is
	// empty. Only for tests and trusted networks.
	InsecureIgnoreHostKey bool
	// HTTPUser and HTTPPassword are HTTP Basic credentials for http(s)
	// remotes (e.g. a user and an access token).
	HTTPUser     string
	HTTPPassword string
}

// auth returns go-git's authentication for the remote's transport.
func (rc *RemoteConfig) auth() (transport.AuthMethod, error) {
	if rc.URL == "" {
		return nil, errors.New("remote URL is empty")
	}
	ep, err := transport.NewEndpoint(rc.URL)
	if err != nil {
		return nil, fmt.Errorf("remote URL: %w", err)
	}
	switch ep.Protocol {
	case "file":
		return nil, nil
	case "http", "https":
		if rc.HTTPUser == "" && rc.HTTPPassword == "" {
			return nil, nil
		}
		return &githttp.BasicAuth{Username: rc.HTTPUser, Password: rc.HTTPPassword}, nil
	case "ssh":
		return rc.sshAuth(ep)
	default:
		return nil, fmt.Errorf("remote URL: unsupported protocol %q", ep.Protocol)
	}
}

func (rc *RemoteConfig) sshAuth(ep *transport.Endpoint) (transport.AuthMethod, error) {
	if rc.SSHKeyFile == "" {
		return nil, errors.New("ssh remote: SSHKeyFile is required")
	}
	user := ep.User
	if user == "" {
		user = "git"
	}
	keys, err := gitssh.NewPublicKeysFromFile(user, rc.SSHKeyFile, "")
	if err != nil {
		return nil, fmt.Errorf("ssh remote: read key %s: %w", rc.SSHKeyFile, err)
	}
	if rc.KnownHostsFile == "" && rc.InsecureIgnoreHostKey {
		keys.HostKeyCallback = ssh.InsecureIgnoreHostKey()
		return keys, nil
	}
	var files []string
	if rc.KnownHostsFile != "" {
		files = append(files, rc.KnownHostsFile)
	}
	db, err := gitssh.NewKnownHostsDb(files...)
	if err != nil {
		return nil, fmt.Errorf("ssh remote: known hosts: %w", err)
	}
	port := ep.Port
	if port <= 0 {
		port = gitssh.DefaultPort
	}
	keys.HostKeyCallback = db.HostKeyCallback()
	// Offer only the host key types known_hosts lists for this host, so
	// that a server with several keys shows the one that can be checked.
	keys.HostKeyAlgorithms = db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, strconv.Itoa(port)))
	return keys, nil
}

// Push pushes the branch to remote. A remote that is already up to date is
// a success. Push never force-pushes: when the remote branch is not an
// ancestor of the local one it returns an error wrapping ErrRemoteDiverged.
// The remote's HEAD should point at the same branch, since cargo fetches
// HEAD.
//
// Wharf's database, not the remote, is the source of truth: at start Wharf
// pushes its history to the remote and never pulls from it.
func (r *Repo) Push(ctx context.Context, remote RemoteConfig) error {
	auth, err := remote.auth()
	if err != nil {
		return fmt.Errorf("push git index: %w", err)
	}
	// Repack and Reset wait until the push has read what it needs.
	r.packMu.RLock()
	defer r.packMu.RUnlock()
	r.mu.Lock()
	head, seq, err := r.head()
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("push git index: %w", err)
	}

	// A storage of its own, so that Apply goes on while the network is slow.
	st := newStorage(r.cfg.Dir)
	rem := git.NewRemote(st, &config.RemoteConfig{Name: pushRemoteName, URLs: []string{remote.URL}})
	remoteHead, err := remoteBranch(ctx, rem, auth, r.branch)
	if err != nil {
		return fmt.Errorf("push git index to %s: %w", redactURL(remote.URL), err)
	}
	if remoteHead == head {
		return nil
	}
	if !remoteHead.IsZero() {
		if err := checkAncestor(st, remoteHead, head, seq); err != nil {
			return fmt.Errorf("push git index to %s: %w", redactURL(remote.URL), err)
		}
	}

	err = rem.PushContext(ctx, &git.PushOptions{
		RemoteName: pushRemoteName,
		RefSpecs:   []config.RefSpec{config.RefSpec(head.String() + ":" + r.branch.String())},
		Auth:       auth,
	})
	switch {
	case err == nil:
	case errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	// go-git has no sentinel for this; the remote moved after it was listed.
	case strings.Contains(err.Error(), "non-fast-forward"):
		return fmt.Errorf("push git index to %s: %w: %w", redactURL(remote.URL), ErrRemoteDiverged, err)
	default:
		return fmt.Errorf("push git index to %s: %w", redactURL(remote.URL), err)
	}
	r.logger.InfoContext(ctx, "git index pushed", slog.String("remote", redactURL(remote.URL)),
		slog.Int64("seq", seq), slog.String("commit", head.String()))
	return nil
}

// remoteBranch returns the remote's value of branch, zero when the remote
// has no such branch or is empty.
func remoteBranch(ctx context.Context, rem *git.Remote, auth transport.AuthMethod, branch plumbing.ReferenceName) (plumbing.Hash, error) {
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("list remote refs: %w", err)
	}
	for _, ref := range refs {
		if ref.Name() == branch && ref.Type() == plumbing.HashReference {
			return ref.Hash(), nil
		}
	}
	return plumbing.ZeroHash, nil
}

// checkAncestor makes sure that remote is on the local chain below head
// (whose trailer says seq). The chain is linear and every commit carries its
// sequence number, so this walks only the commits the remote lacks.
func checkAncestor(s storer.EncodedObjectStorer, remote, head plumbing.Hash, seq int64) error {
	rc, err := object.GetCommit(s, remote)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return fmt.Errorf("remote branch is at %s, which is not in the local history (remote ahead or other history): %w", remote, ErrRemoteDiverged)
	}
	if err != nil {
		return fmt.Errorf("read commit %s: %w", remote, err)
	}
	rseq, err := parseSeq(rc.Message)
	if err != nil || rseq > seq {
		return fmt.Errorf("remote branch is at %s, not an ancestor of %s: %w", remote, head, ErrRemoteDiverged)
	}
	h := head
	for i := seq; i > rseq; i-- {
		c, err := object.GetCommit(s, h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		if len(c.ParentHashes) != 1 {
			return fmt.Errorf("commit %s has %d parents", h, len(c.ParentHashes))
		}
		h = c.ParentHashes[0]
	}
	if h != remote {
		return fmt.Errorf("remote branch is at %s, local history has %s at change %d: %w", remote, h, rseq, ErrRemoteDiverged)
	}
	return nil
}

// redactURL drops a password from a URL for logs and errors.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok || strings.Contains(userinfo, "/") {
		return u
	}
	user, _, hasPass := strings.Cut(userinfo, ":")
	if !hasPass {
		return u
	}
	return scheme + "://" + user + ":xxxxx@" + host
}
