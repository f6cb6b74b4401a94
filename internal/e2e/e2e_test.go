package e2e

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/testdb"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "wharf-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	wharfBin, err = buildWharf(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func requireCargo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	if _, err := exec.LookPath("cargo"); err != nil {
		t.Fatal("cargo not on PATH: the end-to-end tests need the real cargo (rustup or Debian cargo)")
	}
}

// suite is the state shared by the ordered steps of one engine's run.
type suite struct {
	srv   *Server
	admin *Cargo // admin's write token
	ws    string // the workspace
	work  string // scratch dir for consumers and extra crates
}

func (s *suite) dir(name string) string {
	return filepath.Join(s.work, name)
}

// TestCargoEndToEnd drives cargo 1.95 through publish, resolve, build, yank,
// owners, search and the token rules, on every engine.
func TestCargoEndToEnd(t *testing.T) {
	requireCargo(t)
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := StartServer(t, engine)
			s := &suite{srv: srv, admin: NewCargo(t, srv, srv.AdminToken, CargoOpts{}), ws: t.TempDir(), work: t.TempDir()}
			if !t.Run("1_publish_workspace", s.publishWorkspace) {
				t.FailNow() // everything else needs the crates
			}
			t.Run("2_index_over_http", s.indexOverHTTP)
			t.Run("3_consumer_build", s.consumerBuild)
			t.Run("4_yank", s.yank)
			t.Run("5_owners", s.owners)
			t.Run("6_search", s.search)
			t.Run("7_read_only_token", s.readOnlyToken)
			t.Run("8_other_user", s.otherUser)
			t.Run("9_auth", s.authChecks)
		})
	}
}

// 1. Publish the workspace in dependency order; wharf-core is verified
// (built from the registry), the others use --no-verify.
func (s *suite) publishWorkspace(t *testing.T) {
	writeTxtar(t, "workspace.txtar", s.ws)
	// cargo uploads in dependency order and reports independent crates
	// together ("Published MyCrate v0.1.0 and ab v0.1.0").
	res := s.admin.OK(t, s.ws, args("publish", "--registry", "local", "--workspace", "--exclude", "wharf-core", "--no-verify"),
		"Uploaded a v0.1.0", "Uploaded ab v0.1.0", "Uploaded MyCrate v0.1.0", "Uploaded abc v0.1.0", "Published abc v0.1.0")
	at := func(name string) int { return strings.Index(res.Stderr, "Uploaded "+name+" v") }
	for _, pair := range [][2]string{{"a", "ab"}, {"a", "MyCrate"}, {"ab", "abc"}, {"MyCrate", "abc"}} {
		require.Less(t, at(pair[0]), at(pair[1]), "%s must be uploaded before %s:\n%s", pair[0], pair[1], res.Stderr)
	}
	require.NotContains(t, res.Stderr, "warning: timed out waiting")
	s.admin.OK(t, s.ws, args("publish", "--registry", "local", "-p", "wharf-core"),
		"Verifying wharf-core v0.1.0", "Compiling ab v0.1.0", "Published wharf-core v0.1.0")
}

// 2. The sparse index over plain HTTP.
func (s *suite) indexOverHTTP(t *testing.T) {
	tok := s.srv.AdminToken

	var cfg struct {
		DL           string `json:"dl"`
		API          string `json:"api"`
		AuthRequired bool   `json:"auth-required"`
	}
	require.NoError(t, json.Unmarshal(s.srv.Get(t, "/index/config.json", tok), &cfg))
	require.True(t, cfg.AuthRequired, "auth-required by default")
	require.Equal(t, s.srv.URL, strings.TrimRight(cfg.API, "/"))
	require.False(t, strings.HasSuffix(cfg.API, "/"), "api must have no trailing slash: %q", cfg.API)
	require.NotEmpty(t, cfg.DL)

	// a: length 1, rust-version, features, no deps.
	a := findVersion(t, indexFile(t, s.srv, tok, "1/a"), "0.1.0")
	require.Equal(t, "a", a.Name)
	require.Empty(t, a.Deps)
	require.NotNil(t, a.RustVersion)
	require.Equal(t, "1.70", *a.RustVersion)
	require.Equal(t, map[string][]string{"default": {"std"}, "std": {}}, normFeatures(a.allFeatures()))
	require.False(t, a.Yanked)
	require.True(t, a.Links == nil || *a.Links == "", "a has no links")

	// ab: length 2, links, build-dependency.
	ab := findVersion(t, indexFile(t, s.srv, tok, "2/ab"), "0.1.0")
	require.NotNil(t, ab.Links)
	require.Equal(t, "wharfab", *ab.Links)
	require.Len(t, ab.Deps, 1)
	build := ab.dep(t, "a", "build")
	require.Equal(t, "^0.1", build.Req)
	require.False(t, build.defaultFeatures())
	require.Nil(t, build.Package)
	// Deps resolved through [source.crates-io] replace-with are crates.io
	// deps to cargo: it sends crates.io's index URL, which the index keeps.
	require.NotNil(t, build.Registry)
	require.Equal(t, "https://github.com/rust-lang/crates.io-index", *build.Registry)

	// abc: length 3, renamed optional dep, cfg(unix) dep, dev-dep, dep:/?/ features.
	abc := findVersion(t, indexFile(t, s.srv, tok, "3/a/abc"), "0.1.0")
	require.Len(t, abc.Deps, 3, "%+v", abc.Deps)
	renamed := abc.dep(t, "a2", "normal")
	require.NotNil(t, renamed.Package, "renamed dep needs package")
	require.Equal(t, "a", *renamed.Package)
	require.True(t, renamed.Optional)
	require.False(t, renamed.defaultFeatures())
	require.Equal(t, "^0.1", renamed.Req)
	target := abc.dep(t, "ab", "normal")
	require.NotNil(t, target.Target)
	require.Equal(t, "cfg(unix)", *target.Target)
	require.False(t, target.Optional)
	dev := abc.dep(t, "MyCrate", "dev")
	require.Equal(t, "^0.1", dev.Req)
	require.Equal(t, map[string][]string{"default": {}, "extra": {"dep:a2"}, "std": {"a2?/std"}}, normFeatures(abc.allFeatures()))

	// MyCrate: mixed case, lowercase path, name keeps its case.
	my := findVersion(t, indexFile(t, s.srv, tok, "my/cr/mycrate"), "0.1.0")
	require.Equal(t, "MyCrate", my.Name)
	require.False(t, my.dep(t, "a", "normal").defaultFeatures())

	// wharf-core: length ≥ 4, dep features.
	core := findVersion(t, indexFile(t, s.srv, tok, "wh/ar/wharf-core"), "0.1.0")
	require.NotNil(t, core.RustVersion)
	require.Equal(t, "1.70", *core.RustVersion)
	require.Equal(t, []string{"extra"}, core.dep(t, "abc", "normal").Features)
	require.Equal(t, "^0.1", core.dep(t, "MyCrate", "normal").Req)

	// cksum = SHA-256 of the downloaded .crate, for every crate.
	for _, l := range []indexLine{a, ab, abc, my, core} {
		checkCksum(t, s.srv, tok, l)
	}

	// Misses are plain 404s; ETag revalidation answers 304.
	require.Equal(t, http.StatusNotFound, s.srv.Do(t, http.MethodGet, "/index/no/ne/nonexistent", tok, nil).Status)
	first := s.srv.Do(t, http.MethodGet, "/index/3/a/abc", tok, nil)
	again := s.srv.Do(t, http.MethodGet, "/index/3/a/abc", tok, nil, "If-None-Match", first.Header.Get("ETag"))
	require.Equal(t, http.StatusNotModified, again.Status)
}

// normFeatures turns nil feature lists into empty ones for comparison.
func normFeatures(m map[string][]string) map[string][]string {
	for k, v := range m {
		if v == nil {
			m[k] = []string{}
		}
	}
	return m
}

// 3. A consumer resolves and builds against the registry.
func (s *suite) consumerBuild(t *testing.T) {
	dir := s.dir("consumer")
	writeTxtar(t, "consumer.txtar", dir)
	s.admin.OK(t, dir, args("generate-lockfile"))
	lock := lockedVersions(t, dir)
	for _, name := range []string{"wharf-core", "abc", "ab", "a", "MyCrate"} {
		require.Equal(t, []string{"0.1.0"}, lock[name], "%s in Cargo.lock: %v", name, lock)
	}
	s.admin.OK(t, dir, args("build"), "Compiling wharf-core v0.1.0", "Compiling consumer v0.1.0")
	out := s.admin.Exec(t, "consumer")
	require.Contains(t, out, "wharf-core 0.1.0 = 113")
	require.Contains(t, out, "a=1")
}

// 4. Yanked versions are skipped by new resolutions but still build from an
// existing lockfile; unyank makes them selectable again.
func (s *suite) yank(t *testing.T) {
	setVersion(t, filepath.Join(s.ws, "wharf-core", "Cargo.toml"), "0.1.0", "0.1.1")
	s.admin.OK(t, s.ws, args("publish", "--registry", "local", "-p", "wharf-core", "--no-verify"), "Published wharf-core v0.1.1")

	pinned := s.dir("pinned")
	writeTxtar(t, "consumer.txtar", pinned)
	s.admin.OK(t, pinned, args("generate-lockfile"))
	require.Equal(t, []string{"0.1.1"}, lockedVersions(t, pinned)["wharf-core"])

	s.admin.OK(t, s.work, args("yank", "--registry", "local", "wharf-core@0.1.1"))
	require.True(t, findVersion(t, indexFile(t, s.srv, s.srv.AdminToken, "wh/ar/wharf-core"), "0.1.1").Yanked)

	fresh := s.dir("fresh")
	writeTxtar(t, "consumer.txtar", fresh)
	s.admin.OK(t, fresh, args("generate-lockfile"))
	require.Equal(t, []string{"0.1.0"}, lockedVersions(t, fresh)["wharf-core"], "a fresh resolution must skip the yanked 0.1.1")

	s.admin.OK(t, pinned, args("build", "--locked"))
	require.Contains(t, s.admin.Exec(t, "consumer"), "wharf-core 0.1.1 = 113")
	require.Equal(t, []string{"0.1.1"}, lockedVersions(t, pinned)["wharf-core"])

	s.admin.OK(t, s.work, args("yank", "--registry", "local", "--undo", "wharf-core@0.1.1"))
	l := findVersion(t, indexFile(t, s.srv, s.srv.AdminToken, "wh/ar/wharf-core"), "0.1.1")
	require.False(t, l.Yanked)
	require.NoError(t, os.Remove(filepath.Join(fresh, "Cargo.lock")))
	s.admin.OK(t, fresh, args("generate-lockfile"))
	require.Equal(t, []string{"0.1.1"}, lockedVersions(t, fresh)["wharf-core"], "after unyank 0.1.1 is picked again")
}

// ownerLogins parses `cargo owner --list` output ("login" or "login (name)").
func ownerLogins(stdout string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return out
}

// 5. cargo owner --add/--list/--remove; the last owner cannot be removed.
func (s *suite) owners(t *testing.T) {
	s.srv.CreateUser(t, "bob", false)
	list := args("owner", "--registry", "local", "--list", "wharf-core")

	s.admin.OK(t, s.work, args("owner", "--registry", "local", "--add", "bob", "wharf-core"), "bob")
	require.ElementsMatch(t, []string{"admin", "bob"}, ownerLogins(s.admin.OK(t, s.work, list).Stdout))

	s.admin.OK(t, s.work, args("owner", "--registry", "local", "--remove", "bob", "wharf-core"), "bob")
	require.Equal(t, []string{"admin"}, ownerLogins(s.admin.OK(t, s.work, list).Stdout))

	s.admin.Fail(t, s.work, args("owner", "--registry", "local", "--remove", "bob", "wharf-core"), "is not an owner")
	s.admin.Fail(t, s.work, args("owner", "--registry", "local", "--remove", "admin", "wharf-core"),
		"cannot remove every owner")
	s.admin.Fail(t, s.work, args("owner", "--registry", "local", "--add", "nobody", "wharf-core"), "nobody")
	require.Equal(t, []string{"admin"}, ownerLogins(s.admin.OK(t, s.work, list).Stdout))
}

var searchHit = regexp.MustCompile(`^(\S+) = "([^"]+)"`)

// 6. cargo search --limit honours per_page and reports the remainder.
func (s *suite) search(t *testing.T) {
	for _, name := range []string{"wharf-x1", "wharf-x2", "wharf-x3"} {
		dir := writeSimpleCrate(t, s.dir("search"), name, "0.1.0", "search filler")
		s.admin.OK(t, dir, args("publish", "--registry", "local", "--no-verify"), "Published "+name+" v0.1.0")
	}
	var meta struct {
		Crates []struct {
			Name       string `json:"name"`
			MaxVersion string `json:"max_version"`
		} `json:"crates"`
		Meta struct {
			Total int `json:"total"`
		} `json:"meta"`
	}
	require.NoError(t, json.Unmarshal(s.srv.Get(t, "/api/v1/crates?q=wharf&per_page=2", s.srv.AdminToken), &meta))
	require.GreaterOrEqual(t, meta.Meta.Total, 4, "wharf-core and wharf-x1..3 match")
	require.Len(t, meta.Crates, 2)

	res := s.admin.OK(t, s.work, args("search", "--registry", "local", "wharf", "--limit", "2"))
	var hits []string
	for _, line := range strings.Split(res.Stdout, "\n") {
		if m := searchHit.FindStringSubmatch(line); m != nil {
			hits = append(hits, m[1]+"@"+m[2])
		}
	}
	require.Len(t, hits, 2, "at most 2 results:\n%s", res.Stdout)
	require.Contains(t, hits, "wharf-core@0.1.1", "max_version is the highest non-yanked:\n%s", res.Stdout)
	more := fmt.Sprintf("... and %d crates more", meta.Meta.Total-2)
	require.Contains(t, res.Stdout+res.Stderr, more, "stdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
}

// 7. A read-only token resolves and builds but cannot publish or yank.
func (s *suite) readOnlyToken(t *testing.T) {
	ro := s.srv.CreateToken(t, "admin", "ci-read", true)
	c := NewCargo(t, s.srv, ro, CargoOpts{TargetDir: s.admin.TargetDir}) // fresh CARGO_HOME: real downloads

	dir := writeSimpleCrate(t, s.dir("ro"), "ro-attempt", "0.1.0", "must not be published")
	c.Fail(t, dir, args("publish", "--registry", "local", "--no-verify"), "403", "read-only")
	c.Fail(t, s.work, args("yank", "--registry", "local", "wharf-core@0.1.0"), "403")
	require.Equal(t, http.StatusNotFound, s.srv.Do(t, http.MethodGet, "/index/ro/-a/ro-attempt", ro, nil).Status)

	cons := s.dir("ro-consumer")
	writeTxtar(t, "consumer.txtar", cons)
	c.OK(t, cons, args("generate-lockfile"))
	c.OK(t, cons, args("build"), "Downloaded")
	require.Contains(t, c.Exec(t, "consumer"), "wharf-core 0.1.1 = 113")
}

// 8. Another user cannot publish to or yank admin's crate, but can publish
// her own.
func (s *suite) otherUser(t *testing.T) {
	s.srv.CreateUser(t, "eve", false)
	eve := s.admin.WithToken(s.srv.CreateToken(t, "eve", "eve-write", false))

	setVersion(t, filepath.Join(s.ws, "wharf-core", "Cargo.toml"), "0.1.1", "0.1.2")
	eve.Fail(t, s.ws, args("publish", "--registry", "local", "-p", "wharf-core", "--no-verify"), "403", "is not an owner")
	eve.Fail(t, s.work, args("yank", "--registry", "local", "wharf-core@0.1.0"), "403", "is not an owner")
	eve.Fail(t, s.work, args("owner", "--registry", "local", "--add", "eve", "wharf-core"), "403")
	lines := indexFile(t, s.srv, s.srv.AdminToken, "wh/ar/wharf-core")
	require.Len(t, lines, 2, "eve's 0.1.2 must not be in the index")
	require.False(t, findVersion(t, lines, "0.1.0").Yanked)

	// A dependency named with registry = "local" is "this registry": cargo
	// sends no registry and the index line must say null.
	dir := writeSimpleCrate(t, s.dir("eve"), "eve-tools", "0.1.0", "eve's own crate", `a = { version = "0.1", registry = "local" }`)
	eve.OK(t, dir, args("publish", "--registry", "local", "--no-verify"), "Published eve-tools v0.1.0")
	own := findVersion(t, indexFile(t, s.srv, s.srv.AdminToken, "ev/e-/eve-tools"), "0.1.0")
	dep := own.dep(t, "a", "normal")
	require.Nil(t, dep.Registry, "same-registry dependency must have registry null, got %v", dep.Registry)
	checkCksum(t, s.srv, eve.Token, own)
	require.Equal(t, []string{"eve"},
		ownerLogins(eve.OK(t, s.work, args("owner", "--registry", "local", "--list", "eve-tools")).Stdout))
}

// 9. Authentication on the index; revoked tokens are rejected.
func (s *suite) authChecks(t *testing.T) {
	res := s.srv.Do(t, http.MethodGet, "/index/config.json", "", nil)
	require.Equal(t, http.StatusUnauthorized, res.Status)
	require.Equal(t, `Cargo login_url="`+s.srv.URL+`/account"`, res.Header.Get("WWW-Authenticate"))
	requireCargoErrors(t, res.Body)
	for _, path := range []string{"/index/3/a/abc", "/api/v1/crates/abc/0.1.0/download", "/api/v1/crates?q=abc"} {
		require.Equal(t, http.StatusUnauthorized, s.srv.Do(t, http.MethodGet, path, "", nil).Status, path)
	}
	bogus := s.srv.Do(t, http.MethodGet, "/index/config.json", "wharf_bogus0000000000000000000000", nil)
	require.Equal(t, http.StatusUnauthorized, bogus.Status)

	// No token configured: cargo refuses before asking the server.
	anon := NewCargo(t, s.srv, "", CargoOpts{TargetDir: s.admin.TargetDir})
	cons := s.dir("anon-consumer")
	writeTxtar(t, "consumer.txtar", cons)
	anon.Fail(t, cons, args("generate-lockfile"), "no token found")

	// A token works until it is revoked.
	tok := s.srv.CreateToken(t, "admin", "to-revoke", false)
	c := NewCargo(t, s.srv, tok, CargoOpts{TargetDir: s.admin.TargetDir})
	dir := s.dir("revoked-consumer")
	writeTxtar(t, "consumer.txtar", dir)
	c.OK(t, dir, args("generate-lockfile"))
	id := s.srv.TokenID(t, "admin", "to-revoke")
	s.srv.CLI(t, "token", "revoke", "--user", "admin", id)
	require.Contains(t, s.srv.CLI(t, "token", "list", "--user", "admin"), "revoked")

	require.Equal(t, http.StatusUnauthorized, s.srv.Do(t, http.MethodGet, "/index/config.json", tok, nil).Status)
	require.NoError(t, os.Remove(filepath.Join(dir, "Cargo.lock")))
	c.Fail(t, dir, args("generate-lockfile"), "token rejected")
	pub := writeSimpleCrate(t, s.dir("revoked"), "revoked-attempt", "0.1.0", "must not be published")
	c.Fail(t, pub, args("publish", "--registry", "local", "--no-verify"), "token rejected")
	c.Fail(t, s.work, args("yank", "--registry", "local", "wharf-core@0.1.0"))
}

// requireCargoErrors checks cargo's {"errors":[{"detail":"…"}]} envelope.
func requireCargoErrors(t *testing.T, body []byte) {
	t.Helper()
	var env struct {
		Errors []struct {
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(body, &env), "error body %q", body)
	require.NotEmpty(t, env.Errors, "error body %q", body)
	require.NotEmpty(t, env.Errors[0].Detail, "error body %q", body)
}

const publicConsumer = `-- Cargo.toml --
[package]
name = "anon-consumer"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
pubread-lib = "0.1"
-- src/main.rs --
fn main() {
    println!("answer = {}", pubread_lib::answer());
}
`

// TestPublicRead: with REGISTRY_PUBLIC_READ=true anyone can resolve and
// build with no token and no credential provider; writes still need one.
func TestPublicRead(t *testing.T) {
	requireCargo(t)
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			srv := StartServer(t, engine, "REGISTRY_PUBLIC_READ=true")
			work := t.TempDir()

			res := srv.Do(t, http.MethodGet, "/index/config.json", "", nil)
			require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
			require.Contains(t, string(res.Body), `"auth-required":false`)

			// A public registry needs no credential-provider for the token.
			publisher := NewCargo(t, srv, srv.AdminToken, CargoOpts{NoCredentialProvider: true})
			dir := writeSimpleCrate(t, work, "pubread-lib", "0.1.0", "public read test")
			publisher.OK(t, dir, args("publish", "--registry", "local", "--no-verify"), "Published pubread-lib v0.1.0")

			anon := NewCargo(t, srv, "", CargoOpts{NoCredentialProvider: true, TargetDir: publisher.TargetDir})
			l := findVersion(t, indexFile(t, srv, "", "pu/br/pubread-lib"), "0.1.0")
			checkCksum(t, srv, "", l)
			cons := filepath.Join(work, "anon-consumer")
			files, err := parseTxtar([]byte(publicConsumer))
			require.NoError(t, err)
			writeFiles(t, cons, files)
			anon.OK(t, cons, args("generate-lockfile"))
			anon.OK(t, cons, args("build"), "Downloaded pubread-lib v0.1.0", "Compiling pubread-lib v0.1.0")
			require.Contains(t, anon.Exec(t, "anon-consumer"), "answer = 42")
			require.Contains(t, anon.OK(t, work, args("search", "--registry", "local", "pubread")).Stdout, "pubread-lib")

			// Writes without a token fail, in cargo and on the wire.
			other := writeSimpleCrate(t, work, "pubread-other", "0.1.0", "must not be published")
			anon.Fail(t, other, args("publish", "--registry", "local", "--no-verify"), "no token found")
			anon.Fail(t, work, args("yank", "--registry", "local", "pubread-lib@0.1.0"), "no token found")
			put := srv.Do(t, http.MethodPut, "/api/v1/crates/new", "", []byte{0, 0, 0, 0})
			require.Equal(t, http.StatusUnauthorized, put.Status, "%s", put.Body)
			requireCargoErrors(t, put.Body)
			del := srv.Do(t, http.MethodDelete, "/api/v1/crates/pubread-lib/0.1.0/yank", "", nil)
			require.Equal(t, http.StatusUnauthorized, del.Status, "%s", del.Body)
			require.Equal(t, http.StatusNotFound, srv.Do(t, http.MethodGet, "/index/pu/br/pubread-other", "", nil).Status)
		})
	}
}
