package index_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/index/gittest"
)

// countObjects returns `git count-objects -v` of a repository as numbers.
func countObjects(t *testing.T, gitDir string) map[string]int {
	t.Helper()
	out := gittest.Git(t, "", "--git-dir="+gitDir, "count-objects", "-v")
	counts := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, err := strconv.Atoi(v)
		require.NoError(t, err, line)
		counts[k] = n
	}
	return counts
}

func TestHTTPHandler(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	type testBundle struct {
		repo     *index.Repo
		requests chan *http.Request // every request the handler got
		url      string             // the repository's URL
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		log := gittest.NewLog(t)
		repo := openRepo(t, "", log)
		require.NoError(t, repo.Apply(ctx, sampleChanges(1, 5).changes))
		b := &testBundle{repo: repo, requests: make(chan *http.Request, 100)}
		h := index.NewHTTPHandler(repo, "/index.git", log.Logger)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.requests <- r.Clone(r.Context())
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		b.url = srv.URL + "/index.git"
		return b
	}

	// cloneAndFetch clones with protocol version v, applies changes and
	// fetches them incrementally into a new pack.
	cloneAndFetch := func(t *testing.T, v int) {
		t.Helper()
		b := setup(t)
		env := gittest.Env(t.TempDir(), "GIT_TRACE_PACKET=1")
		proto := fmt.Sprintf("protocol.version=%d", v)
		clone := filepath.Join(t.TempDir(), "clone")
		res := gittest.Run(t, "", env, "-c", proto, "-c", "fetch.unpackLimit=1", "clone", "-q", "--bare", b.url, clone)
		require.NoError(t, res.Err, res.Stderr)
		require.Equal(t, v == 2, strings.Contains(res.Stderr, "git< version 2"), "protocol v2 in use")

		_, head, err := b.repo.Head()
		require.NoError(t, err)
		require.Equal(t, head, gittest.Git(t, "", "--git-dir="+clone, "rev-parse", "main"))
		before := countObjects(t, clone)
		require.Equal(t, 1, before["packs"])

		require.NoError(t, b.repo.Apply(ctx, sampleChanges(6, 8).changes))
		res = gittest.Run(t, "", env, "--git-dir="+clone, "-c", proto, "-c", "fetch.unpackLimit=1",
			"fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*")
		require.NoError(t, res.Err, res.Stderr)
		require.Equal(t, v == 2, strings.Contains(res.Stderr, "git< version 2"), "protocol v2 in use")

		_, head, err = b.repo.Head()
		require.NoError(t, err)
		require.Equal(t, head, gittest.Git(t, "", "--git-dir="+clone, "rev-parse", "origin/main"))
		require.Contains(t, gittest.Git(t, "", "--git-dir="+clone, "log", "origin/main"), "Wharf-Change: 8")
		after := countObjects(t, clone)
		require.Equal(t, 2, after["packs"], "fetch added a pack")
		added := after["in-pack"] - before["in-pack"]
		require.Positive(t, added)
		require.Less(t, added, before["in-pack"], "only the new objects were sent")
		gittest.Git(t, "", "--git-dir="+clone, "fsck", "--strict")
	}

	// uploadPackBody is a v0 upload-pack request for the repository's head.
	uploadPackBody := func(t *testing.T, b *testBundle) []byte {
		t.Helper()
		_, head, err := b.repo.Head()
		require.NoError(t, err)
		want := "want " + head + "\n"
		return []byte(fmt.Sprintf("%04x%s0000%04xdone\n", len(want)+4, want, len("done\n")+4))
	}

	t.Run("ChunkedRequestBody", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// A reader of unknown length makes the client send it chunked.
		body := io.MultiReader(bytes.NewReader(uploadPackBody(t, b)))
		req, err := http.NewRequest(http.MethodPost, b.url+"/git-upload-pack", body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
		got := <-b.requests
		require.Equal(t, []string{"chunked"}, got.TransferEncoding)
		require.Contains(t, string(data), "PACK")
	})

	t.Run("CloneAndFetchProtocolV0", func(t *testing.T) {
		t.Parallel()
		cloneAndFetch(t, 0)
	})

	t.Run("CloneAndFetchProtocolV2", func(t *testing.T) {
		t.Parallel()
		cloneAndFetch(t, 2)
	})

	t.Run("GzipRequestBody", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, err := zw.Write(uploadPackBody(t, b))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		req, err := http.NewRequest(http.MethodPost, b.url+"/git-upload-pack", &gz)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
		require.Contains(t, string(data), "PACK")
	})

	t.Run("OnlyUploadPackIsServed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, tc := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/info/refs?service=git-upload-pack", http.StatusOK},
			{"GET", "/info/refs?service=git-receive-pack", http.StatusForbidden},
			{"POST", "/git-receive-pack", http.StatusForbidden},
			{"GET", "/info/refs", http.StatusNotFound},          // dumb protocol
			{"GET", "/HEAD", http.StatusNotFound},               // dumb protocol
			{"GET", "/objects/info/packs", http.StatusNotFound}, // dumb protocol
			{"GET", "/config", http.StatusNotFound},
			{"GET", "/git-upload-pack", http.StatusNotFound}, // wrong method
			{"POST", "/info/refs?service=git-upload-pack", http.StatusNotFound},
			{"GET", "/../index.git/info/refs?service=git-upload-pack", http.StatusNotFound},
			{"GET", "x/info/refs?service=git-upload-pack", http.StatusNotFound}, // other prefix
		} {
			req, err := http.NewRequest(tc.method, b.url+tc.path, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer secret")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode, "%s %s", tc.method, tc.path)
		}
	})

	t.Run("OwnedByAnotherUser", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() != 0 {
			t.Skip("needs root to chown")
		}
		b := setup(t)
		// git refuses "dubious ownership" unless the handler marks the
		// repository safe.
		require.NoError(t, filepath.WalkDir(b.repo.Dir(), func(p string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, 65534, 65534)
		}))
		gittest.Git(t, "", "clone", "-q", "--bare", b.url, filepath.Join(t.TempDir(), "clone"))
	})

	t.Run("PushIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		work := filepath.Join(t.TempDir(), "work")
		gittest.Git(t, "", "clone", "-q", b.url, work)
		gittest.Git(t, work, "commit", "-q", "--allow-empty", "-m", "sneaky")
		res := gittest.Run(t, work, nil, "push", "origin", "HEAD:refs/heads/main")
		require.Error(t, res.Err)
		require.Contains(t, res.Stderr, "403")
		_, head, err := b.repo.Head()
		require.NoError(t, err)
		require.NotEqual(t, gittest.Git(t, work, "rev-parse", "HEAD"), head)
	})
}
