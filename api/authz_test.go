package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
)

// principal is one kind of caller of the authorization matrix. Every
// principal except nonOwner and admin uses a token of the user "owner",
// who owns the crates the rows act on, so that each differs from the owner's
// plain write token in exactly one respect.
type principal int

const (
	anonymous  principal = iota // no Authorization header
	readOnly                    // owner's read-only token
	owner                       // owner's write token
	nonOwner                    // write token of eve, who owns nothing
	admin                       // write token of root, an admin who owns nothing
	revoked                     // owner's write token, revoked
	expired                     // owner's write token, expired a minute ago
	outOfScope                  // owner's write token limited to crates matching acme-*
	updateOnly                  // owner's token with scopes read + publish-update (no publish-new)
	numPrincipals
)

var principalNames = [numPrincipals]string{
	"anonymous", "read-only", "owner", "non-owner", "admin", "revoked", "expired", "out-of-scope", "update-only",
}

// want is the expected status of one row for each principal.
type want struct {
	Anon, ReadOnly, Owner, NonOwner, Admin, Revoked, Expired, OutOfScope, UpdateOnly int
}

func (w want) of(p principal) int {
	return [numPrincipals]int{w.Anon, w.ReadOnly, w.Owner, w.NonOwner, w.Admin, w.Revoked, w.Expired, w.OutOfScope, w.UpdateOnly}[p]
}

// anon returns w with the anonymous caller's status replaced.
func (w want) anon(status int) *want { w.Anon = status; return &w }

const (
	s200 = http.StatusOK
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
)

// The common shapes of a row. Revoked and expired tokens get 401 on every
// route, public pages included: a credential that is present but invalid
// is refused at once, so cargo says "token rejected" instead of acting
// anonymously.
var (
	// Pages and probes anyone may fetch.
	anyone = want{Anon: s200, ReadOnly: s200, Owner: s200, NonOwner: s200, Admin: s200, Revoked: s401, Expired: s401, OutOfScope: s200, UpdateOnly: s200}
	// Reads (index, downloads, search, owner lists) need a token with the
	// read scope unless REGISTRY_PUBLIC_READ; a crate pattern limits writes
	// only.
	readable = anyone.withAnon(s401)
	// Owner-only changes of an existing crate (yank, unyank, owners): the
	// read-only token lacks the scope (403), eve is no owner (403), the
	// admin may act on any crate (200), the acme-* token does not cover
	// "target" (403) and the update-only token lacks the yank and
	// change-owners scopes (403).
	ownerWrite = want{Anon: s401, ReadOnly: s403, Owner: s200, NonOwner: s403, Admin: s200, Revoked: s401, Expired: s401, OutOfScope: s403, UpdateOnly: s403}
	// Git smart HTTP after the read check, for a request the git handler
	// refuses by itself (receive-pack: 403, unknown path: 404).
	gitRefused = func(status int) want {
		return want{Anon: s401, ReadOnly: status, Owner: status, NonOwner: status, Admin: status, Revoked: s401, Expired: s401, OutOfScope: status, UpdateOnly: status}
	}
)

func (w want) withAnon(status int) want { w.Anon = status; return w }

// authzRow is one request tried by every principal.
type authzRow struct {
	methods []string // several methods of a catch-all route may share a row
	pattern string   // the chi route pattern, as api.Routes reports it
	variant string   // what differs between rows of the same route
	path    string
	header  map[string]string
	// body returns the request body for the n-th cell (n is fresh for
	// every cell, for new versions and crate names); nil sends none.
	body func(n int) []byte
	// setup runs before every cell of the row (fresh state).
	setup func(t *testing.T, fx *authzFixture)
	want  want
	// public is the expectation with REGISTRY_PUBLIC_READ=true; nil means
	// the same as want (writes do not depend on the read policy).
	public *want
}

type authzFixture struct {
	s      *testserver.Server
	tokens [numPrincipals]string
}

// newAuthzFixture creates the users, the principals' tokens and the crates
// the rows act on: target, acme-tools and acme_private (with an
// underscore), each version 1.0.0, owned by "owner".
func newAuthzFixture(t *testing.T, s *testserver.Server) *authzFixture {
	t.Helper()
	ctx := context.Background()
	fx := &authzFixture{s: s}
	s.User(t, "owner", false)
	s.User(t, "eve", false)
	s.User(t, "bob", false)
	s.User(t, "root", true)
	fx.tokens[readOnly], _ = s.TokenWith(t, "owner", registry.TokenOpts{Scopes: auth.ReadOnlyScopes})
	fx.tokens[owner], _ = s.TokenWith(t, "owner", registry.TokenOpts{})
	fx.tokens[nonOwner], _ = s.TokenWith(t, "eve", registry.TokenOpts{})
	fx.tokens[admin], _ = s.TokenWith(t, "root", registry.TokenOpts{})
	var tok int64
	fx.tokens[revoked], tok = func() (string, int64) {
		secret, row := s.TokenWith(t, "owner", registry.TokenOpts{Name: "revoked"})
		return secret, row.ID
	}()
	require.NoError(t, s.Registry.RevokeToken(ctx, "owner", tok))
	past := time.Now().Add(-time.Minute)
	fx.tokens[expired], _ = s.TokenWith(t, "owner", registry.TokenOpts{Name: "expired", ExpiresAt: &past})
	fx.tokens[outOfScope], _ = s.TokenWith(t, "owner", registry.TokenOpts{Name: "acme", CratePattern: "acme-*"})
	fx.tokens[updateOnly], _ = s.TokenWith(t, "owner", registry.TokenOpts{
		Name: "update-only", Scopes: []auth.Scope{auth.ScopeRead, auth.ScopePublishUpdate},
	})
	for _, name := range []string{"target", "acme-tools", "acme_private"} {
		publish(t, s, fx.tokens[owner], name, "1.0.0")
	}
	return fx
}

// addOwner makes bob an owner of name (setup of the removal rows).
func addOwner(name string) func(t *testing.T, fx *authzFixture) {
	return func(t *testing.T, fx *authzFixture) {
		t.Helper()
		status, _, body := fx.s.Do(t, http.MethodPut, "/api/v1/crates/"+name+"/owners", fx.tokens[owner],
			strings.NewReader(`{"users":["bob"]}`), nil)
		require.Equal(t, http.StatusOK, status, string(body))
	}
}

func jsonBody(s string) func(int) []byte { return func(int) []byte { return []byte(s) } }

// authzRows is the matrix: every route of the router has at least one
// row (TestAuthorizationMatrix fails otherwise).
var authzRows = []authzRow{
	// Probes and pages.
	{methods: []string{"GET"}, pattern: "/healthz", path: "/healthz", want: anyone},
	{methods: []string{"GET"}, pattern: "/readyz", path: "/readyz", want: anyone},
	{methods: []string{"GET"}, pattern: "/me", path: "/me", want: anyone},
	{methods: []string{"GET"}, pattern: "/account", path: "/account", want: anyone},
	// The caller's identity: any valid token, whatever its scopes.
	{methods: []string{"GET"}, pattern: "/api/v1/me", path: "/api/v1/me", want: readable},

	// Reads. config.json answers 401 to anonymous callers: that is how
	// cargo learns the registry is auth-required.
	{methods: []string{"GET"}, pattern: "/index/config.json", path: "/index/config.json", want: readable, public: readable.anon(s200)},
	{methods: []string{"GET"}, pattern: "/index/*", path: "/index/ta/rg/target", want: readable, public: readable.anon(s200)},
	{methods: []string{"GET"}, pattern: "/api/v1/crates", path: "/api/v1/crates?q=target", want: readable, public: readable.anon(s200)},
	{methods: []string{"GET"}, pattern: "/api/v1/crates/{name}/{version}/download", path: "/api/v1/crates/target/1.0.0/download",
		want: readable, public: readable.anon(s200)},
	{methods: []string{"GET"}, pattern: "/api/v1/crates/{name}/owners", path: "/api/v1/crates/target/owners",
		want: readable, public: readable.anon(s200)},

	// Publish.
	{methods: []string{"PUT"}, pattern: "/api/v1/crates/new", variant: "new version of target", path: "/api/v1/crates/new",
		body: func(n int) []byte { return publishBody("target", fmt.Sprintf("1.1.%d", n), nil) },
		// Read-only: no publish scope. Eve: not an owner. acme-*: does not
		// cover target. Update-only: may publish new versions.
		want: want{Anon: s401, ReadOnly: s403, Owner: s200, NonOwner: s403, Admin: s200, Revoked: s401, Expired: s401, OutOfScope: s403, UpdateOnly: s200}},
	{methods: []string{"PUT"}, pattern: "/api/v1/crates/new", variant: "new crate", path: "/api/v1/crates/new",
		body: func(n int) []byte { return publishBody(fmt.Sprintf("fresh-%d", n), "0.1.0", nil) },
		// Any write token may create a crate, except the acme-* token (the
		// name is outside its pattern) and the update-only token (no
		// publish-new scope).
		want: want{Anon: s401, ReadOnly: s403, Owner: s200, NonOwner: s200, Admin: s200, Revoked: s401, Expired: s401, OutOfScope: s403, UpdateOnly: s403}},
	{methods: []string{"PUT"}, pattern: "/api/v1/crates/new", variant: "new crate inside acme-*", path: "/api/v1/crates/new",
		body: func(n int) []byte { return publishBody(fmt.Sprintf("acme-fresh-%d", n), "0.1.0", nil) },
		// Positive control: the acme-* token may create acme-… crates.
		want: want{Anon: s401, ReadOnly: s403, Owner: s200, NonOwner: s200, Admin: s200, Revoked: s401, Expired: s401, OutOfScope: s200, UpdateOnly: s403}},

	// Yank and unyank (idempotent, so cells need no fresh state).
	{methods: []string{"DELETE"}, pattern: "/api/v1/crates/{name}/{version}/yank", path: "/api/v1/crates/target/1.0.0/yank", want: ownerWrite},
	{methods: []string{"DELETE"}, pattern: "/api/v1/crates/{name}/{version}/yank", variant: "crate inside acme-*",
		path: "/api/v1/crates/acme-tools/1.0.0/yank", want: ownerWrite.withOutOfScope(s200)},
	// Regression: the crate is acme_private; spelling it acme-private in
	// the URL reaches the same crate (names are unique ignoring -/_) but
	// must not satisfy the acme-* pattern.
	{methods: []string{"DELETE"}, pattern: "/api/v1/crates/{name}/{version}/yank", variant: "acme_private spelled acme-private",
		path: "/api/v1/crates/acme-private/1.0.0/yank", want: ownerWrite},
	{methods: []string{"PUT"}, pattern: "/api/v1/crates/{name}/{version}/unyank", path: "/api/v1/crates/target/1.0.0/unyank", want: ownerWrite},
	{methods: []string{"PUT"}, pattern: "/api/v1/crates/{name}/{version}/unyank", variant: "acme_private spelled acme-private",
		path: "/api/v1/crates/acme-private/1.0.0/unyank", want: ownerWrite},

	// Owners. Adding an existing owner again is fine; removal rows first
	// make bob an owner again.
	{methods: []string{"PUT"}, pattern: "/api/v1/crates/{name}/owners", path: "/api/v1/crates/target/owners",
		body: jsonBody(`{"users":["bob"]}`), want: ownerWrite},
	{methods: []string{"PUT"}, pattern: "/api/v1/crates/{name}/owners", variant: "acme_private spelled acme-private",
		path: "/api/v1/crates/acme-private/owners", body: jsonBody(`{"users":["bob"]}`), want: ownerWrite},
	{methods: []string{"DELETE"}, pattern: "/api/v1/crates/{name}/owners", path: "/api/v1/crates/target/owners",
		body: jsonBody(`{"users":["bob"]}`), setup: addOwner("target"), want: ownerWrite},
	{methods: []string{"DELETE"}, pattern: "/api/v1/crates/{name}/owners", variant: "acme_private spelled acme-private",
		path: "/api/v1/crates/acme-private/owners", body: jsonBody(`{"users":["bob"]}`), setup: addOwner("acme_private"), want: ownerWrite},

	// Git index over smart HTTP: clone and fetch are reads; anonymous
	// callers get a Basic challenge (git then asks its credential helper).
	{methods: []string{"GET"}, pattern: "/index.git/*", variant: "upload-pack refs", path: "/index.git/info/refs?service=git-upload-pack",
		want: readable, public: readable.anon(s200)},
	{methods: []string{"POST"}, pattern: "/index.git/*", variant: "upload-pack", path: "/index.git/git-upload-pack",
		header: map[string]string{"Content-Type": "application/x-git-upload-pack-request"},
		body:   jsonBody("0000"), want: readable, public: readable.anon(s200)},
	// Pushing is refused to everyone, by every method, admins included.
	{methods: []string{"GET"}, pattern: "/index.git/*", variant: "receive-pack refs", path: "/index.git/info/refs?service=git-receive-pack",
		want: gitRefused(s403), public: gitRefused(s403).anon(s403)},
	{methods: []string{"CONNECT", "DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}, pattern: "/index.git/*",
		variant: "receive-pack", path: "/index.git/git-receive-pack", body: jsonBody("0000"),
		want: gitRefused(s403), public: gitRefused(s403).anon(s403)},
	// The bare prefix is no git endpoint (the dumb protocol is not served).
	{methods: []string{"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}, pattern: "/index.git",
		path: "/index.git", want: gitRefused(s404), public: gitRefused(s404).anon(s404)},
}

func (w want) withOutOfScope(status int) want { w.OutOfScope = status; return w }

// TestAuthorizationMatrix sends every row's request as every principal, on
// both engines, with REGISTRY_PUBLIC_READ false and true.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	for _, engine := range testdb.Engines {
		for _, publicRead := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/public_read=%t", engine, publicRead), func(t *testing.T) {
				t.Parallel()
				s := testserver.Start(t, engine, &testserver.Opts{PublicRead: publicRead, Git: true})
				requireEveryRouteHasARow(t, s.Handler)
				fx := newAuthzFixture(t, s)
				n := 0 // cells so far; also makes publish bodies unique
				for _, row := range authzRows {
					expect := row.want
					if publicRead && row.public != nil {
						expect = *row.public
					}
					for _, method := range row.methods {
						name := method + " " + row.pattern
						if row.variant != "" {
							name += " (" + row.variant + ")"
						}
						t.Run(name, func(t *testing.T) {
							// Sequential: cells share the server's state.
							for p := range numPrincipals {
								n++
								t.Run(principalNames[p], func(t *testing.T) {
									checkCell(t, fx, row, method, p, expect.of(p), n)
								})
							}
						})
					}
				}
				t.Logf("%d cells: %d requests × %d principals", n, n/int(numPrincipals), numPrincipals)
			})
		}
	}
}

// checkCell sends one request and checks its status and, for errors, the
// cargo envelope and the login challenge.
func checkCell(t *testing.T, fx *authzFixture, row authzRow, method string, p principal, wantStatus, n int) {
	t.Helper()
	if row.setup != nil {
		row.setup(t, fx)
	}
	var body io.Reader
	if row.body != nil {
		body = bytes.NewReader(row.body(n))
	}
	status, h, respBody := fx.s.Do(t, method, row.path, fx.tokens[p], body, row.header)
	require.Equal(t, wantStatus, status, "%s %s as %s: %s", method, row.path, principalNames[p], respBody)
	if status == http.StatusUnauthorized {
		require.NotEmpty(t, h.Get("WWW-Authenticate"), "a 401 must carry a login challenge (%s)", principalNames[p])
	}
	if status >= 400 && strings.HasPrefix(row.path, "/api/") {
		var env struct {
			Errors []struct {
				Detail string `json:"detail"`
			} `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(respBody, &env), "cargo error envelope: %s", respBody)
		require.NotEmpty(t, env.Errors, "cargo error envelope: %s", respBody)
		require.NotEmpty(t, env.Errors[0].Detail, "cargo error envelope: %s", respBody)
	}
}

// requireEveryRouteHasARow fails for a route without a row (a new route
// must be added to the matrix) and for a row whose route no longer exists.
func requireEveryRouteHasARow(t *testing.T, h http.Handler) {
	t.Helper()
	routes, err := api.Routes(h)
	require.NoError(t, err)
	t.Logf("router serves %d routes (method × pattern)", len(routes))
	covered := map[api.Route]bool{}
	for _, row := range authzRows {
		for _, m := range row.methods {
			covered[api.Route{Method: m, Pattern: row.pattern}] = true
		}
	}
	var missing []string
	for _, r := range routes {
		if !covered[r] {
			missing = append(missing, r.Method+" "+r.Pattern)
		}
		delete(covered, r)
	}
	require.Empty(t, missing, "routes without a row in authzRows: add one with the expected status of every principal")
	var stale []string
	for r := range covered {
		stale = append(stale, r.Method+" "+r.Pattern)
	}
	slices.Sort(stale)
	require.Empty(t, stale, "rows for routes the router does not serve")
}
