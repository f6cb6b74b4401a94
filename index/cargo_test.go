package index_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/index/gittest"
)

// buildCrate returns a .crate (gzip'd tar, entries below
// "<name>-<vers>/") whose lib has hello() returning greeting.
func buildCrate(t *testing.T, name, vers, greeting string) []byte {
	t.Helper()
	files := []struct{ path, body string }{
		{"Cargo.toml", fmt.Sprintf("[package]\nname = %q\nversion = %q\nedition = \"2021\"\n", name, vers)},
		{"src/lib.rs", fmt.Sprintf("pub fn hello() -> &'static str {\n    %q\n}\n", greeting)},
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{
			Name:     name + "-" + vers + "/" + f.path,
			Mode:     0o644,
			Size:     int64(len(f.body)),
			ModTime:  time.Unix(1700000000, 0),
			Typeflag: tar.TypeReg,
		}))
		_, err := tw.Write([]byte(f.body))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// crateServer serves .crate files at /dl/<name>/<vers>/download, cargo's
// default layout for a dl URL without markers.
type crateServer struct {
	mu     sync.Mutex
	crates map[string][]byte
	srv    *httptest.Server
}

func newCrateServer(t *testing.T) *crateServer {
	t.Helper()
	cs := &crateServer{crates: map[string][]byte{}}
	cs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		data, ok := cs.crates[r.URL.Path]
		cs.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	}))
	t.Cleanup(cs.srv.Close)
	return cs
}

// add serves a crate and returns its index line.
func (cs *crateServer) add(name, vers string, data []byte) string {
	cs.mu.Lock()
	cs.crates["/dl/"+name+"/"+vers+"/download"] = data
	cs.mu.Unlock()
	sum := sha256.Sum256(data)
	return fmt.Sprintf(`{"name":%q,"vers":%q,"deps":[],"cksum":%q,"features":{},"yanked":false}`+"\n", name, vers, hex.EncodeToString(sum[:]))
}

// runCargo runs cargo args in dir with an isolated CARGO_HOME and fails the
// test unless it succeeds.
func runCargo(t *testing.T, home, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cargo", args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		uk := strings.ToUpper(k)
		if strings.HasPrefix(uk, "CARGO") || strings.HasSuffix(uk, "_PROXY") || strings.HasPrefix(uk, "GIT_") || strings.HasPrefix(uk, "RUSTFLAGS") || uk == "RUSTC_WRAPPER" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env,
		"CARGO_HOME="+home,
		"CARGO_TARGET_DIR="+filepath.Join(home, "target"),
		"CARGO_NET_RETRY=0",
		"CARGO_TERM_COLOR=never",
		"CARGO_TERM_PROGRESS_WHEN=never",
		"CARGO_HTTP_TIMEOUT=30",
		"CARGO_INCREMENTAL=0",
		"CARGO_PROFILE_DEV_DEBUG=0",
		"NO_PROXY=127.0.0.1,localhost",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "cargo %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	return stdout.String()
}

func TestCargoThroughGitIndex(t *testing.T) {
	t.Parallel()

	if _, err := exec.LookPath("cargo"); err != nil {
		t.Skip("cargo not installed")
	}
	ctx := context.Background()

	type testBundle struct {
		crates *crateServer
		repo   *index.Repo
		url    string // index URL
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		log := gittest.NewLog(t)
		crates := newCrateServer(t)
		cfg := testRepoConfig(filepath.Join(t.TempDir(), "index.git"), log)
		cfg.ConfigJSON = []byte(fmt.Sprintf(`{"dl":"%s/dl"}`, crates.srv.URL))
		repo, err := index.Open(cfg)
		require.NoError(t, err)
		srv := httptest.NewServer(index.NewHTTPHandler(repo, "/index.git", log.Logger))
		t.Cleanup(srv.Close)
		return &testBundle{crates: crates, repo: repo, url: srv.URL + "/index.git"}
	}

	// buildConsumer publishes wharfdemo 0.1.0, builds a crate depending on
	// it, then publishes 0.1.1 and checks that `cargo update` fetches it.
	buildConsumer := func(t *testing.T, fetchWithCLI bool) {
		t.Helper()
		b := setup(t)
		line := b.crates.add("wharfdemo", "0.1.0", buildCrate(t, "wharfdemo", "0.1.0", "hello from 0.1.0"))
		require.NoError(t, b.repo.Apply(ctx, []index.Change{{
			Seq: 1, Path: "wh/ar/wharfdemo", Content: []byte(line), Message: "Publish wharfdemo 0.1.0", Time: time.Unix(1700000000, 0),
		}}))

		home := t.TempDir()
		config := fmt.Sprintf("[registries.g]\nindex = %q\n\n[net]\nretry = 0\ngit-fetch-with-cli = %t\n", b.url, fetchWithCLI)
		require.NoError(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte(config), 0o644))
		project := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(project, "src"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(project, "Cargo.toml"), []byte(`[package]
name = "consumer"
version = "0.1.0"
edition = "2021"

[dependencies]
wharfdemo = { version = "0.1", registry = "g" }
`), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(project, "src", "main.rs"),
			[]byte("fn main() {\n    println!(\"{}\", wharfdemo::hello());\n}\n"), 0o644))

		runCargo(t, home, project, "generate-lockfile")
		lock, err := os.ReadFile(filepath.Join(project, "Cargo.lock"))
		require.NoError(t, err)
		require.Contains(t, string(lock), "name = \"wharfdemo\"\nversion = \"0.1.0\"\nsource = \"registry+"+b.url+"\"")
		require.Equal(t, "hello from 0.1.0\n", runCargo(t, home, project, "run", "-q"))

		line2 := b.crates.add("wharfdemo", "0.1.1", buildCrate(t, "wharfdemo", "0.1.1", "hello from 0.1.1"))
		require.NoError(t, b.repo.Apply(ctx, []index.Change{{
			Seq: 2, Path: "wh/ar/wharfdemo", Content: []byte(line + line2), Message: "Publish wharfdemo 0.1.1", Time: time.Unix(1700000060, 0),
		}}))
		runCargo(t, home, project, "update")
		require.Equal(t, "hello from 0.1.1\n", runCargo(t, home, project, "run", "-q"))
	}

	t.Run("GitCLI", func(t *testing.T) {
		t.Parallel()
		buildConsumer(t, true)
	})

	t.Run("Libgit2", func(t *testing.T) {
		t.Parallel()
		buildConsumer(t, false)
	})
}
