package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// initBareRemote creates an empty bare repository whose HEAD is main.
func initBareRemote(t *testing.T, g *Git, path string) string {
	t.Helper()
	g.OK(t, "", "init", "--quiet", "--bare", "--initial-branch=main", path)
	return path
}

// waitRemoteCaughtUp polls until the remote repository's main is the commit
// the server advertises (ls-remote syncs the server's repository from the
// change log first) and that commit carries change wantSeq. It returns the
// commit.
func waitRemoteCaughtUp(t *testing.T, g *Git, srv *Server, remoteDir string, wantSeq int, timeout time.Duration) string {
	t.Helper()
	url := gitURL(srv, "admin", srv.AdminToken)
	var head string
	waitFor(t, timeout, 200*time.Millisecond, "remote catches up with the server", func() (bool, string) {
		head = g.LsRemoteMain(t, url)
		got := g.RevParse(remoteDir, "refs/heads/main")
		if got != head {
			return false, fmt.Sprintf("remote main %q, server main %s\nserver log:\n%s", got, head, srv.LogTail(15))
		}
		return true, ""
	})
	require.Equal(t, wantSeq, g.changeSeq(t, remoteDir, "main"), "remote head's change")
	// The server's own repository is at the same commit.
	require.Equal(t, head, g.RevParse(filepath.Join(srv.DataDir, "index.git"), "HEAD"))
	return head
}

// requireRemoteHas checks the remote's history: linear, one commit per
// change, with a publish commit for every name@vers.
func requireRemoteHas(t *testing.T, g *Git, remoteDir string, commits int, published []string) {
	t.Helper()
	subjects := g.requireLinearHistory(t, remoteDir, "main", commits)
	for _, nv := range published {
		name, vers, _ := strings.Cut(nv, "@")
		require.Contains(t, subjects, "Publish "+name+" "+vers, "remote history")
		require.Contains(t, string(g.showFile(remoteDir, "main", indexPath(name))), `"vers":"`+vers+`"`,
			"%s in the remote's %s", nv, indexPath(name))
	}
	require.Equal(t, "refs/heads/main", g.OK(t, "", "--git-dir="+remoteDir, "symbolic-ref", "HEAD"))
}

// TestGitRemotePush: with REGISTRY_GIT_REMOTE_PUSH_CHANGES the index_sync
// job mirrors every change to a remote — a local bare repository, or a
// repository behind an SSH server with a deploy key checked against
// known_hosts — and catches up after the remote was down, while publishing
// keeps working.
func TestGitRemotePush(t *testing.T) {
	requireCargo(t)
	requireGit(t)

	t.Run("local_bare", func(t *testing.T) {
		t.Parallel()
		g := NewGit(t)
		remote := initBareRemote(t, g, filepath.Join(t.TempDir(), "mirror.git"))
		srv := StartServer(t, "sqlite", append(gitServerEnv,
			"REGISTRY_GIT_REMOTE="+remote, "REGISTRY_GIT_REMOTE_PUSH_CHANGES=true")...)
		tok := srv.AdminToken
		// Back-to-back publishes: some land while a push is running.
		var published []string
		for i := 1; i <= 6; i++ {
			name := []string{"mirror-a", "mirror-b"}[i%2]
			vers := fmt.Sprintf("0.%d.0", i)
			mustPublish(t, srv, tok, name, vers)
			published = append(published, name+"@"+vers)
		}
		// config.json + 6 publishes.
		waitRemoteCaughtUp(t, g, srv, remote, 7, 60*time.Second)
		requireRemoteHas(t, g, remote, 8, published)

		// Later publishes arrive too, one at a time.
		for i := 7; i <= 8; i++ {
			vers := fmt.Sprintf("0.%d.0", i)
			mustPublish(t, srv, tok, "mirror-a", vers)
			published = append(published, "mirror-a@"+vers)
			waitRemoteCaughtUp(t, g, srv, remote, 1+i, 60*time.Second)
		}
		requireRemoteHas(t, g, remote, 10, published)
	})

	t.Run("ssh", func(t *testing.T) {
		t.Parallel()
		g := NewGit(t)
		remote := initBareRemote(t, g, filepath.Join(t.TempDir(), "mirror.git"))
		sshd := StartSSHGit(t, remote)
		srv := StartServer(t, "sqlite", append(gitServerEnv,
			"REGISTRY_GIT_REMOTE="+sshd.URL(),
			"REGISTRY_GIT_REMOTE_PUSH_CHANGES=true",
			"REGISTRY_GIT_REMOTE_SSH_KEY_FILENAME="+sshd.KeyFile,
			"REGISTRY_GIT_REMOTE_KNOWN_HOSTS="+sshd.KnownHosts,
		)...)
		tok := srv.AdminToken

		var published []string
		for i := 1; i <= 3; i++ {
			vers := fmt.Sprintf("1.0.%d", i)
			mustPublish(t, srv, tok, "ssh-mirrored", vers)
			published = append(published, "ssh-mirrored@"+vers)
		}
		waitRemoteCaughtUp(t, g, srv, remote, 4, 60*time.Second)
		requireRemoteHas(t, g, remote, 5, published)
		require.Positive(t, sshd.Sessions(), "pushed over SSH")

		// The remote goes down; publishing keeps working (also with cargo).
		sshd.Down()
		before := g.RevParse(remote, "main")
		work := t.TempDir()
		c := NewCargo(t, srv, tok, CargoOpts{})
		for i := 1; i <= 3; i++ {
			vers := fmt.Sprintf("2.0.%d", i)
			if i == 2 {
				dir := writeSimpleCrate(t, work, "ssh-down", vers, "published while the remote is down")
				c.OK(t, dir, args("publish", "--registry", "local", "--no-verify"), "Published ssh-down v"+vers)
				published = append(published, "ssh-down@"+vers)
				continue
			}
			mustPublish(t, srv, tok, "ssh-mirrored", vers)
			published = append(published, "ssh-mirrored@"+vers)
		}
		// Wait until pushes have failed twice, so that the retries are what
		// bring the remote up to date.
		waitFor(t, 60*time.Second, 100*time.Millisecond, "two push attempts fail", func() (bool, string) {
			return sshd.Refused() >= 2, fmt.Sprintf("%d attempts so far; server log:\n%s", sshd.Refused(), srv.LogTail(10))
		})
		require.Equal(t, before, g.RevParse(remote, "main"), "nothing reached the remote while it was down")

		sshd.Up()
		start := time.Now()
		waitRemoteCaughtUp(t, g, srv, remote, 7, 90*time.Second)
		t.Logf("remote caught up %s after it came back", time.Since(start).Round(time.Millisecond))
		requireRemoteHas(t, g, remote, 8, published)
	})
}
