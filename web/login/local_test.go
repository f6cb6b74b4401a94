package login_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/web/login"
)

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// csrfFrom reads the csrf_token hidden field of a page.
func csrfFrom(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	require.NotNil(t, m, "no csrf_token field in:\n%s", page)
	return html.UnescapeString(m[1])
}

func TestLocalLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	withUser := func(t *testing.T, b *testBundle, login, password string) {
		t.Helper()
		_, err := b.s.Registry.CreateUser(ctx, login, login+"@example.com", "", false)
		require.NoError(t, err)
		require.NoError(t, b.s.Registry.SetPassword(ctx, login, password))
	}
	form := func(t *testing.T, b *testBundle, login, password, next string) url.Values {
		t.Helper()
		page := b.get(t, b.web, "/login")
		require.Equal(t, http.StatusOK, page.Status)
		return url.Values{"login": {login}, "password": {password}, "next": {next}, "csrf_token": {csrfFrom(t, page.Body)}}
	}

	t.Run("DisabledByDefault", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			withUser(t, b, "kim", "kim's long password")
			page := b.get(t, b.web, "/login")
			require.Equal(t, http.StatusOK, page.Status)
			require.Contains(t, page.Body, "Log in with Mock SSO")
			require.NotContains(t, page.Body, `action="/login/local"`, "no password form")
			r := b.post(t, b.step, "/login/local", url.Values{"login": {"kim"}, "password": {"kim's long password"}})
			require.Equal(t, http.StatusNotFound, r.Status)
			require.Empty(t, b.whoami(t).Login)
		})
	})

	t.Run("NothingConfigured", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{noOIDC: true})
			page := b.get(t, b.web, "/login")
			require.Contains(t, page.Body, "No interactive login is configured")
			require.Equal(t, http.StatusNotFound, b.get(t, b.step, "/login/oidc").Status)
		})
	})

	t.Run("Password", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{noOIDC: true, local: true})
			withUser(t, b, "kim", "kim's long password")
			page := b.get(t, b.web, "/login")
			require.Contains(t, page.Body, `action="/login/local"`)
			require.NotContains(t, page.Body, "Log in with")

			r := b.post(t, b.step, "/login/local", form(t, b, "kim", "wrong password!!", "/api/v1/me"))
			require.Equal(t, http.StatusUnauthorized, r.Status)
			require.Contains(t, r.Body, "Invalid login or password.")
			wrongPassword := r.Body
			r = b.post(t, b.step, "/login/local", form(t, b, "nobody", "wrong password!!", "/api/v1/me"))
			require.Equal(t, http.StatusUnauthorized, r.Status)
			require.Contains(t, r.Body, "Invalid login or password.")
			require.Equal(t, len(wrongPassword)-len("kim"), len(r.Body)-len("nobody"), "same page whichever part was wrong")
			require.Empty(t, b.whoami(t).Login)

			r = b.post(t, b.step, "/login/local", url.Values{"login": {"kim"}, "password": {"kim's long password"}})
			require.Equal(t, http.StatusForbidden, r.Status, "the form's CSRF token is required")

			r = b.post(t, b.step, "/login/local", form(t, b, "kim", "kim's long password", "https://evil.example/"))
			require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
			require.Equal(t, "/", r.Location)
			require.Equal(t, "kim", b.whoami(t).Login)
		})
	})

	t.Run("RateLimit", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, &opts{noOIDC: true, local: true}) // 3 failures per 15 minutes
			withUser(t, b, "kim", "kim's long password")
			withUser(t, b, "lee", "lee's long password")
			for range 3 {
				r := b.post(t, b.step, "/login/local", form(t, b, "kim", "guess guess guess", "/"))
				require.Equal(t, http.StatusUnauthorized, r.Status)
			}
			resp, err := b.step.PostForm(b.s.URL+"/login/local", form(t, b, "kim", "kim's long password", "/"))
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "locked out, even with the right password")
			require.NotEmpty(t, resp.Header.Get("Retry-After"))

			other := b.fresh(t)
			r := other.post(t, other.step, "/login/local", form(t, other, "lee", "lee's long password", "/"))
			require.Equal(t, http.StatusSeeOther, r.Status, "other logins are not locked out")

			b.clock.Advance(15 * time.Minute)
			r = b.post(t, b.step, "/login/local", form(t, b, "kim", "kim's long password", "/"))
			require.Equal(t, http.StatusSeeOther, r.Status, "the lock ends with the window: %s", r.Body)
			require.Equal(t, "kim", b.whoami(t).Login)
		})
	})
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/crates/serde", "/crates/serde"},
		{"/crates?q=a&page=2", "/crates?q=a&page=2"},
		{"/account#tokens", "/account#tokens"},
		{"https://evil.example/", "/"},  // absolute
		{"//evil.example/", "/"},        // scheme-relative
		{"/\\evil.example", "/"},        // browsers read \ as /
		{"/%2F%2Fevil.example", "/"},    // decodes to //evil.example
		{"http:/evil.example", "/"},     // scheme without slashes
		{"javascript:alert(1)", "/"},    // scheme
		{"crates", "/"},                 // relative
		{"/\x00x", "/"},                 // control character
		{"/login", "/"},                 // no loop back to the login
		{"/login/callback?code=x", "/"}, // nor to the callback
		{"/logout", "/"},
	} {
		require.Equal(t, tc.want, login.SafeNext(tc.in), "SafeNext(%q)", tc.in)
	}
}
