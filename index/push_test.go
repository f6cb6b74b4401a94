package index_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/index/gittest"
)

func TestPush(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	type testBundle struct {
		log    *gittest.Log
		remote string // a bare repository whose HEAD is main
		repo   *index.Repo
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		log := gittest.NewLog(t)
		repo := openRepo(t, "", log)
		require.NoError(t, repo.Apply(ctx, sampleChanges(1, 5).changes))
		return &testBundle{log: log, remote: gittest.InitBare(t, "main"), repo: repo}
	}

	// requireRemoteAtHead checks the remote's main against the repo's head.
	requireRemoteAtHead := func(t *testing.T, repo *index.Repo, remote string) {
		t.Helper()
		_, head, err := repo.Head()
		require.NoError(t, err)
		require.Equal(t, head, gittest.Git(t, "", "--git-dir="+remote, "rev-parse", "main"))
		gittest.Git(t, "", "--git-dir="+remote, "fsck", "--strict")
	}

	t.Run("DivergedRemote", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// Another history (another config.json) got there first.
		cfg := testRepoConfig(filepath.Join(t.TempDir(), "other.git"), b.log)
		cfg.ConfigJSON = []byte(`{"dl":"http://other.test/dl"}`)
		other, err := index.Open(cfg)
		require.NoError(t, err)
		require.NoError(t, other.Push(ctx, index.RemoteConfig{URL: b.remote}))

		err = b.repo.Push(ctx, index.RemoteConfig{URL: b.remote})
		require.ErrorIs(t, err, index.ErrRemoteDiverged)
		requireRemoteAtHead(t, other, b.remote)
	})

	t.Run("FileURL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.repo.Push(ctx, index.RemoteConfig{URL: "file://" + b.remote}))
		requireRemoteAtHead(t, b.repo, b.remote)
	})

	t.Run("LocalPath", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		remote := index.RemoteConfig{URL: b.remote}
		require.NoError(t, b.repo.Push(ctx, remote))
		requireRemoteAtHead(t, b.repo, b.remote)

		// Incremental.
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(6, 9).changes))
		require.NoError(t, b.repo.Push(ctx, remote))
		requireRemoteAtHead(t, b.repo, b.remote)

		// Up to date.
		require.NoError(t, b.repo.Push(ctx, remote))
		requireRemoteAtHead(t, b.repo, b.remote)

		// Cloning the remote gives the index.
		clone := filepath.Join(t.TempDir(), "clone")
		gittest.Git(t, "", "clone", "-q", b.remote, clone)
		require.FileExists(t, filepath.Join(clone, "config.json"))
		require.FileExists(t, filepath.Join(clone, "3", "f", "foo"))
	})

	t.Run("RemoteAhead", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// A replica further along pushed first; this one catches up later.
		ahead := openRepo(t, "", b.log)
		require.NoError(t, ahead.Apply(ctx, sampleChanges(1, 8).changes))
		require.NoError(t, ahead.Push(ctx, index.RemoteConfig{URL: b.remote}))

		err := b.repo.Push(ctx, index.RemoteConfig{URL: b.remote})
		require.ErrorIs(t, err, index.ErrRemoteDiverged)
		requireRemoteAtHead(t, ahead, b.remote)

		require.NoError(t, b.repo.Apply(ctx, sampleChanges(6, 8).changes))
		require.NoError(t, b.repo.Push(ctx, index.RemoteConfig{URL: b.remote}))
		require.NoError(t, b.repo.Apply(ctx, sampleChanges(9, 9).changes))
		require.NoError(t, b.repo.Push(ctx, index.RemoteConfig{URL: b.remote}))
		requireRemoteAtHead(t, b.repo, b.remote)
	})

	t.Run("SSH", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		srv := gittest.StartSSHServer(t, filepath.Dir(b.remote))
		remote := index.RemoteConfig{
			URL:            srv.URL(filepath.Base(b.remote)),
			SSHKeyFile:     srv.KeyFile,
			KnownHostsFile: srv.KnownHostsFile,
		}
		require.NoError(t, b.repo.Push(ctx, remote))
		requireRemoteAtHead(t, b.repo, b.remote)

		require.NoError(t, b.repo.Apply(ctx, sampleChanges(6, 7).changes))
		require.NoError(t, b.repo.Push(ctx, remote))
		requireRemoteAtHead(t, b.repo, b.remote)
		require.NoError(t, b.repo.Push(ctx, remote))
		require.Positive(t, srv.Sessions())
	})

	t.Run("SSHInsecureIgnoreHostKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		srv := gittest.StartSSHServer(t, filepath.Dir(b.remote))
		require.NoError(t, b.repo.Push(ctx, index.RemoteConfig{
			URL:                   srv.URL(filepath.Base(b.remote)),
			SSHKeyFile:            srv.KeyFile,
			InsecureIgnoreHostKey: true,
		}))
		requireRemoteAtHead(t, b.repo, b.remote)
	})

	t.Run("SSHRemoteDown", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		srv := gittest.StartSSHServer(t, filepath.Dir(b.remote))
		remote := index.RemoteConfig{
			URL:            srv.URL(filepath.Base(b.remote)),
			SSHKeyFile:     srv.KeyFile,
			KnownHostsFile: srv.KnownHostsFile,
		}
		srv.Stop()
		err := b.repo.Push(ctx, remote)
		require.Error(t, err)
		require.NotErrorIs(t, err, index.ErrRemoteDiverged)

		srv.Start()
		require.NoError(t, b.repo.Push(ctx, remote))
		requireRemoteAtHead(t, b.repo, b.remote)
	})

	t.Run("SSHRequiresKeyFile", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		err := b.repo.Push(ctx, index.RemoteConfig{URL: "ssh://git@127.0.0.1:1/x.git"})
		require.ErrorContains(t, err, "SSHKeyFile")
	})

	t.Run("SSHWrongClientKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		srv := gittest.StartSSHServer(t, filepath.Dir(b.remote))
		other := gittest.StartSSHServer(t, t.TempDir())
		err := b.repo.Push(ctx, index.RemoteConfig{
			URL:            srv.URL(filepath.Base(b.remote)),
			SSHKeyFile:     other.KeyFile,
			KnownHostsFile: srv.KnownHostsFile,
		})
		require.ErrorContains(t, err, "unable to authenticate")
		require.Zero(t, srv.Sessions())
	})

	t.Run("SSHWrongHostKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		srv := gittest.StartSSHServer(t, filepath.Dir(b.remote))
		err := b.repo.Push(ctx, index.RemoteConfig{
			URL:            srv.URL(filepath.Base(b.remote)),
			SSHKeyFile:     srv.KeyFile,
			KnownHostsFile: srv.OtherKnownHostsFile,
		})
		require.Error(t, err)
		require.ErrorContains(t, err, "key mismatch")
		require.Zero(t, srv.Sessions())
		require.Equal(t, "", gittest.Run(t, "", nil, "--git-dir="+b.remote, "rev-parse", "-q", "--verify", "main").Stdout)
	})
}
