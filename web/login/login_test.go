package login_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/web/login"
	"github.com/wharfhq/wharf/web/session"
)

const cookieSecret = "login-test-cookie-secret-0123456789abcdef"

// person is a mockoidc user with a full name, groups and email_verified.
type person struct {
	Sub, Email, Name string
	Groups           []string
	EmailVerified    *bool
	// GroupsInUserinfoOnly leaves groups out of the ID token.
	GroupsInUserinfoOnly bool
}

type personClaims struct {
	*mockoidc.IDTokenClaims
	Email         string   `json:"email,omitempty"`
	EmailVerified *bool    `json:"email_verified,omitempty"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups,omitempty"`
}

func (p person) ID() string { return p.Sub }

func (p person) Userinfo(_ []string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": p.Sub, "email": p.Email, "name": p.Name, "groups": p.Groups})
}

func (p person) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c := &personClaims{IDTokenClaims: base, Email: p.Email, EmailVerified: p.EmailVerified, Name: p.Name, Groups: p.Groups}
	if p.GroupsInUserinfoOnly {
		c.Groups = nil
	}
	return c, nil
}

func alice() person {
	return person{Sub: "sub-alice", Email: "alice@example.com", Name: "Alice Liddell"}
}

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

type opts struct {
	noOIDC   bool
	explicit bool // Cratery-style endpoints without discovery
	jwks     bool // with explicit: verify ID tokens with the JWKS URI
	local    bool
	oauth    func(o *config.OAuth)
	admins   []string // REGISTRY_ADMIN_EMAILS
}

type testBundle struct {
	s     *testserver.Server
	op    *mockoidc.MockOIDC
	clock *clock
	jar   *cookiejar.Jar
	web   *http.Client // a browser: follows redirects, keeps cookies
	step  *http.Client // same cookies, stops at every redirect

	mu         sync.Mutex
	authorizes []url.Values
	tokens     []url.Values
}

func setup(t *testing.T, engine string, o *opts) *testBundle {
	t.Helper()
	if o == nil {
		o = &opts{}
	}
	b := &testBundle{clock: &clock{now: time.Now().UTC().Truncate(time.Second)}}
	if !o.noOIDC {
		op, err := mockoidc.NewServer(nil)
		require.NoError(t, err)
		require.NoError(t, op.AddMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				b.mu.Lock()
				switch r.URL.Path {
				case mockoidc.AuthorizationEndpoint:
					b.authorizes = append(b.authorizes, r.Form)
				case mockoidc.TokenEndpoint:
					b.tokens = append(b.tokens, r.PostForm)
				}
				b.mu.Unlock()
				next.ServeHTTP(w, r)
			})
		}))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		require.NoError(t, op.Start(ln, nil))
		t.Cleanup(func() { _ = op.Shutdown() })
		b.op = op
	}
	b.s = testserver.StartMounted(t, engine, &testserver.MountOpts{
		Now: b.clock.Now,
		Mount: func(tb testing.TB, reg *registry.Service, publicURL string) ([]func(http.Handler) http.Handler, []func(chi.Router)) {
			sessions, err := session.New(session.Config{Registry: reg, PublicURL: publicURL, CookieSecret: cookieSecret})
			require.NoError(tb, err)
			cfg := login.Config{
				Registry: reg, Sessions: sessions, PublicURL: publicURL, LocalLogin: o.local, AdminEmails: o.admins,
				MaxFailures: 3, Now: b.clock.Now,
			}
			if b.op != nil {
				cfg.OAuth = config.OAuth{
					Issuer: b.op.Issuer(), ClientID: b.op.ClientID, ClientSecret: b.op.ClientSecret,
					CallbackURI: publicURL + "/login/callback", Scopes: []string{"openid", "email", "profile", "groups"},
					EmailPath: "email", FullNamePath: "name", GroupsClaim: "groups", ProviderName: "Mock SSO",
				}
				if o.explicit {
					cfg.OAuth.LoginURI, cfg.OAuth.TokenURI = b.op.AuthorizationEndpoint(), b.op.TokenEndpoint()
					cfg.OAuth.UserinfoURI = b.op.UserinfoEndpoint()
					if o.jwks {
						cfg.OAuth.JWKSURI = b.op.JWKSEndpoint()
					} else {
						cfg.OAuth.Issuer = ""
					}
				}
				if o.oauth != nil {
					o.oauth(&cfg.OAuth)
				}
			}
			h, err := login.New(cfg)
			require.NoError(tb, err)
			return []func(http.Handler) http.Handler{sessions.Middleware, sessions.RequireCSRF}, []func(chi.Router){h.Mount}
		},
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b.jar = jar
	b.web = &http.Client{Jar: jar, Timeout: 20 * time.Second}
	b.step = &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

// fresh returns a second browser (own cookies) on the same servers.
func (b *testBundle) fresh(t *testing.T) *testBundle {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &testBundle{
		s: b.s, op: b.op, clock: b.clock, jar: jar,
		web: &http.Client{Jar: jar, Timeout: 20 * time.Second},
		step: &http.Client{Jar: jar, Timeout: 20 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

type response struct {
	Status   int
	Location string
	Body     string
}

func (b *testBundle) get(t *testing.T, c *http.Client, u string) response {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.s.URL + u
	}
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}
}

func (b *testBundle) post(t *testing.T, c *http.Client, path string, form url.Values) response {
	t.Helper()
	resp, err := c.PostForm(b.s.URL+path, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}
}

type me struct {
	Login   string   `json:"login"`
	IsAdmin bool     `json:"is_admin"`
	Scopes  []string `json:"scopes"`
}

// whoami returns the session's user via GET /api/v1/me (empty login when
// anonymous).
func (b *testBundle) whoami(t *testing.T) me {
	t.Helper()
	r := b.get(t, b.web, "/api/v1/me")
	if r.Status == http.StatusUnauthorized {
		return me{}
	}
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	var m me
	require.NoError(t, json.Unmarshal([]byte(r.Body), &m))
	return m
}

// loginAs runs the whole OIDC login for p with a browser, ending on next.
func (b *testBundle) loginAs(t *testing.T, p person, next string) response {
	t.Helper()
	b.op.QueueUser(p)
	return b.get(t, b.web, "/login/oidc?next="+url.QueryEscape(next))
}

// startLogin stops at the provider's callback: it returns the callback URL
// (with code and state) without calling it.
func (b *testBundle) startLogin(t *testing.T, p person) *url.URL {
	t.Helper()
	b.op.QueueUser(p)
	r := b.get(t, b.step, "/login/oidc?next=/api/v1/me")
	require.Equal(t, http.StatusFound, r.Status, r.Body)
	r = b.get(t, b.step, r.Location)
	require.Equal(t, http.StatusFound, r.Status, r.Body)
	cb, err := url.Parse(r.Location)
	require.NoError(t, err)
	require.Equal(t, "/login/callback", cb.Path)
	return cb
}

func (b *testBundle) userExists(t *testing.T, email string) bool {
	t.Helper()
	_, err := b.s.Registry.UserByEmail(context.Background(), email)
	if err != nil {
		require.ErrorIs(t, err, registry.ErrNotFound)
		return false
	}
	return true
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

func boolPtr(v bool) *bool { return &v }
