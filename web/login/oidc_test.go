package login_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/config"
)

func TestOIDCLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("AdminEmails", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{admins: []string{"boss@example.com"}})
			r := b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			require.False(t, b.whoami(t).IsAdmin, "REGISTRY_ADMIN_EMAILS replaces first-user-admin")

			boss := person{Sub: "sub-boss", Email: "Boss@Example.com", Name: "The Boss"}
			r = b.loginAs(t, boss, "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			m := b.whoami(t)
			require.Equal(t, "boss", m.Login)
			require.True(t, m.IsAdmin)
			require.Contains(t, m.Scopes, "admin")
		})
	})

	t.Run("AllowedDomains", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{oauth: func(o *config.OAuth) { o.AllowedDomains = []string{"example.com"} }})
			r := b.loginAs(t, person{Sub: "sub-eve", Email: "eve@evil.example", Name: "Eve"}, "/api/v1/me")
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Contains(t, r.Body, "evil.example may not use this registry")
			require.False(t, b.userExists(t, "eve@evil.example"), "no account for refused users")
			require.Empty(t, b.whoami(t).Login, "no session")

			r = b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
		})
	})

	t.Run("AllowedGroups", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{oauth: func(o *config.OAuth) { o.AllowedGroups = []string{"rustaceans"} }})
			out := person{Sub: "sub-out", Email: "out@example.com", Groups: []string{"marketing"}}
			r := b.loginAs(t, out, "/api/v1/me")
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Contains(t, r.Body, "not in a group")
			require.False(t, b.userExists(t, "out@example.com"))

			// Groups read from userinfo when the ID token has none.
			in := person{Sub: "sub-in", Email: "in@example.com", Groups: []string{"marketing", "rustaceans"}, GroupsInUserinfoOnly: true}
			r = b.loginAs(t, in, "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			require.Equal(t, "in", b.whoami(t).Login)
		})
	})

	t.Run("AuthorizationRequest", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			r := b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			b.mu.Lock()
			defer b.mu.Unlock()
			require.Len(t, b.authorizes, 1)
			q := b.authorizes[0]
			require.Equal(t, "S256", q.Get("code_challenge_method"), "PKCE S256")
			require.Len(t, q.Get("code_challenge"), 43)
			require.GreaterOrEqual(t, len(q.Get("state")), 43, "random state")
			require.GreaterOrEqual(t, len(q.Get("nonce")), 43, "random nonce")
			require.Equal(t, "code", q.Get("response_type"))
			require.Equal(t, b.s.URL+"/login/callback", q.Get("redirect_uri"))
			require.Equal(t, "openid email profile groups", q.Get("scope"))
			require.NotEmpty(t, b.tokens)
			require.NotEmpty(t, b.tokens[len(b.tokens)-1].Get("code_verifier"), "the verifier goes with the code")
		})
	})

	t.Run("BoundToBrowser", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb := b.startLogin(t, alice())
			r := b.get(t, &http.Client{CheckRedirect: b.step.CheckRedirect}, cb.String())
			require.Equal(t, http.StatusBadRequest, r.Status, "another browser (no binding cookie) cannot finish the login")
			require.Contains(t, r.Body, "another browser")
			require.False(t, b.userExists(t, "alice@example.com"))
		})
	})

	t.Run("Deactivated", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			require.Equal(t, http.StatusOK, b.loginAs(t, alice(), "/api/v1/me").Status)
			u, err := b.s.Registry.UserByEmail(ctx, "alice@example.com")
			require.NoError(t, err)
			require.NoError(t, b.s.Registry.SetUserActive(ctx, u.ID, false))
			require.Empty(t, b.whoami(t).Login, "the session ended")
			r := b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Contains(t, r.Body, "deactivated")
		})
	})

	t.Run("EmailNotVerified", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			p := alice()
			p.EmailVerified = boolPtr(false)
			r := b.loginAs(t, p, "/api/v1/me")
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Contains(t, r.Body, "not verified")
			require.False(t, b.userExists(t, "alice@example.com"))
		})
	})

	t.Run("ExplicitEndpointsUserinfoOnly", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{explicit: true})
			r := b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			require.Equal(t, "alice", b.whoami(t).Login)
		})
	})

	t.Run("ExplicitEndpointsWithJWKS", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{explicit: true, jwks: true})
			cb := b.startLogin(t, alice())
			swapNonce(t, b, cb.Query().Get("state"))
			r := b.get(t, b.web, cb.String())
			require.Equal(t, http.StatusBadRequest, r.Status, "the nonce is checked against the JWKS-verified ID token")

			r = b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
		})
	})

	t.Run("FirstUserAdmin", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			r := b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			m := b.whoami(t)
			require.Equal(t, "alice", m.Login)
			require.True(t, m.IsAdmin, "the first person to log in is admin")
			u, err := b.s.Registry.UserByEmail(ctx, "alice@example.com")
			require.NoError(t, err)
			require.Equal(t, "Alice Liddell", u.Name)

			r = b.loginAs(t, person{Sub: "sub-bob", Email: "bob@example.com"}, "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			m = b.whoami(t)
			require.Equal(t, "bob", m.Login)
			require.False(t, m.IsAdmin)
		})
	})

	t.Run("OpenRedirect", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/evil.example",
				"/%2F%2Fevil.example", "javascript:alert(1)", "evil.example", "/login/oidc", "/\tevil"} {
				b.op.QueueUser(alice())
				r := b.get(t, b.step, "/login/oidc?next="+url.QueryEscape(next))
				require.Equal(t, http.StatusFound, r.Status)
				r = b.get(t, b.step, r.Location)
				r = b.get(t, b.step, r.Location)
				require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
				require.Equal(t, "/", r.Location, "next=%q must not leave the site", next)
			}
			b.op.QueueUser(alice())
			r := b.get(t, b.step, "/login/oidc?next="+url.QueryEscape("/crates/serde?tab=versions"))
			r = b.get(t, b.step, r.Location)
			r = b.get(t, b.step, r.Location)
			require.Equal(t, "/crates/serde?tab=versions", r.Location, "local paths are kept")
		})
	})

	t.Run("ProviderError", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb := b.startLogin(t, alice())
			q := url.Values{"state": {cb.Query().Get("state")}, "error": {"access_denied"}}
			r := b.get(t, b.web, "/login/callback?"+q.Encode())
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Contains(t, r.Body, "access_denied")
		})
	})

	t.Run("ReplayedCallback", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb := b.startLogin(t, alice())
			r := b.get(t, b.step, cb.String())
			require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
			r = b.get(t, b.step, cb.String())
			require.Equal(t, http.StatusBadRequest, r.Status, "a state is used once")
			require.Contains(t, r.Body, "already used")

			// The old code with a fresh state of this browser: the provider
			// refuses the used code (and the PKCE verifier differs).
			fresh := b.startLogin(t, alice())
			q := fresh.Query()
			q.Set("code", cb.Query().Get("code"))
			fresh.RawQuery = q.Encode()
			r = b.get(t, b.step, fresh.String())
			require.Equal(t, http.StatusBadRequest, r.Status, r.Body)
		})
	})

	t.Run("RoleMapping", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{oauth: func(o *config.OAuth) {
				o.AllowedGroups = []string{"staff"}
				o.AdminGroups = []string{"registry-admins"}
				o.ReadOnlyGroups = []string{"ci-readers"}
			}})
			admin := person{Sub: "sub-adm", Email: "adm@example.com", Groups: []string{"registry-admins"}}
			require.Equal(t, http.StatusOK, b.loginAs(t, admin, "/api/v1/me").Status, "admin groups are allowed")
			require.True(t, b.whoami(t).IsAdmin)

			reader := person{Sub: "sub-ro", Email: "ro@example.com", Groups: []string{"ci-readers"}}
			require.Equal(t, http.StatusOK, b.loginAs(t, reader, "/api/v1/me").Status)
			m := b.whoami(t)
			require.False(t, m.IsAdmin)
			require.Equal(t, []string{"read"}, m.Scopes, "read-only sessions never get write scopes")

			staff := person{Sub: "sub-staff", Email: "staff@example.com", Groups: []string{"staff"}}
			require.Equal(t, http.StatusOK, b.loginAs(t, staff, "/api/v1/me").Status)
			m = b.whoami(t)
			require.False(t, m.IsAdmin, "no first-user-admin with admin groups configured")
			require.Contains(t, m.Scopes, "publish-new")

			// Leaving the admin group removes the role at the next login.
			admin.Groups = []string{"staff"}
			require.Equal(t, http.StatusOK, b.loginAs(t, admin, "/api/v1/me").Status)
			require.False(t, b.whoami(t).IsAdmin)
		})
	})

	t.Run("SessionAndLogout", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			r := b.loginAs(t, alice(), "/api/v1/me")
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			require.Contains(t, r.Body, `"login":"alice"`, "the final page is served with the new session")

			page := b.get(t, b.web, "/login")
			require.Contains(t, page.Body, "You are logged in as <strong>alice</strong>")
			r = b.post(t, b.step, "/logout", url.Values{})
			require.Equal(t, http.StatusForbidden, r.Status, "logout needs the CSRF token")
			r = b.post(t, b.step, "/logout", url.Values{"csrf_token": {csrfFrom(t, page.Body)}})
			require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
			require.Equal(t, "/login", r.Location)
			require.Empty(t, b.whoami(t).Login)
		})
	})

	t.Run("TamperedState", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb := b.startLogin(t, alice())
			bad := *cb
			q := bad.Query()
			q.Set("state", q.Get("state")+"x")
			bad.RawQuery = q.Encode()
			r := b.get(t, b.step, bad.String())
			require.Equal(t, http.StatusBadRequest, r.Status)
			q.Del("state")
			bad.RawQuery = q.Encode()
			r = b.get(t, b.step, bad.String())
			require.Equal(t, http.StatusBadRequest, r.Status, "missing state")
			require.False(t, b.userExists(t, "alice@example.com"))

			r = b.get(t, b.step, cb.String())
			require.Equal(t, http.StatusSeeOther, r.Status, "the genuine callback still works: %s", r.Body)
		})
	})

	t.Run("WrongNonce", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb := b.startLogin(t, alice())
			swapNonce(t, b, cb.Query().Get("state"))
			r := b.get(t, b.step, cb.String())
			require.Equal(t, http.StatusBadRequest, r.Status, r.Body)
			require.Contains(t, r.Body, "could not be verified")
			require.False(t, b.userExists(t, "alice@example.com"))
			require.Empty(t, b.whoami(t).Login)
		})
	})
}

// swapNonce replaces the nonce stored for a pending login, as if the ID
// token had been minted for another login.
func swapNonce(t *testing.T, b *testBundle, state string) {
	t.Helper()
	ctx := context.Background()
	ls, err := b.s.Registry.TakeLoginState(ctx, state)
	require.NoError(t, err)
	ls.Nonce = "some-other-login-nonce"
	require.NoError(t, b.s.Registry.SaveLoginState(ctx, state, ls))
}
