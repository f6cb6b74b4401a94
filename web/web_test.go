package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage"
)

const wantCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

func requirePage(t *testing.T, r response, status int) {
	t.Helper()
	require.Equal(t, status, r.status, r.body)
	require.Equal(t, wantCSP, r.header.Get("Content-Security-Policy"))
	require.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	require.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	require.NotRegexp(t, externalResource, r.body, "pages load nothing from outside the server")
}

// externalResource matches an element that would load something from
// another origin.
var externalResource = regexp.MustCompile(`(?i)<(script|link|img|iframe|source|video|audio|object|embed)\b[^>]*\b(src|href|srcset)="(https?:)?//`)

// requireLoginRedirect checks a browser is sent to the login page (never a
// Basic challenge).
func requireLoginRedirect(t *testing.T, r response, next string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.Equal(t, "/login?next="+url.QueryEscape(next), r.header.Get("Location"))
	require.Empty(t, r.header.Get("WWW-Authenticate"))
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

func TestAccount(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)

		// /me is where cargo login sends people.
		r := b.get(t, "/me", b.alice)
		require.Equal(t, http.StatusFound, r.status)
		require.Equal(t, "/account", r.header.Get("Location"))

		r = b.get(t, "/account", b.alice)
		requirePage(t, r, http.StatusOK)
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		require.Contains(t, r.text, "[registries.local]\nindex = \"sparse+"+b.s.URL+"/index/\"\ncredential-provider = \"cargo:token\"")
		require.Contains(t, r.body, `<code>alice</code>`)

		// Create: the secret is shown once with the cargo configuration.
		expires := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
		r = b.post(t, "/account/tokens", b.alice, url.Values{
			"name": {"laptop"}, "scope": {"read", "yank"}, "crate_pattern": {"acme-*"}, "expires": {expires},
		})
		requirePage(t, r, http.StatusOK)
		secret := regexp.MustCompile(`wharf_[A-Za-z0-9_-]{43}`).FindString(r.body)
		require.NotEmpty(t, secret, r.body)
		require.Contains(t, r.text, "echo "+secret+" | cargo login --registry local")
		require.Contains(t, r.text, "CARGO_REGISTRIES_LOCAL_TOKEN="+secret)
		require.Contains(t, r.text, "sparse+"+b.s.URL+"/index/")

		me := b.get(t, "/api/v1/me", secret)
		require.Equal(t, http.StatusOK, me.status, me.body)
		require.JSONEq(t, `{"id":2,"login":"alice","is_admin":false,"scopes":["read","yank"],"crate_pattern":"acme-*"}`, me.body)

		// The listing shows the token without its secret, with its details.
		r = b.get(t, "/account", b.alice)
		require.NotContains(t, r.body, secret)
		require.Contains(t, r.text, auth.DisplayPrefix(secret)+"…")
		require.Contains(t, r.body, "<code>acme-*</code>")
		require.Contains(t, r.body, expires[:8]) // the expiry date (end of the chosen day)

		// Revoke it.
		tokens, err := b.s.Registry.ListTokens(context.Background(), "alice")
		require.NoError(t, err)
		var id int64
		for _, tok := range tokens {
			if tok.Name == "laptop" {
				id = tok.ID
			}
		}
		r = b.post(t, "/account/tokens/"+itoa(id)+"/revoke", b.alice, nil)
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, "/account?done=token-revoked", r.header.Get("Location"))
		require.Equal(t, http.StatusUnauthorized, b.get(t, "/api/v1/me", secret).status)
		r = b.get(t, "/account?done=token-revoked", b.alice)
		require.Contains(t, r.body, "The token was revoked.")
		require.Contains(t, r.body, `<span class="status revoked">revoked</span>`)

		// Someone else's token cannot be revoked.
		r = b.post(t, "/account/tokens/1/revoke", b.alice, nil)
		require.Equal(t, http.StatusNotFound, r.status)
		require.Equal(t, http.StatusOK, b.get(t, "/api/v1/me", b.admin).status)
	})
}

func TestAccountTokenRules(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		reader := b.s.Token(t, "carol", auth.ReadOnlyScopes)

		for _, tc := range []struct {
			name   string
			token  string
			form   url.Values
			status int
			msg    string
		}{
			// A read-only principal cannot mint a write token.
			{"Escalation", reader, url.Values{"name": {"x"}, "scope": {"read", "publish-new"}}, http.StatusForbidden, "cannot grant the publish-new scope"},
			// The admin scope is never offered.
			{"AdminScope", b.admin, url.Values{"name": {"x"}, "scope": {"admin"}}, http.StatusBadRequest, "unknown scope"},
			{"NoScope", b.alice, url.Values{"name": {"x"}}, http.StatusBadRequest, "choose at least one scope"},
			{"NoName", b.alice, url.Values{"name": {" "}, "scope": {"read"}}, http.StatusBadRequest, "needs a name"},
			{"BadPattern", b.alice, url.Values{"name": {"x"}, "scope": {"read"}, "crate_pattern": {"acme/[x"}}, http.StatusBadRequest, "invalid crate pattern"},
			{"PastExpiry", b.alice, url.Values{"name": {"x"}, "scope": {"read"}, "expires": {"2001-01-01"}}, http.StatusBadRequest, "must be in the future"},
			{"BadDate", b.alice, url.Values{"name": {"x"}, "scope": {"read"}, "expires": {"tomorrow"}}, http.StatusBadRequest, "is not a date"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := b.post(t, "/account/tokens", tc.token, tc.form)
				requirePage(t, r, tc.status)
				require.Contains(t, r.body, tc.msg)
				require.NotRegexp(t, `wharf_[A-Za-z0-9_-]{43}`, r.body)
			})
		}

		// A read-only principal can create read-only tokens.
		r := b.post(t, "/account/tokens", reader, url.Values{"name": {"ci"}, "scope": {"read"}})
		requirePage(t, r, http.StatusOK)
		require.Regexp(t, `wharf_[A-Za-z0-9_-]{43}`, r.body)
		// Its form offers only what it may grant.
		require.Contains(t, r.body, `value="publish-new" disabled`)
	})
}

func TestAdminAuthorization(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		b.publish(t, b.alice, "guarded", "1.0.0", nil)
		adminRead := b.s.Token(t, "admin", auth.ReadOnlyScopes) // an admin's read-only token is no admin

		pages := []string{"/admin", "/admin/users", "/admin/crates", "/admin/crates/guarded", "/admin/tokens", "/admin/jobs",
			"/admin/jobs/", "/admin/jobs/api/jobs?state=available"}
		posts := []string{"/admin/users/alice/roles", "/admin/users/alice/active", "/admin/crates/guarded/owners",
			"/admin/crates/guarded/deprecated", "/admin/crates/guarded/allow-version-removal",
			"/admin/crates/guarded/versions/1.0.0/remove", "/admin/tokens", "/admin/tokens/1/revoke"}
		for _, p := range pages {
			requireLoginRedirect(t, b.get(t, p, ""), p)
			for _, tok := range []string{b.alice, adminRead} {
				r := b.get(t, p, tok)
				require.Equal(t, http.StatusForbidden, r.status, p)
				require.Contains(t, r.body, "This page is for administrators.")
			}
		}
		for _, p := range posts {
			requireLoginRedirect(t, b.post(t, p, "", url.Values{"value": {"true"}}), "/account")
			r := b.post(t, p, b.alice, url.Values{"value": {"true"}, "role": {"admin"}, "active": {"false"}})
			require.Equal(t, http.StatusForbidden, r.status, p)
		}
		// Nothing changed.
		u, err := b.s.Registry.GetUserByLogin(context.Background(), "alice")
		require.NoError(t, err)
		require.False(t, u.IsAdmin)
		require.True(t, u.IsActive)

		// The admin sees the admin pages and the link to them.
		for _, p := range pages[:5] {
			requirePage(t, b.get(t, p, b.admin), http.StatusOK)
		}
		require.Contains(t, b.get(t, "/", b.admin).body, `<a href="/admin"`)
		require.NotContains(t, b.get(t, "/", b.alice).body, `<a href="/admin"`)
	})
}

func TestAdminCrates(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		ctx := context.Background()
		b.s.Token(t, "bob", auth.WriteScopes)
		b.publish(t, b.alice, "removable", "1.0.0", nil)
		b.publish(t, b.alice, "removable", "1.1.0", nil)
		b.publish(t, b.alice, "Other_Crate", "0.1.0", nil)

		r := b.get(t, "/admin/crates", b.admin)
		requirePage(t, r, http.StatusOK)
		require.Contains(t, r.body, `<a href="/admin/crates/removable">removable</a>`)
		require.Contains(t, r.body, `<a href="/admin/crates/Other_Crate">Other_Crate</a>`)

		// Owners: add and remove by login; the last owner stays.
		r = b.post(t, "/admin/crates/removable/owners", b.admin, url.Values{"action": {"add"}, "login": {"bob"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, "/admin/crates/removable?done=owner-added", r.header.Get("Location"))
		owners, err := b.s.Registry.Owners(ctx, "removable")
		require.NoError(t, err)
		require.Len(t, owners, 2)
		r = b.post(t, "/admin/crates/removable/owners", b.admin, url.Values{"action": {"add"}, "login": {"nobody"}})
		require.Equal(t, http.StatusNotFound, r.status)
		r = b.post(t, "/admin/crates/removable/owners", b.admin, url.Values{"action": {"remove"}, "login": {"alice"}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		r = b.post(t, "/admin/crates/removable/owners", b.admin, url.Values{"action": {"remove"}, "login": {"bob"}})
		requirePage(t, r, http.StatusBadRequest)
		require.Contains(t, r.body, "cannot remove every owner")

		// Deprecation shows on the crate page.
		r = b.post(t, "/admin/crates/removable/deprecated", b.admin, url.Values{"value": {"true"}})
		require.Equal(t, "/admin/crates/removable?done=deprecated", r.header.Get("Location"))
		require.Contains(t, b.get(t, "/crates/removable", b.admin).body, "<strong>Deprecated.</strong>")
		r = b.post(t, "/admin/crates/removable/deprecated", b.admin, url.Values{"value": {"false"}})
		require.Equal(t, http.StatusSeeOther, r.status)
		require.NotContains(t, b.get(t, "/crates/removable", b.admin).body, "<strong>Deprecated.</strong>")

		// Removal is refused until the crate allows it.
		r = b.post(t, "/admin/crates/removable/versions/1.1.0/remove", b.admin, nil)
		requirePage(t, r, http.StatusConflict)
		require.Contains(t, r.body, "does not allow version removal")
		r = b.post(t, "/admin/crates/removable/allow-version-removal", b.admin, url.Values{"value": {"true"}})
		require.Equal(t, "/admin/crates/removable?done=removal-on", r.header.Get("Location"))

		before := b.get(t, "/index/re/mo/removable", b.admin)
		require.Equal(t, http.StatusOK, before.status)
		require.Equal(t, 2, strings.Count(before.body, "\n"))
		info, err := b.s.Registry.CrateInfo(ctx, "removable")
		require.NoError(t, err)
		detail, err := b.s.Registry.VersionDetail(ctx, info.Crate, "1.1.0")
		require.NoError(t, err)

		r = b.post(t, "/admin/crates/removable/versions/1.1.0/remove", b.admin, nil)
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		require.Equal(t, "/admin/crates/removable?done=version-removed", r.header.Get("Location"))

		// The sparse index file was rewritten (new ETag, one line left) …
		after := b.get(t, "/index/re/mo/removable", b.admin)
		require.Equal(t, http.StatusOK, after.status)
		require.NotEqual(t, before.header.Get("ETag"), after.header.Get("ETag"))
		require.Equal(t, 1, strings.Count(after.body, "\n"))
		require.Contains(t, after.body, `"vers":"1.0.0"`)
		// … the change is logged for the git index …
		change, err := b.s.Store.IndexChangeLastForPath(ctx, crate.IndexPath("removable"))
		require.NoError(t, err)
		require.Equal(t, "Remove removable 1.1.0", change.Message)
		require.Equal(t, after.body, string(change.Content))
		// … the version is gone from the API and pages …
		require.Equal(t, http.StatusNotFound, b.get(t, "/api/v1/crates/removable/1.1.0/download", b.admin).status)
		require.Equal(t, http.StatusNotFound, b.get(t, "/crates/removable/1.1.0", b.admin).status)
		page := b.get(t, "/crates/removable", b.admin)
		require.Contains(t, page.body, `<h1>removable <span class="version">1.0.0</span></h1>`)
		// … it can never be published again …
		r = b.do(t, http.MethodPut, "/api/v1/crates/new", b.admin, nil, publishBody("removable", "1.1.0"), nil)
		require.Equal(t, http.StatusConflict, r.status, r.body)
		require.Contains(t, r.body, "was removed from this registry and cannot be published again")
		b.publish(t, b.admin, "removable", "1.1.1", nil)
		// … and its blob is freed by the garbage collector.
		key := storage.CrateKey(detail.Checksum)
		_, err = b.s.Blobs.Stat(ctx, key)
		require.NoError(t, err)
		_, err = b.s.Registry.CollectGarbage(ctx, -time.Hour)
		require.NoError(t, err)
		_, err = b.s.Blobs.Stat(ctx, key)
		require.ErrorIs(t, err, storage.ErrNotFound)

		// Removing every version leaves an empty crate that pages still show.
		for _, v := range []string{"1.0.0", "1.1.1"} {
			r = b.post(t, "/admin/crates/removable/versions/"+v+"/remove", b.admin, nil)
			require.Equal(t, http.StatusSeeOther, r.status, r.body)
		}
		r = b.get(t, "/crates/removable", b.admin)
		requirePage(t, r, http.StatusOK)
		require.Contains(t, r.body, "Every version of removable was removed")
		requirePage(t, b.get(t, "/admin/crates/removable", b.admin), http.StatusOK)
		require.Equal(t, http.StatusNotFound, b.post(t, "/admin/crates/removable/versions/9.9.9/remove", b.admin, nil).status)
		require.Equal(t, http.StatusNotFound, b.get(t, "/admin/crates/missing", b.admin).status)
	})
}

func publishBody(name, vers string) *bytes.Reader {
	return bytes.NewReader(cratetest.PublishBody(cratetest.Metadata(name, vers), cratetest.Build(name, vers, nil)))
}

func TestAdminTokens(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		b.publish(t, b.alice, "pulled", "1.0.0", nil)

		r := b.get(t, "/admin/tokens", b.admin)
		requirePage(t, r, http.StatusOK)
		require.Contains(t, r.body, "No registry tokens yet.")

		r = b.post(t, "/admin/tokens", b.admin, url.Values{"name": {"ci-pull"}})
		requirePage(t, r, http.StatusOK)
		secret := regexp.MustCompile(`wharf_[A-Za-z0-9_-]{43}`).FindString(r.body)
		require.NotEmpty(t, secret)
		require.Contains(t, r.body, "CARGO_REGISTRIES_LOCAL_TOKEN="+secret)

		// A registry token reads, and nothing else; it belongs to no person.
		me := b.get(t, "/api/v1/me", secret)
		require.JSONEq(t, `{"id":3,"login":"@registry","is_admin":false,"scopes":["read"],"crate_pattern":""}`, me.body)
		require.Equal(t, http.StatusOK, b.get(t, "/api/v1/crates/pulled/1.0.0/download", secret).status)
		pub := b.do(t, http.MethodPut, "/api/v1/crates/new", secret, nil, publishBody("ci-made", "1.0.0"), nil)
		require.Equal(t, http.StatusForbidden, pub.status)
		require.Equal(t, http.StatusForbidden, b.post(t, "/account/tokens", secret, url.Values{"name": {"x"}, "scope": {"read"}}).status)
		// Even a token made for it by other means (the CLI) only reads.
		cliSecret, _, err := b.s.Registry.CreateToken(context.Background(), registry.ServiceLogin,
			registry.TokenOpts{Name: "cli", Scopes: auth.WriteScopes})
		require.NoError(t, err)
		require.Equal(t, []auth.Scope{auth.ScopeRead}, mustAuth(t, b, cliSecret).Scopes)
		// The service user is not listed among the people.
		require.NotContains(t, b.get(t, "/admin/users", b.admin).body, "@registry")
		r = b.post(t, "/admin/users/@registry/active", b.admin, url.Values{"active": {"false"}})
		require.Equal(t, http.StatusBadRequest, r.status)

		r = b.get(t, "/admin/tokens", b.admin)
		require.NotContains(t, r.body, secret)
		require.Contains(t, r.body, "ci-pull")
		tokens, err := b.s.Registry.ListServiceTokens(context.Background(), mustAuth(t, b, b.admin))
		require.NoError(t, err)
		require.Len(t, tokens, 2)
		r = b.post(t, "/admin/tokens/"+itoa(tokens[0].ID)+"/revoke", b.admin, nil)
		require.Equal(t, "/admin/tokens?done=token-revoked", r.header.Get("Location"))
		require.Equal(t, http.StatusUnauthorized, b.get(t, "/api/v1/me", secret).status)

		// A user's token cannot be revoked from this page.
		aliceTokens, err := b.s.Registry.ListTokens(context.Background(), "alice")
		require.NoError(t, err)
		require.Equal(t, http.StatusNotFound, b.post(t, "/admin/tokens/"+itoa(aliceTokens[0].ID)+"/revoke", b.admin, nil).status)

		r = b.post(t, "/admin/tokens", b.admin, url.Values{"name": {""}})
		requirePage(t, r, http.StatusBadRequest)
	})
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		ctx := context.Background()

		r := b.get(t, "/admin/users", b.admin)
		requirePage(t, r, http.StatusOK)
		require.Contains(t, r.body, "<code>alice</code>")
		require.Contains(t, r.body, "<code>admin</code> <span class=\"muted small\">(you)</span>")

		r = b.post(t, "/admin/users/alice/roles", b.admin, url.Values{"role": {"admin"}})
		require.Equal(t, "/admin/users?done=roles", r.header.Get("Location"))
		u, err := b.s.Registry.GetUserByLogin(ctx, "alice")
		require.NoError(t, err)
		require.True(t, u.IsAdmin)
		require.Equal(t, http.StatusOK, b.get(t, "/admin", b.alice).status, "the role applies at once")

		r = b.post(t, "/admin/users/alice/roles", b.admin, url.Values{"role": {"read-only"}})
		require.Equal(t, http.StatusSeeOther, r.status)
		u, _ = b.s.Registry.GetUserByLogin(ctx, "alice")
		require.False(t, u.IsAdmin)
		require.True(t, u.IsReadOnly)
		r = b.post(t, "/admin/users/alice/roles", b.admin, url.Values{"role": {"user"}})
		require.Equal(t, http.StatusSeeOther, r.status)
		u, _ = b.s.Registry.GetUserByLogin(ctx, "alice")
		require.False(t, u.IsAdmin || u.IsReadOnly)
		require.Equal(t, http.StatusBadRequest, b.post(t, "/admin/users/alice/roles", b.admin, url.Values{"role": {"root"}}).status)

		// Deactivation refuses the user's tokens at once; reactivation restores them.
		r = b.post(t, "/admin/users/alice/active", b.admin, url.Values{"active": {"false"}})
		require.Equal(t, "/admin/users?done=inactive", r.header.Get("Location"))
		require.Equal(t, http.StatusUnauthorized, b.get(t, "/api/v1/me", b.alice).status)
		require.Contains(t, b.get(t, "/admin/users?done=inactive", b.admin).body, "deactivated")
		r = b.post(t, "/admin/users/alice/active", b.admin, url.Values{"active": {"true"}})
		require.Equal(t, "/admin/users?done=active", r.header.Get("Location"))
		require.Equal(t, http.StatusOK, b.get(t, "/api/v1/me", b.alice).status)

		// Administrators cannot demote or deactivate themselves.
		for _, p := range []string{"/admin/users/admin/roles", "/admin/users/admin/active"} {
			r = b.post(t, p, b.admin, url.Values{"role": {"user"}, "active": {"false"}})
			requirePage(t, r, http.StatusBadRequest)
			require.Contains(t, r.body, "cannot change their own roles")
		}
		require.Equal(t, http.StatusNotFound, b.post(t, "/admin/users/nobody/active", b.admin, url.Values{"active": {"false"}}).status)
	})
}

func TestAnonymous(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		b.publish(t, b.alice, "private", "1.0.0", nil)
		for _, p := range []string{"/", "/search?q=x", "/crates/private", "/crates/private/1.0.0", "/account", "/me", "/admin"} {
			requireLoginRedirect(t, b.get(t, p, ""), p)
		}
		// The JSON endpoint answers like the cargo API: 401 with the cargo
		// login challenge.
		r := b.get(t, "/api/v1/crates/private/downloads", "")
		require.Equal(t, http.StatusUnauthorized, r.status)
		require.Equal(t, `Cargo login_url="`+b.s.URL+`/account"`, r.header.Get("WWW-Authenticate"))
		require.Contains(t, r.body, `"detail":"this registry requires authentication`)

		// Static assets need nothing and are cached for good.
		r = b.get(t, "/static/style.css", "")
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "text/css; charset=utf-8", r.header.Get("Content-Type"))
		require.Equal(t, http.StatusNotFound, b.get(t, "/static/nope.css", "").status)
		page := b.get(t, "/", b.alice)
		asset := regexp.MustCompile(`/static/style\.css\?v=[0-9a-f]{12}`).FindString(page.body)
		require.NotEmpty(t, asset)
		r = b.get(t, asset, "")
		require.Equal(t, "public, max-age=31536000, immutable", r.header.Get("Cache-Control"))
		r = b.do(t, http.MethodGet, asset, "", nil, nil, map[string]string{"If-None-Match": r.header.Get("ETag")})
		require.Equal(t, http.StatusNotModified, r.status)
	})
}

func TestAnonymousPublicRead(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, &setupOpts{PublicRead: true})
		b.publish(t, b.alice, "open", "1.0.0", nil)
		for _, p := range []string{"/", "/search?q=open", "/crates/open"} {
			r := b.get(t, p, "")
			requirePage(t, r, http.StatusOK)
			require.Contains(t, r.body, `href="/login">Sign in</a>`)
			require.NotContains(t, r.body, `href="/admin"`)
		}
		require.Equal(t, http.StatusOK, b.get(t, "/api/v1/crates/open/downloads", "").status)
		requireLoginRedirect(t, b.get(t, "/account", ""), "/account")
		requireLoginRedirect(t, b.get(t, "/admin/users", ""), "/admin/users")
	})
}

func TestCratePage(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		b.publish(t, b.alice, "Widgets", "0.9.0", richSpec(sampleReadme))
		b.publish(t, b.alice, "Widgets", "1.0.0", richSpec(sampleReadme))
		b.publish(t, b.alice, "Widgets", "1.1.0-beta.1", richSpec("# Beta"))
		r := b.do(t, http.MethodDelete, "/api/v1/crates/Widgets/0.9.0/yank", b.alice, nil, nil, nil)
		require.Equal(t, http.StatusOK, r.status, r.body)
		b.download(t, "Widgets", "1.0.0", 3)
		b.download(t, "Widgets", "0.9.0", 1)
		require.NoError(t, b.s.Registry.FlushDownloads(context.Background()))

		r = b.get(t, "/crates/Widgets", b.admin)
		requirePage(t, r, http.StatusOK)
		body := r.body
		// The default version is the highest stable, non-yanked one.
		require.Contains(t, body, `<h1>Widgets <span class="version">1.0.0</span></h1>`)
		require.Contains(t, body, `<title>Widgets 1.0.0 · Wharf</title>`)
		// README: GFM, highlighted code with classes, sanitised, ids prefixed.
		require.Contains(t, body, `<h1 id="user-content-widgets">Widgets</h1>`)
		require.Contains(t, body, `<pre class="chroma"><code><span class="line"><span class="cl"><span class="k">use</span>`)
		require.Contains(t, body, "<th>Feature</th>")
		require.Contains(t, body, `<a href="#user-content-usage" rel="nofollow">the guide</a>`)
		require.Contains(t, body, `rel="nofollow noopener" target="_blank">build</a>`, "remote images become links")
		readme := regexp.MustCompile(`(?s)<article class="markdown">(.*?)</article>`).FindStringSubmatch(body)
		require.Len(t, readme, 2)
		require.NotContains(t, readme[1], "<img")
		// Versions: newest first, with yank marks, dates and publishers.
		require.Regexp(t, `(?s)1\.1\.0-beta\.1</a>.*1\.0\.0</a>.*0\.9\.0</a> <span class="badge warn" title="yanked">yanked</span>`, body)
		require.Contains(t, body, "<td>alice</td>")
		// Dependencies by kind, with target, optional and renamed markers.
		require.Regexp(t, `(?s)<h3>Dependencies</h3>.*<h3>Build dependencies</h3>.*cc</a>.*<h3>Development dependencies</h3>.*proptest</a>`, body)
		require.Contains(t, body, `<a href="/crates/anyhow">errors</a> <span class="muted">(package <code>anyhow</code>)</span>`)
		require.Contains(t, body, `<span class="badge">optional</span><span class="badge target" title="only for this target">cfg(unix)</span>`)
		require.Contains(t, body, `<span class="muted small">features: derive</span>`)
		// Features: features merged with features2 (dep: syntax), default first.
		require.Regexp(t, `(?s)<code>default</code></dt><dd><code>std</code>.*<code>async</code></dt><dd><code>dep:tokio</code>.*<code>derive</code></dt><dd><code>serde/derive</code>`, body)
		require.Contains(t, body, `Features <span class="count">4</span>`)
		// Install snippets from the configured public URL and registry name.
		require.Contains(t, r.text, `Widgets = { version = "1.0.0", registry = "local" }`)
		require.Contains(t, r.text, `cargo add --registry local Widgets@1.0.0`)
		require.Contains(t, r.text, "index = \"sparse+"+b.s.URL+"/index/\"")
		require.Contains(t, body, "Documentation: <span class=\"muted\">not built yet</span>")
		require.Contains(t, body, `<dd>MIT OR Apache-2.0</dd>`)
		// Owners and downloads.
		require.Regexp(t, `(?s)<h2>Owners</h2>.*alice`, body)
		require.Regexp(t, `(?s)<dt>All time</dt><dd>4</dd>.*<dt>Last 90 days</dt><dd>4</dd>.*<dt>This version</dt><dd>3</dd>`, body)
		require.Contains(t, body, `<svg class="chart"`)
		require.Contains(t, body, `<li><span class="swatch series-0"></span>1.0.0 <span class="muted">3</span></li>`)
		require.Regexp(t, `<title>\d{4}-\d\d-\d\d · 1\.0\.0: 3</title>`, body)
		// The repository link is there; it is the only external URL allowed.
		require.Contains(t, r.body, "Repository")

		// A given version, a yanked one, a pre-release.
		r = b.get(t, "/crates/Widgets/0.9.0", b.admin)
		require.Equal(t, http.StatusOK, r.status)
		require.Contains(t, r.body, "Version 0.9.0 is yanked.")
		require.Contains(t, r.body, `<dt>Latest</dt><dd><a href="/crates/Widgets/1.0.0">1.0.0</a></dd>`)
		r = b.get(t, "/crates/Widgets/1.1.0-beta.1", b.admin)
		require.Contains(t, r.body, `<h1 id="user-content-beta">Beta</h1>`)

		// Names match ignoring case and -/_; the canonical spelling wins.
		r = b.get(t, "/crates/widgets", b.admin)
		require.Equal(t, http.StatusMovedPermanently, r.status)
		require.Equal(t, "/crates/Widgets", r.header.Get("Location"))

		for _, p := range []string{"/crates/nope", "/crates/Widgets/2.0.0", "/crates/Widgets/not-a-version"} {
			r = b.get(t, p, b.admin)
			requirePage(t, r, http.StatusNotFound)
		}
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		cookie := b.sessionCookie(t, "admin")
		form := func(values url.Values) (string, map[string]string) {
			return values.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		}

		// A session sees its CSRF token in every form.
		r := b.do(t, http.MethodGet, "/account", "", cookie, nil, nil)
		requirePage(t, r, http.StatusOK)
		m := csrfRE.FindAllStringSubmatch(r.body, -1)
		require.NotEmpty(t, m)
		token := m[0][1]
		require.NotEmpty(t, token)
		for _, x := range m {
			require.Equal(t, token, x[1])
		}
		require.Contains(t, r.body, `action="/logout"`, "sessions get a sign-out button")
		for _, p := range []string{"/admin/users", "/admin/tokens"} {
			r = b.do(t, http.MethodGet, p, "", cookie, nil, nil)
			require.Contains(t, r.body, `name="csrf_token" value="`+token+`"`, p)
		}

		// Without the token (or with a wrong one) every form post is refused.
		for _, p := range []string{"/account/tokens", "/admin/tokens", "/admin/users/alice/active"} {
			for _, tok := range []string{"", "forged"} {
				body, hdr := form(url.Values{"name": {"x"}, "scope": {"read"}, "active": {"false"}, "csrf_token": {tok}})
				r = b.do(t, http.MethodPost, p, "", cookie, strings.NewReader(body), hdr)
				require.Equal(t, http.StatusForbidden, r.status, p)
				require.Contains(t, r.body, "CSRF")
			}
		}
		u, err := b.s.Registry.GetUserByLogin(context.Background(), "alice")
		require.NoError(t, err)
		require.True(t, u.IsActive)

		// With it, the post goes through.
		body, hdr := form(url.Values{"name": {"x"}, "scope": {"read"}, "csrf_token": {token}})
		r = b.do(t, http.MethodPost, "/account/tokens", "", cookie, strings.NewReader(body), hdr)
		requirePage(t, r, http.StatusOK)
		require.Regexp(t, `wharf_[A-Za-z0-9_-]{43}`, r.body)

		// A post from another site is refused even with the token, and even
		// for token-authenticated requests.
		body, hdr = form(url.Values{"name": {"x"}, "scope": {"read"}, "csrf_token": {token}})
		hdr["Origin"] = "https://evil.example"
		r = b.do(t, http.MethodPost, "/account/tokens", "", cookie, strings.NewReader(body), hdr)
		require.Equal(t, http.StatusForbidden, r.status)
		r = b.do(t, http.MethodPost, "/account/tokens", b.alice, nil, strings.NewReader(body),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"})
		require.Equal(t, http.StatusForbidden, r.status)
		require.Contains(t, r.body, "came from another site")
		r = b.do(t, http.MethodPost, "/account/tokens", b.alice, nil, strings.NewReader(body),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": b.s.URL, "Sec-Fetch-Site": "same-origin"})
		require.Equal(t, http.StatusOK, r.status)
	})
}

func TestDownloadsJSON(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		b.publish(t, b.alice, "counted", "1.0.0", nil)
		b.publish(t, b.alice, "counted", "1.1.0", nil)
		b.download(t, "counted", "1.0.0", 2)
		b.download(t, "counted", "1.1.0", 3)
		// Counts are buffered off the download path and flushed later.
		r := b.get(t, "/api/v1/crates/counted/downloads", b.alice)
		require.JSONEq(t, `{"version_downloads":[],"meta":{"total":0}}`, r.body)
		require.NoError(t, b.s.Registry.FlushDownloads(context.Background()))
		b.seedDownloads(t, "counted", "1.0.0", map[int]int64{1: 4, 89: 1, 90: 100})

		r = b.get(t, "/api/v1/crates/counted/downloads", b.alice)
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
		var got struct {
			VersionDownloads []struct {
				Version   string `json:"version"`
				Date      string `json:"date"`
				Downloads int64  `json:"downloads"`
			} `json:"version_downloads"`
			Meta struct {
				Total int64 `json:"total"`
			} `json:"meta"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &got))
		require.Equal(t, int64(110), got.Meta.Total, "all-time total")
		day := func(ago int) string { return time.Now().UTC().AddDate(0, 0, -ago).Format(time.DateOnly) }
		var flat []string
		for _, d := range got.VersionDownloads {
			flat = append(flat, d.Date+" "+d.Version+" "+itoa(d.Downloads))
		}
		require.Equal(t, []string{
			day(89) + " 1.0.0 1", // the oldest day of the 90-day window; day 90 is outside it
			day(1) + " 1.0.0 4",
			day(0) + " 1.0.0 2",
			day(0) + " 1.1.0 3",
		}, flat)

		r = b.get(t, "/api/v1/crates/nope/downloads", b.alice)
		require.Equal(t, http.StatusNotFound, r.status)
		require.JSONEq(t, `{"errors":[{"detail":"crate nope does not exist"}]}`, r.body)
		readOnly := b.s.Token(t, "reader", auth.ReadOnlyScopes)
		require.Equal(t, http.StatusOK, b.get(t, "/api/v1/crates/counted/downloads", readOnly).status)
		noRead := b.s.Token(t, "pusher", []auth.Scope{auth.ScopePublishUpdate})
		require.Equal(t, http.StatusForbidden, b.get(t, "/api/v1/crates/counted/downloads", noRead).status)
	})
}

func TestHome(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)

		r := b.get(t, "/", b.alice)
		requirePage(t, r, http.StatusOK)
		require.Contains(t, r.body, "Nothing published yet.")

		b.publish(t, b.alice, "alpha-http", "1.0.0", &crateSpec{Description: "HTTP client"})
		b.publish(t, b.alice, "beta_json", "0.2.0", &crateSpec{Description: "JSON codec for http bodies"})
		b.publish(t, b.alice, "beta_json", "0.3.0", &crateSpec{Description: "JSON codec for http bodies"})
		b.seedDownloads(t, "beta_json", "0.3.0", map[int]int64{0: 7})
		b.seedDownloads(t, "alpha-http", "1.0.0", map[int]int64{3: 2})

		r = b.get(t, "/", b.alice)
		requirePage(t, r, http.StatusOK)
		require.Regexp(t, `(?s)<dt>Crates</dt><dd>2</dd>.*<dt>Versions</dt><dd>3</dd>.*<dt>Downloads</dt><dd>9</dd>`, r.body)
		// Recently published: newest first.
		require.Regexp(t, `(?s)Recently published.*beta_json/0\.3\.0.*beta_json/0\.2\.0.*alpha-http/1\.0\.0.*Most downloaded`, r.body)
		// Most downloaded: by all-time downloads.
		require.Regexp(t, `(?s)Most downloaded.*beta_json</a>.*<span class="muted right">7</span>.*alpha-http</a>.*<span class="muted right">2</span>`, r.body)

		// Search, on / and /search, by name (ignoring -/_) and description.
		for _, p := range []string{"/?q=http", "/search?q=http"} {
			r = b.get(t, p, b.alice)
			requirePage(t, r, http.StatusOK)
			require.Contains(t, r.body, "2 crates found")
			require.Contains(t, r.body, `value="http"`)
		}
		r = b.get(t, "/search?q=BETA-json", b.alice)
		require.Contains(t, r.body, "1 crate found")
		require.Contains(t, r.body, `<a class="crate-name" href="/crates/beta_json">beta_json</a>`)
		require.Contains(t, r.body, `<span class="badge">0.3.0</span>`)
		r = b.get(t, "/search?q=%3Cscript%3E", b.alice)
		requirePage(t, r, http.StatusOK)
		require.Contains(t, r.body, "No crate matches “&lt;script&gt;”")
		require.NotContains(t, r.body, "<script>")
	})
}

func TestJobsUI(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		b.publish(t, b.alice, "queued", "1.0.0", nil) // inserts jobs

		r := b.get(t, "/admin/jobs", b.admin)
		require.Equal(t, http.StatusFound, r.status)
		require.Equal(t, "/admin/jobs/", r.header.Get("Location"))

		r = b.get(t, "/admin/jobs/", b.admin)
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Contains(t, r.body, "<title>River</title>")
		require.Contains(t, r.header.Get("Content-Security-Policy"), "script-src 'self';")
		require.Contains(t, r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

		r = b.get(t, "/admin/jobs/api/jobs?state=available", b.admin)
		require.Equal(t, http.StatusOK, r.status, r.body)
		require.Contains(t, r.body, `"kind":"crate_reconcile"`)

		// River UI's own actions are JSON posts: another origin is refused.
		r = b.do(t, http.MethodPost, "/admin/jobs/api/jobs/cancel", b.admin, nil, strings.NewReader(`{"ids":["1"]}`),
			map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"})
		require.Equal(t, http.StatusForbidden, r.status)
		r = b.do(t, http.MethodPost, "/admin/jobs/api/jobs/cancel", b.admin, nil, strings.NewReader(`{"ids":["1"]}`),
			map[string]string{"Content-Type": "application/json", "Origin": b.s.URL})
		require.Equal(t, http.StatusOK, r.status, r.body)

		// With a session, River UI's page carries the CSRF token and the
		// script that adds it to River UI's actions, which need it.
		cookie := b.sessionCookie(t, "admin")
		r = b.do(t, http.MethodGet, "/admin/jobs/", "", cookie, nil, nil)
		require.Equal(t, http.StatusOK, r.status, r.body)
		m := regexp.MustCompile(`<head><meta name="wharf-csrf" content="([^"]+)"><script src="/static/jobs\.js\?v=[0-9a-f]{12}"></script>`).FindStringSubmatch(r.body)
		require.Len(t, m, 2, r.body)
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		require.Equal(t, strconv.Itoa(len(r.body)), r.header.Get("Content-Length"))
		cancel := func(token string) int {
			hdr := map[string]string{"Content-Type": "application/json", "Origin": b.s.URL}
			if token != "" {
				hdr["X-CSRF-Token"] = token
			}
			return b.do(t, http.MethodPost, "/admin/jobs/api/jobs/cancel", "", cookie, strings.NewReader(`{"ids":["1"]}`), hdr).status
		}
		require.Equal(t, http.StatusForbidden, cancel(""))
		require.Equal(t, http.StatusForbidden, cancel("forged"))
		require.Equal(t, http.StatusOK, cancel(m[1]))
		// Other River UI files pass through untouched.
		asset := regexp.MustCompile(`/admin/jobs/assets/main-[^"]+\.js`).FindString(r.body)
		require.NotEmpty(t, asset)
		r = b.do(t, http.MethodGet, asset, "", cookie, nil, nil)
		require.Equal(t, http.StatusOK, r.status)
		require.NotContains(t, r.body, "wharf-csrf")
	})
}

// Roles of the registry layer that the pages rely on.
func TestRemoveVersionRules(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		b := setup(t, engine, nil)
		ctx := context.Background()
		b.publish(t, b.alice, "owned", "1.0.0", nil)
		alice := mustAuth(t, b, b.alice)

		// Owners may allow removal; only administrators remove.
		require.NoError(t, b.s.Registry.SetAllowVersionRemoval(ctx, alice, "owned", true))
		err := b.s.Registry.RemoveVersion(ctx, alice, "owned", "1.0.0")
		require.ErrorIs(t, err, registry.ErrForbidden)
		// Non-owners may not change the crate.
		bob := mustAuth(t, b, b.s.Token(t, "bob", auth.WriteScopes))
		require.ErrorIs(t, b.s.Registry.SetCrateDeprecated(ctx, bob, "owned", true), registry.ErrForbidden)
		require.ErrorIs(t, b.s.Registry.SetAllowVersionRemoval(ctx, bob, "owned", false), registry.ErrForbidden)
		require.NoError(t, b.s.Registry.RemoveVersion(ctx, mustAuth(t, b, b.admin), "owned", "1.0.0"))
		require.ErrorIs(t, b.s.Registry.RemoveVersion(ctx, mustAuth(t, b, b.admin), "owned", "1.0.0"), registry.ErrNotFound)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
