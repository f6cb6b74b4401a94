package session_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/web/session"
)

const testSecret = "0123456789abcdef0123456789abcdef-test-secret"

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type testBundle struct {
	s     *testserver.Server
	m     *session.Manager
	clock *clock
	jar   *cookiejar.Jar
	web   *http.Client // cookie-jar client (a browser)
}

// setup runs the API with the session middlewares and a few test routes:
// GET /_test/login/{id} starts a session, GET /_test/csrf shows its CSRF
// token, POST /_test/echo is a state-changing page, POST /_test/logout ends
// the session.
func setup(t *testing.T, engine string) *testBundle {
	t.Helper()
	b := &testBundle{clock: &clock{now: time.Now().UTC().Truncate(time.Second)}}
	b.s = testserver.StartMounted(t, engine, &testserver.MountOpts{
		Now: b.clock.Now,
		Mount: func(tb testing.TB, reg *registry.Service, publicURL string) ([]func(http.Handler) http.Handler, []func(chi.Router)) {
			m, err := session.New(session.Config{Registry: reg, PublicURL: publicURL, CookieSecret: testSecret, TTL: time.Hour})
			require.NoError(tb, err)
			b.m = m
			return []func(http.Handler) http.Handler{m.Middleware, m.RequireCSRF}, []func(chi.Router){func(r chi.Router) {
				r.Get("/_test/login/{id}", func(w http.ResponseWriter, r *http.Request) {
					id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
					if err := m.Create(w, r, id); err != nil {
						http.Error(w, err.Error(), http.StatusForbidden)
						return
					}
					w.WriteHeader(http.StatusNoContent)
				})
				r.Get("/_test/csrf", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, session.CSRFToken(r)) })
				r.Post("/_test/echo", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
				r.Post("/_test/logout", func(w http.ResponseWriter, r *http.Request) {
					require.NoError(t, m.Destroy(w, r))
					w.WriteHeader(http.StatusNoContent)
				})
			}}
		},
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b.jar = jar
	b.web = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	return b
}

func (b *testBundle) userID(t *testing.T, login string) int64 {
	t.Helper()
	u, err := b.s.Registry.GetUserByLogin(context.Background(), login)
	require.NoError(t, err)
	return u.ID
}

func (b *testBundle) do(t *testing.T, c *http.Client, method, path string, body url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, b.s.URL+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(data)
}

func (b *testBundle) login(t *testing.T, userID int64) {
	t.Helper()
	resp, body := b.do(t, b.web, http.MethodGet, "/_test/login/"+strconv.FormatInt(userID, 10), nil, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, body)
}

type me struct {
	Login   string   `json:"login"`
	IsAdmin bool     `json:"is_admin"`
	Scopes  []string `json:"scopes"`
}

func (b *testBundle) me(t *testing.T, c *http.Client, hdr map[string]string) (int, me) {
	t.Helper()
	resp, body := b.do(t, c, http.MethodGet, "/api/v1/me", nil, hdr)
	var m me
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	}
	return resp.StatusCode, m
}

func (b *testBundle) cookie(t *testing.T) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == session.CookieName {
			return c
		}
	}
	return nil
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

func TestSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CookieAttributes", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			for _, tc := range []struct {
				url    string
				secure bool
			}{{"http://127.0.0.1:8080", false}, {"https://crates.example.com", true}} {
				m, err := session.New(session.Config{Registry: b.s.Registry, PublicURL: tc.url, CookieSecret: testSecret})
				require.NoError(t, err)
				rec := httptest.NewRecorder()
				require.NoError(t, m.Create(rec, httptest.NewRequest(http.MethodGet, "/", nil), b.userID(t, "admin")))
				cs := rec.Result().Cookies()
				require.Len(t, cs, 1)
				c := cs[0]
				require.Equal(t, session.CookieName, c.Name)
				require.Equal(t, "/", c.Path)
				require.True(t, c.HttpOnly)
				require.Equal(t, http.SameSiteLaxMode, c.SameSite)
				require.Equal(t, tc.secure, c.Secure, tc.url)
				require.Equal(t, int((12 * time.Hour).Seconds()), c.MaxAge, "default TTL 12h")
			}
			_, err := session.New(session.Config{Registry: b.s.Registry, CookieSecret: "short"})
			require.Error(t, err)
		})
	})

	t.Run("CSRF", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			b.login(t, b.userID(t, "admin"))
			_, tok := b.do(t, b.web, http.MethodGet, "/_test/csrf", nil, nil)
			require.NotEmpty(t, tok)

			resp, _ := b.do(t, b.web, http.MethodPost, "/_test/echo", url.Values{}, nil)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "no token")
			resp, _ = b.do(t, b.web, http.MethodPost, "/_test/echo", url.Values{"csrf_token": {tok + "x"}}, nil)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "wrong token")
			resp, _ = b.do(t, b.web, http.MethodDelete, "/_test/echo", nil, map[string]string{session.CSRFHeader: "nope"})
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "wrong header")
			resp, body := b.do(t, b.web, http.MethodPost, "/_test/echo", url.Values{"csrf_token": {tok}}, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			resp, body = b.do(t, b.web, http.MethodPost, "/_test/echo", nil, map[string]string{session.CSRFHeader: tok})
			require.Equal(t, http.StatusOK, resp.StatusCode, body)

			// The cargo API with a session cookie is CSRF-checked too.
			resp, _ = b.do(t, b.web, http.MethodPut, "/api/v1/crates/whatever/owners", nil, nil)
			require.Equal(t, http.StatusForbidden, resp.StatusCode)

			// Token authentication is exempt, even with a cookie present.
			token := b.s.Token(t, "tok-user", auth.WriteScopes)
			resp, body = b.do(t, b.web, http.MethodPost, "/_test/echo", url.Values{}, map[string]string{"Authorization": token})
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			// So are anonymous requests (nothing to forge).
			resp, body = b.do(t, http.DefaultClient, http.MethodPost, "/_test/echo", url.Values{}, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
		})
	})

	t.Run("DeactivationEndsSessionsAndTokensAtOnce", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			token := b.s.Token(t, "hank", auth.WriteScopes)
			id := b.userID(t, "hank")
			b.login(t, id)
			status, m := b.me(t, b.web, nil)
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, "hank", m.Login)
			raw := b.cookie(t)
			require.NotNil(t, raw)

			require.NoError(t, b.s.Registry.SetUserActive(ctx, id, false))
			status, _ = b.me(t, b.web, nil)
			require.Equal(t, http.StatusUnauthorized, status, "session refused on the next request")
			status, _ = b.me(t, http.DefaultClient, map[string]string{"Authorization": token})
			require.Equal(t, http.StatusUnauthorized, status, "token refused on the next request")
			require.Nil(t, b.cookie(t), "the cookie of an ended session is cleared")

			require.NoError(t, b.s.Registry.SetUserActive(ctx, id, true))
			status, _ = b.me(t, http.DefaultClient, map[string]string{"Cookie": raw.Name + "=" + raw.Value})
			require.Equal(t, http.StatusUnauthorized, status, "reactivation does not resurrect the session")
			status, _ = b.me(t, http.DefaultClient, map[string]string{"Authorization": token})
			require.Equal(t, http.StatusOK, status, "tokens of a reactivated user work again")
		})
	})

	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			b.login(t, b.userID(t, "admin"))
			status, m := b.me(t, b.web, nil)
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, "admin", m.Login)
			b.clock.Advance(59 * time.Minute)
			status, _ = b.me(t, b.web, nil)
			require.Equal(t, http.StatusOK, status)
			b.clock.Advance(time.Minute)
			status, _ = b.me(t, b.web, nil)
			require.Equal(t, http.StatusUnauthorized, status, "expired after the TTL")
		})
	})

	t.Run("LogoutRevokes", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			b.login(t, b.userID(t, "admin"))
			raw := b.cookie(t)
			_, tok := b.do(t, b.web, http.MethodGet, "/_test/csrf", nil, nil)
			resp, _ := b.do(t, b.web, http.MethodPost, "/_test/logout", url.Values{}, nil)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "logout needs the CSRF token")
			resp, body := b.do(t, b.web, http.MethodPost, "/_test/logout", url.Values{"csrf_token": {tok}}, nil)
			require.Equal(t, http.StatusNoContent, resp.StatusCode, body)
			require.Nil(t, b.cookie(t))
			status, _ := b.me(t, http.DefaultClient, map[string]string{"Cookie": raw.Name + "=" + raw.Value})
			require.Equal(t, http.StatusUnauthorized, status, "the old cookie is dead server-side")
		})
	})

	t.Run("NewLoginRotatesSession", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			b.login(t, b.userID(t, "admin"))
			first := b.cookie(t)
			b.login(t, b.userID(t, "admin"))
			second := b.cookie(t)
			require.NotEqual(t, first.Value, second.Value)
			status, _ := b.me(t, http.DefaultClient, map[string]string{"Cookie": first.Name + "=" + first.Value})
			require.Equal(t, http.StatusUnauthorized, status, "the previous session ended")
		})
	})

	t.Run("Principal", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			b.login(t, b.userID(t, "admin"))
			status, m := b.me(t, b.web, nil)
			require.Equal(t, http.StatusOK, status)
			require.True(t, m.IsAdmin)
			require.ElementsMatch(t, []string{"read", "publish-new", "publish-update", "yank", "change-owners", "admin"}, m.Scopes)

			// A token set by the Authorization header wins over the cookie.
			token := b.s.Token(t, "ivy", auth.ReadOnlyScopes)
			status, m = b.me(t, b.web, map[string]string{"Authorization": token})
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, "ivy", m.Login)
		})
	})

	t.Run("ReadOnlyUser", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			u, err := b.s.Registry.CreateUser(ctx, "jill", "jill@example.com", "", false)
			require.NoError(t, err)
			require.NoError(t, b.s.Registry.SetUserRoles(ctx, u.ID, registry.Roles{ReadOnly: true}))
			b.login(t, u.ID)
			status, m := b.me(t, b.web, nil)
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, []string{"read"}, m.Scopes)
		})
	})

	t.Run("TamperedCookie", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			b.login(t, b.userID(t, "admin"))
			raw := b.cookie(t)
			secret, _, _ := strings.Cut(raw.Value, ".")
			for _, v := range []string{secret, secret + ".AAAA", "garbage", raw.Value + "x"} {
				resp, _ := b.do(t, http.DefaultClient, http.MethodGet, "/api/v1/me", nil, map[string]string{"Cookie": raw.Name + "=" + v})
				require.Equal(t, http.StatusUnauthorized, resp.StatusCode, v)
				require.Contains(t, resp.Header.Get("Set-Cookie"), session.CookieName+"=;", "cleared")
			}
		})
	})
}
