package zitadeltest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/internal/oidctest"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/web/login"
	"github.com/wharfhq/wharf/web/session"
)

func TestMain(m *testing.M) {
	// The example OP logs every request through slog's default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// tlog writes Wharf's log lines to the test log.
type tlog struct{ t testing.TB }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type testBundle struct {
	op      *oidctest.Provider
	s       *testserver.Server
	jar     *cookiejar.Jar
	browser *http.Client // follows every redirect
	// upToCallback follows redirects but stops before Wharf's callback.
	upToCallback *http.Client
	step         *http.Client // stops at every redirect
}

func setup(t *testing.T, engine string, mutate func(*config.OAuth)) *testBundle {
	t.Helper()
	b := &testBundle{op: oidctest.Zitadel(t)}
	client := b.op.Client(t)
	b.s = testserver.StartMounted(t, engine, &testserver.MountOpts{
		Listener: client.Listener,
		Mount: func(tb testing.TB, reg *registry.Service, publicURL string) ([]func(http.Handler) http.Handler, []func(chi.Router)) {
			logger := slog.New(slog.NewTextHandler(tlog{tb}, nil))
			sessions, err := session.New(session.Config{Registry: reg, Logger: logger, PublicURL: publicURL, CookieSecret: "zitadel-test-cookie-secret-0123456789"})
			require.NoError(tb, err)
			o := config.OAuth{
				Issuer: b.op.Issuer, ClientID: client.ID, ClientSecret: client.Secret, CallbackURI: client.RedirectURI,
				Scopes: []string{"openid", "email", "profile"}, EmailPath: "email", FullNamePath: "name",
				GroupsClaim: "groups", ProviderName: "Zitadel",
			}
			if mutate != nil {
				mutate(&o)
			}
			h, err := login.New(login.Config{Registry: reg, Sessions: sessions, Logger: logger, PublicURL: publicURL, OAuth: o})
			require.NoError(tb, err)
			return []func(http.Handler) http.Handler{sessions.Middleware, sessions.RequireCSRF}, []func(chi.Router){h.Mount}
		},
	})
	require.Equal(t, client.PublicURL, b.s.URL)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b.jar = jar
	b.browser = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	b.upToCallback = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), b.s.URL+oidctest.CallbackPath) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	b.step = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

// openForm starts a Wharf login and returns the provider's login form.
func (b *testBundle) openForm(t *testing.T) *http.Response {
	t.Helper()
	resp, err := b.browser.Get(b.s.URL + "/login/oidc?next=" + url.QueryEscape("/api/v1/me"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return resp
}

// callbackURL logs in on the provider's form and returns the URL the
// provider sends the browser back to (not yet visited).
func (b *testBundle) callbackURL(t *testing.T, username string) string {
	t.Helper()
	resp, err := b.op.LogIn(context.Background(), b.upToCallback, b.openForm(t), username, oidctest.Password)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, b.s.URL+oidctest.CallbackPath), loc)
	return loc
}

func (b *testBundle) get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func (b *testBundle) sessionCookie(t *testing.T) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == session.CookieName {
			return c
		}
	}
	return nil
}

func (b *testBundle) userExists(t *testing.T, email string) bool {
	t.Helper()
	_, err := b.s.Registry.UserByEmail(context.Background(), email)
	return err == nil
}

func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, engine)
		})
	}
}

func TestZitadelLogin(t *testing.T) {
	t.Parallel()

	t.Run("FullLogin", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			resp, err := b.op.LogIn(context.Background(), b.browser, b.openForm(t), oidctest.Username, oidctest.Password)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			require.Equal(t, b.s.URL+"/api/v1/me", resp.Request.URL.String(), "back on the page that asked for the login")

			c := b.sessionCookie(t)
			require.NotNil(t, c, "a session cookie")
			req, err := http.NewRequest(http.MethodGet, b.s.URL+"/api/v1/me", nil)
			require.NoError(t, err)
			req.AddCookie(c)
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var me struct {
				Login   string   `json:"login"`
				IsAdmin bool     `json:"is_admin"`
				Scopes  []string `json:"scopes"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&me))
			require.Equal(t, "test-user", me.Login, "login from the e-mail (userinfo) local part")
			require.True(t, me.IsAdmin, "first user")
			require.Contains(t, me.Scopes, "publish-new")

			u, err := b.s.Registry.UserByEmail(context.Background(), oidctest.Email)
			require.NoError(t, err)
			require.Equal(t, oidctest.Name, u.Name)
		})
	})

	t.Run("OutsideAllowList", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, func(o *config.OAuth) { o.AllowedDomains = []string{"example.com"} })
			resp, err := b.op.LogIn(context.Background(), b.browser, b.openForm(t), oidctest.OtherUsername, oidctest.Password)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
			require.Contains(t, string(body), "elsewhere.test may not use this registry")
			require.False(t, b.userExists(t, oidctest.OtherEmail), "no account is created")
			require.Nil(t, b.sessionCookie(t))
		})
	})

	t.Run("ReplayedCallbackAndCode", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb := b.callbackURL(t, oidctest.Username)
			status, body := b.get(t, b.step, cb)
			require.Equal(t, http.StatusSeeOther, status, body)

			status, body = b.get(t, b.step, cb)
			require.Equal(t, http.StatusBadRequest, status, "replayed callback")
			require.Contains(t, body, "already used")

			// The code again, under a fresh state of this browser: the OP
			// refuses a code it already exchanged.
			fresh, err := url.Parse(b.callbackURL(t, oidctest.Username))
			require.NoError(t, err)
			old, err := url.Parse(cb)
			require.NoError(t, err)
			q := fresh.Query()
			q.Set("code", old.Query().Get("code"))
			fresh.RawQuery = q.Encode()
			status, body = b.get(t, b.step, fresh.String())
			require.Equal(t, http.StatusBadRequest, status, "replayed code: %s", body)
		})
	})

	t.Run("TamperedState", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb, err := url.Parse(b.callbackURL(t, oidctest.Username))
			require.NoError(t, err)
			q := cb.Query()
			q.Set("state", "A"+q.Get("state")[1:])
			tampered := *cb
			tampered.RawQuery = q.Encode()
			status, _ := b.get(t, b.step, tampered.String())
			require.Equal(t, http.StatusBadRequest, status)
			require.False(t, b.userExists(t, oidctest.Email))
			require.Nil(t, b.sessionCookie(t))
		})
	})

	t.Run("WrongNonce", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine, nil)
			cb, err := url.Parse(b.callbackURL(t, oidctest.Username))
			require.NoError(t, err)
			ctx := context.Background()
			state := cb.Query().Get("state")
			ls, err := b.s.Registry.TakeLoginState(ctx, state)
			require.NoError(t, err)
			ls.Nonce = "nonce-of-another-login"
			require.NoError(t, b.s.Registry.SaveLoginState(ctx, state, ls))

			status, body := b.get(t, b.step, cb.String())
			require.Equal(t, http.StatusBadRequest, status, body)
			require.False(t, b.userExists(t, oidctest.Email))
			require.Nil(t, b.sessionCookie(t))
		})
	})
}
