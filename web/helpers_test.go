package web_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/web"
	"github.com/wharfhq/wharf/web/session"
)

// forEachEngine runs fn as a parallel subtest on SQLite and PostgreSQL.
func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, engine)
		})
	}
}

const cookieSecret = "0123456789abcdef0123456789abcdef-web-tests"

// testBundle is a running registry with the UI, the session layer and
// River UI mounted as in `wharf serve`.
type testBundle struct {
	s        *testserver.Server
	sessions *session.Manager
	admin    string // admin's write token (raw, as cargo sends it)
	alice    string // alice's write token (not an admin)
	client   *http.Client
}

type setupOpts struct {
	PublicRead bool
	// Clock, when set, is the registry's clock (publish dates).
	Clock *testClock
}

// testClock is now plus an offset that tests move.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Set puts the clock ago before the real time (0: the real time).
func (c *testClock) Set(ago time.Duration) {
	c.mu.Lock()
	c.offset = -ago
	c.mu.Unlock()
}

// lazyHandler lets River UI be mounted before the store it needs exists.
type lazyHandler struct {
	mu sync.Mutex
	h  http.Handler
}

func (l *lazyHandler) set(h http.Handler) { l.mu.Lock(); l.h = h; l.mu.Unlock() }

func (l *lazyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	h := l.h
	l.mu.Unlock()
	if h == nil {
		http.Error(w, "River UI not ready", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

func setup(t *testing.T, engine string, o *setupOpts) *testBundle {
	t.Helper()
	if o == nil {
		o = &setupOpts{}
	}
	b := &testBundle{}
	jobsUI := &lazyHandler{}
	var now func() time.Time
	if o.Clock != nil {
		now = o.Clock.Now
	}
	b.s = testserver.StartMounted(t, engine, &testserver.MountOpts{
		Opts: testserver.Opts{PublicRead: o.PublicRead},
		Now:  now,
		Mount: func(tb testing.TB, reg *registry.Service, publicURL string) ([]func(http.Handler) http.Handler, []func(chi.Router)) {
			var err error
			b.sessions, err = session.New(session.Config{Registry: reg, PublicURL: publicURL, CookieSecret: cookieSecret})
			require.NoError(tb, err)
			w, err := web.New(web.Config{
				Registry: reg, PublicURL: publicURL, RegistryName: "local", PublicRead: o.PublicRead,
				CSRFToken: session.CSRFToken, JobsUI: jobsUI,
				RequireRead: api.RequireRead(publicURL, o.PublicRead, nil),
			})
			require.NoError(tb, err)
			return []func(http.Handler) http.Handler{b.sessions.Middleware, b.sessions.RequireCSRF}, []func(chi.Router){w.Mount}
		},
	})
	endpoints := b.s.Store.(interface{ RiverUIEndpoints() uiendpoints.Bundle }).RiverUIEndpoints()
	h, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: endpoints, Logger: slog.New(slog.DiscardHandler), Prefix: "/admin/jobs"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	require.NoError(t, h.Start(ctx))
	jobsUI.set(h)

	b.admin = b.s.AdminToken
	b.alice = b.s.Token(t, "alice", auth.WriteScopes)
	b.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

type response struct {
	status int
	header http.Header
	body   string
	text   string // body with HTML character references decoded
}

// do sends a request with an optional raw token (Authorization) or session
// cookie; redirects are not followed.
func (b *testBundle) do(t *testing.T, method, path, token string, cookie *http.Cookie, body io.Reader, hdr map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, b.s.URL+path, body)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(raw), text: html.UnescapeString(string(raw))}
}

func (b *testBundle) get(t *testing.T, path, token string) response {
	t.Helper()
	return b.do(t, http.MethodGet, path, token, nil, nil, nil)
}

func (b *testBundle) post(t *testing.T, path, token string, form url.Values) response {
	t.Helper()
	return b.do(t, http.MethodPost, path, token, nil, strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// sessionCookie signs login in the way /login does and returns the cookie.
func (b *testBundle) sessionCookie(t *testing.T, login string) *http.Cookie {
	t.Helper()
	u, err := b.s.Registry.GetUserByLogin(context.Background(), login)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	require.NoError(t, b.sessions.Create(rec, httptest.NewRequest(http.MethodPost, "/login", nil), u.ID))
	for _, c := range rec.Result().Cookies() {
		if c.Name == session.CookieName {
			return c
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

// crateSpec describes a crate version to publish.
type crateSpec struct {
	Description string
	Readme      string
	Deps        []crate.Dep
	Features    map[string][]string
	Keywords    []string
	License     string
	Repo        string
}

func (b *testBundle) publish(t *testing.T, token, name, vers string, spec *crateSpec) {
	t.Helper()
	if spec == nil {
		spec = &crateSpec{}
	}
	meta := cratetest.Metadata(name, vers)
	if spec.Deps != nil {
		meta.Deps = spec.Deps
	}
	if spec.Features != nil {
		meta.Features = spec.Features
	}
	if spec.Keywords != nil {
		meta.Keywords = spec.Keywords
	}
	if spec.Description != "" {
		meta.Description = &spec.Description
	}
	if spec.License != "" {
		meta.License = &spec.License
	}
	if spec.Repo != "" {
		meta.Repository = &spec.Repo
	}
	body := cratetest.PublishBody(meta, cratetest.Build(name, vers, &cratetest.Opts{Readme: spec.Readme}))
	r := b.do(t, http.MethodPut, "/api/v1/crates/new", token, nil, bytes.NewReader(body), nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
}

// download fetches a version through the cargo API (recorded in memory).
func (b *testBundle) download(t *testing.T, name, vers string, n int) {
	t.Helper()
	for range n {
		r := b.get(t, "/api/v1/crates/"+name+"/"+vers+"/download", b.admin)
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
}

// seedDownloads writes daily download counts straight into the database
// (days ago → count), as the download counter would have over time.
func (b *testBundle) seedDownloads(t *testing.T, name, vers string, counts map[int]int64) {
	t.Helper()
	ctx := context.Background()
	c, err := b.s.Store.CrateGetByKey(ctx, crate.NameKey(name))
	require.NoError(t, err)
	rows, err := b.s.Store.VersionListByCrate(ctx, c.ID)
	require.NoError(t, err)
	var versionID int64
	for _, r := range rows {
		if r.Version == vers {
			versionID = r.ID
		}
	}
	require.NotZero(t, versionID, "version %s", vers)
	today := time.Now().UTC()
	require.NoError(t, b.s.Store.Tx(ctx, func(tx store.Tx) error {
		for ago, n := range counts {
			day := today.AddDate(0, 0, -ago).Format(time.DateOnly)
			if err := tx.VersionDownloadsAdd(ctx, store.VersionDownloadsAddParams{VersionID: versionID, Day: day, N: n}); err != nil {
				return err
			}
			if err := tx.VersionAddDownloads(ctx, store.VersionAddDownloadsParams{ID: versionID, N: n}); err != nil {
				return err
			}
			if err := tx.CrateAddDownloads(ctx, store.CrateAddDownloadsParams{ID: c.ID, N: n}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func ptr[T any](v T) *T { return &v }

// richSpec is a crate with every kind of dependency and feature the crate
// page shows.
func richSpec(readme string) *crateSpec {
	return &crateSpec{
		Readme:   readme,
		License:  "MIT OR Apache-2.0",
		Repo:     "https://git.example.com/acme/widgets",
		Keywords: []string{"widgets", "gui"},
		Deps: []crate.Dep{
			{Name: "serde", VersionReq: "^1.0", Features: []string{"derive"}, DefaultFeatures: true, Kind: "normal"},
			{Name: "tokio", VersionReq: "^1.38", Features: []string{}, Optional: true, DefaultFeatures: true, Kind: "normal",
				Target: ptr("cfg(unix)")},
			{Name: "anyhow", VersionReq: "^1", Features: []string{}, DefaultFeatures: false, Kind: "normal",
				ExplicitNameInToml: ptr("errors")},
			{Name: "proptest", VersionReq: "^1.4", Features: []string{}, DefaultFeatures: true, Kind: "dev"},
			{Name: "cc", VersionReq: "^1.0.90", Features: []string{}, DefaultFeatures: true, Kind: "build"},
		},
		Features: map[string][]string{
			"default": {"std"},
			"std":     {},
			"async":   {"dep:tokio"},
			"derive":  {"serde/derive"},
		},
	}
}

const sampleReadme = "# Widgets\n\nA **fast** widget toolkit for internal tools.\n\n## Usage\n\n" +
	"```rust\nuse widgets::Button;\n\nfn main() {\n    let b = Button::new(\"OK\");\n    println!(\"{}\", b.label());\n}\n```\n\n" +
	"| Feature | Default |\n|---|---|\n| `std` | yes |\n| `async` | no |\n\n" +
	"See [the guide](#usage) and ![build](https://ci.example.com/badge.svg).\n"
