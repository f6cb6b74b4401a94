package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/testdb"
)

// requireGit skips with -short and fails when git is missing.
func requireGit(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git not on PATH: the git index tests need the real git")
	}
}

// gitServerEnv turns the git index on.
var gitServerEnv = []string{"REGISTRY_INDEX_PROTOCOL_GIT=true"}

const gitConsumer = `-- Cargo.toml --
[package]
name = "git-consumer"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
foo = { version = "0.1", registry = "g" }
-- src/main.rs --
fn main() {
    println!("foo answer = {}", foo::answer());
}
`

// lockedSources returns package name → source recorded in dir/Cargo.lock.
func lockedSources(t *testing.T, dir string) map[string]string {
	t.Helper()
	var lock struct {
		Package []struct {
			Name   string `toml:"name"`
			Source string `toml:"source"`
		} `toml:"package"`
	}
	_, err := toml.DecodeFile(filepath.Join(dir, "Cargo.lock"), &lock)
	require.NoError(t, err, "decode Cargo.lock")
	out := map[string]string{}
	for _, p := range lock.Package {
		out[p.Name] = p.Source
	}
	return out
}

// TestGitIndexCloneFetchCargo: the git index is cloned and incrementally
// fetched by the real git, has one commit per change in a linear history
// with the same files as the sparse index, and cargo resolves and builds
// through it with git credentials from a credential helper. Git without
// credentials gets a Basic challenge; pushing is refused.
func TestGitIndexCloneFetchCargo(t *testing.T) {
	requireCargo(t)
	requireGit(t)
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := StartServer(t, engine, gitServerEnv...)
			tok := srv.AdminToken
			work := t.TempDir()
			admin := NewCargo(t, srv, tok, CargoOpts{})
			g := NewGit(t)
			url := gitURL(srv, "admin", tok)

			foo := writeSimpleCrate(t, work, "foo", "0.1.0", "git index test")
			admin.OK(t, foo, args("publish", "--registry", "local", "--no-verify"), "Published foo v0.1.0")

			// Clone: config.json and the crate file are the sparse index's bytes.
			clone := filepath.Join(work, "clone")
			g.OK(t, "", "clone", "--quiet", url, clone)
			gd := filepath.Join(clone, ".git")
			first := g.OK(t, clone, "rev-parse", "origin/main")
			require.Equal(t, first, g.LsRemoteMain(t, url))
			require.Equal(t, "main", g.OK(t, clone, "rev-parse", "--abbrev-ref", "HEAD"), "the clone checks out main (remote HEAD)")
			require.Equal(t, string(srv.Get(t, "/index/config.json", tok)), string(g.showFile(gd, "origin/main", "config.json")))
			require.Equal(t, string(srv.Get(t, "/index/3/f/foo", tok)), string(g.showFile(gd, "origin/main", "3/f/foo")))
			worktree, err := os.ReadFile(filepath.Join(clone, "3", "f", "foo"))
			require.NoError(t, err, "the work tree has the index file")
			require.Equal(t, string(srv.Get(t, "/index/3/f/foo", tok)), string(worktree))
			require.Equal(t, []string{"Initialize index", "Update config.json", "Publish foo 0.1.0"},
				g.requireLinearHistory(t, gd, "origin/main", 3))
			require.Equal(t, "{}\n", string(g.showFile(gd, "origin/main~2", "config.json")), "root commit holds {}")

			// Publish again; an incremental fetch into the existing clone gets
			// exactly one new commit on top of the old head.
			setVersion(t, filepath.Join(foo, "Cargo.toml"), "0.1.0", "0.1.1")
			admin.OK(t, foo, args("publish", "--registry", "local", "--no-verify"), "Published foo v0.1.1")
			g.OK(t, clone, "fetch", "--quiet", "origin")
			second := g.OK(t, clone, "rev-parse", "origin/main")
			require.NotEqual(t, first, second, "fetch must bring the new commit")
			require.Equal(t, first, g.OK(t, clone, "rev-parse", "origin/main^"), "new commit's parent is the old head")
			require.Equal(t, "1", g.OK(t, clone, "rev-list", "--count", first+"..origin/main"))
			require.Equal(t, []string{"Initialize index", "Update config.json", "Publish foo 0.1.0", "Publish foo 0.1.1"},
				g.requireLinearHistory(t, gd, "origin/main", 4))
			require.Equal(t, "3/f/foo", g.OK(t, clone, "diff", "--name-only", first, "origin/main"), "the commit changes only foo's file")
			sparse := srv.Get(t, "/index/3/f/foo", tok)
			require.Equal(t, string(sparse), string(g.showFile(gd, "origin/main", "3/f/foo")))
			lines := strings.Split(strings.TrimSuffix(string(sparse), "\n"), "\n")
			require.Len(t, lines, 2)
			require.Contains(t, lines[1], `"vers":"0.1.1"`)
			g.OK(t, clone, "merge", "--quiet", "--ff-only", "origin/main")
			require.Equal(t, second, g.LsRemoteMain(t, url))

			t.Run("cargo_through_git_index", func(t *testing.T) {
				cg := NewGit(t)
				cg.StoreCredentials(t, strings.TrimSuffix(gitURL(srv, "admin", tok), "/index.git"))
				cfg := fmt.Sprintf("[registries.g]\nindex = %q\ncredential-provider = \"cargo:token\"\n\n[net]\ngit-fetch-with-cli = true\nretry = 0\n",
					srv.URL+"/index.git")
				c := NewCargoConfig(t, srv, cfg, append(gitVars(cg), "CARGO_REGISTRIES_G_TOKEN="+tok)...)
				cons := filepath.Join(work, "git-consumer")
				files, err := parseTxtar([]byte(gitConsumer))
				require.NoError(t, err)
				writeFiles(t, cons, files)
				c.OK(t, cons, args("generate-lockfile"))
				require.Equal(t, []string{"0.1.1"}, lockedVersions(t, cons)["foo"])
				require.Equal(t, "registry+"+srv.URL+"/index.git", lockedSources(t, cons)["foo"])
				c.OK(t, cons, args("build"), "Downloaded foo v0.1.1", "Compiling foo v0.1.1")
				require.Contains(t, c.Exec(t, "git-consumer"), "foo answer = 42")
				// The index came through git: cargo's checkout of it is a git
				// repository at the server's head.
				dbs, err := filepath.Glob(filepath.Join(c.Home, "registry", "index", "*", ".git"))
				require.NoError(t, err)
				require.Len(t, dbs, 1, "cargo keeps one git index clone")
				require.Equal(t, second, cg.OK(t, "", "--git-dir="+dbs[0], "rev-parse", "refs/remotes/origin/HEAD^{commit}"))
			})

			t.Run("auth_and_push_refused", func(t *testing.T) {
				// No credentials: a Basic challenge, and git gives up (no prompt).
				res := srv.Do(t, http.MethodGet, "/index.git/info/refs?service=git-upload-pack", "", nil)
				require.Equal(t, http.StatusUnauthorized, res.Status)
				require.True(t, strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic "), "challenge %q", res.Header.Get("WWW-Authenticate"))
				anon := NewGit(t)
				anon.Fail(t, "", args("ls-remote", gitURL(srv, "", "")), "could not read Username")
				anon.Fail(t, "", args("clone", "--quiet", gitURL(srv, "", ""), filepath.Join(t.TempDir(), "c")))
				anon.Fail(t, "", args("ls-remote", gitURL(srv, "admin", "wharf_bogus0000000000000000000000")), "Authentication failed")

				// Pushing is refused even with valid credentials.
				res = srv.Do(t, http.MethodGet, "/index.git/info/refs?service=git-receive-pack", "Bearer "+tok, nil)
				require.Equal(t, http.StatusForbidden, res.Status, "%s", res.Body)
				res = srv.Do(t, http.MethodPost, "/index.git/git-receive-pack", "Bearer "+tok, []byte("0000"))
				require.Equal(t, http.StatusForbidden, res.Status, "%s", res.Body)
				require.NoError(t, os.WriteFile(filepath.Join(clone, "3", "f", "foo"), []byte("{}\n"), 0o644))
				g.OK(t, clone, "commit", "--quiet", "-am", "tamper")
				g.Fail(t, clone, args("push", "origin", "HEAD:refs/heads/main"), "403")
				g.Fail(t, clone, args("push", "origin", "HEAD:refs/heads/other"), "403")
				require.Equal(t, second, g.LsRemoteMain(t, url), "the index is unchanged")
				// The dumb protocol and other paths are not served.
				for _, p := range []string{"/index.git/HEAD", "/index.git/objects/info/packs", "/index.git/config"} {
					require.Equal(t, http.StatusNotFound, srv.Do(t, http.MethodGet, p, "Bearer "+tok, nil).Status, p)
				}
			})
		})
	}
}

// gitVars are the GIT_* settings of g, for a process (cargo) that runs git.
func gitVars(g *Git) []string {
	var out []string
	for _, kv := range g.Env() {
		if strings.HasPrefix(kv, "GIT_") {
			out = append(out, kv)
		}
	}
	return out
}
