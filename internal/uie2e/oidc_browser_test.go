package uie2e_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/internal/browsertest"
	"github.com/wharfhq/wharf/internal/oidctest"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/web"
	"github.com/wharfhq/wharf/web/login"
	"github.com/wharfhq/wharf/web/session"
)

func TestMain(m *testing.M) {
	// The example OP logs every request through slog's default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

const (
	// adminPassword is the bootstrap admin's local password (set in the
	// test: `wharf user set-password admin`).
	adminPassword = "harbour-master-password"
	// stepTimeout bounds every browser step (navigation, wait, click).
	stepTimeout = 20 * time.Second

	crateName   = "harbour-lights"
	readmeLine  = "Harbour lights guide every ship safely home."
	userLogin   = "test-user" // the local part of oidctest.Email
	outsiderTag = "elsewhere.test may not use this registry"
)

// TestOIDCBrowserAcceptance walks a person through Wharf in a real browser:
// OIDC login on the provider's form, a token made on /account, a publish
// with the real cargo, the crate page, a refused outsider, and an
// administrator deactivating the person, which ends both their browser
// session and their cargo token at once.
func TestOIDCBrowserAcceptance(t *testing.T) {
	t.Parallel()
	requireCargo(t)
	browser := browsertest.New(t)
	op := oidctest.Zitadel(t)

	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			runAcceptance(t, engine, browser, op)
		})
	}
}

func runAcceptance(t *testing.T, engine string, browser context.Context, op *oidctest.Provider) {
	s := startRegistry(t, engine, op, map[string]string{
		"REGISTRY_OAUTH_ALLOWED_DOMAINS": "example.com", // oidctest.Email's domain, not OtherEmail's
		// Exactly this e-mail is admin at OIDC login: the person below is
		// an ordinary user (not "the first to log in becomes admin").
		"REGISTRY_ADMIN_EMAILS": "harbour-master@example.com",
		"REGISTRY_LOCAL_LOGIN":  "true",
	})
	ctx := context.Background()
	base := s.URL

	// 1. Anonymous → /login → "Log in with …" → the provider's form → back
	// on Wharf, logged in.
	person := newTab(t, browser)
	loginViaOIDC(t, person, base, op, oidctest.Username, "/")
	step(t, person, "the top bar shows the login", chromedp.WaitVisible(chromedp.CSS("span.who")))
	require.Equal(t, userLogin, text(t, person, chromedp.CSS("span.who")))
	require.Equal(t, base+"/", location(t, person), "back on the page that asked for the login")
	u, err := s.Registry.UserByEmail(ctx, oidctest.Email)
	require.NoError(t, err, "the account is created at the first login")
	require.Equal(t, userLogin, u.Login)
	require.False(t, u.IsAdmin, "REGISTRY_ADMIN_EMAILS names someone else")

	// 2. A write token from /account, read from the page (shown once).
	step(t, person, "open /account", chromedp.Navigate(base+"/account"))
	step(t, person, "fill the token form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/account/tokens"] input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/account/tokens"] input[name=name]`), "laptop"),
	)
	for _, scope := range []string{"read", "publish-new", "publish-update", "yank", "change-owners"} {
		sel := fmt.Sprintf(`form[action="/account/tokens"] input[name=scope][value=%q]`, scope)
		if !eval[bool](t, person, fmt.Sprintf("document.querySelector(%q).checked", sel)) {
			step(t, person, "tick "+scope, chromedp.Click(chromedp.CSS(sel)))
		}
		ticked := eval[bool](t, person, fmt.Sprintf("document.querySelector(%q).checked && !document.querySelector(%q).disabled", sel, sel))
		require.True(t, ticked, "scope %s is offered and ticked", scope)
	}
	click(t, person, "create the token", chromedp.CSS(`form[action="/account/tokens"] button[type=submit]`))
	step(t, person, "the secret is shown", chromedp.WaitVisible(chromedp.ID("new-token")))
	secret := strings.TrimSpace(text(t, person, chromedp.ID("new-token")))
	require.NotEmpty(t, secret)
	require.Contains(t, text(t, person, chromedp.ID("new-env")), "CARGO_REGISTRIES_LOCAL_TOKEN="+secret)
	status, body := rawGet(t, base+"/index/config.json", secret)
	require.Equal(t, http.StatusOK, status, "the new token reads the index: %s", body)

	// 3. The real cargo publishes with that token.
	cargo := newCargo(t, base, secret)
	pkg := writeCrate(t, "0.1.0")
	cargo.ok(t, pkg, "publish", "--registry", "local", "--no-verify", "--allow-dirty")

	// 4. The crate page shows the version and the README.
	step(t, person, "open the crate page",
		chromedp.Navigate(base+"/crates/"+crateName),
		chromedp.WaitVisible(chromedp.CSS("article.markdown")),
	)
	require.Equal(t, "0.1.0", text(t, person, chromedp.CSS("header.cratehead h1 span.version")))
	require.Contains(t, text(t, person, chromedp.CSS("article.markdown")), readmeLine)
	require.Contains(t, text(t, person, chromedp.CSS("#versions tbody")), userLogin, "published by the person")

	// 5. Someone whose e-mail domain is not allowed is refused: a 403 page,
	// no account, no session.
	outsider := newTab(t, browser)
	resp := loginViaOIDC(t, outsider, base, op, oidctest.OtherUsername, "/")
	require.Equal(t, int64(http.StatusForbidden), resp.Status, "the callback answers 403")
	step(t, outsider, "the refusal is shown", chromedp.WaitVisible(chromedp.CSS(`p.error[role=alert]`)))
	require.Equal(t, "Access denied", text(t, outsider, chromedp.CSS("h1")))
	require.Contains(t, text(t, outsider, chromedp.CSS(`p.error[role=alert]`)), outsiderTag)
	_, err = s.Registry.UserByEmail(ctx, oidctest.OtherEmail)
	require.ErrorIs(t, err, registry.ErrNotFound, "no account is created")
	_, err = s.Registry.GetUserByLogin(ctx, "outsider")
	require.ErrorIs(t, err, registry.ErrNotFound, "no account is created")
	step(t, outsider, "the outsider is still anonymous", chromedp.Navigate(base+"/"))
	require.Equal(t, base+"/login?next=%2F", location(t, outsider))

	// 6. The administrator (local password) deactivates the person on
	// /admin/users …
	require.NoError(t, s.Registry.SetPassword(ctx, "admin", adminPassword))
	admin := newTab(t, browser)
	step(t, admin, "open /admin/users", chromedp.Navigate(base+"/admin/users"))
	require.Equal(t, base+"/login?next=%2Fadmin%2Fusers", location(t, admin))
	step(t, admin, "fill the local login form",
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
	)
	click(t, admin, "log in with the password", chromedp.CSS(`form.local button[type=submit]`))
	deactivate := chromedp.CSS(fmt.Sprintf(`form[action="/admin/users/%s/active"] button[type=submit]`, userLogin))
	step(t, admin, "the users page lists the person", chromedp.WaitVisible(deactivate))
	require.Equal(t, base+"/admin/users", location(t, admin))
	require.Equal(t, "Deactivate", text(t, admin, deactivate))
	dialogs := acceptDialogs(t, admin)
	click(t, admin, "deactivate the person", deactivate)
	step(t, admin, "the notice is shown", chromedp.WaitVisible(chromedp.CSS(`div.notice[role=status]`)))
	require.Equal(t, []string{"confirm: Deactivate " + userLogin + "? Their tokens and sessions stop working at once."}, dialogs.list())
	require.Contains(t, text(t, admin, chromedp.CSS(`div.notice[role=status]`)), "The user was deactivated")
	require.Equal(t, "Reactivate", text(t, admin, deactivate))
	u, err = s.Registry.UserByEmail(ctx, oidctest.Email)
	require.NoError(t, err)
	require.False(t, u.IsActive)

	// … and at once the person's next page load goes to the login page …
	step(t, person, "the person opens /account again", chromedp.Navigate(base+"/account"))
	require.Equal(t, base+"/login?next=%2Faccount", location(t, person))
	step(t, person, "the login page is shown", chromedp.WaitVisible(chromedp.CSS(`a.button[href^="/login/oidc"]`)))
	require.Zero(t, eval[int](t, person, `document.querySelectorAll("span.who").length`), "no longer signed in")

	// … and their token is refused, by cargo and by a raw request.
	status, body = rawGet(t, base+"/index/config.json", secret)
	require.Equal(t, http.StatusUnauthorized, status, body)
	require.Contains(t, body, "deactivated")
	pkg2 := writeCrate(t, "0.2.0")
	res := cargo.fail(t, pkg2, "publish", "--registry", "local", "--no-verify", "--allow-dirty")
	require.Contains(t, res.stderr, "401", res.stderr)
	require.Contains(t, res.stderr, "deactivated", res.stderr)
	t.Logf("cargo publish with the deactivated user's token:\n%s", res.stderr)
}

// startRegistry runs the registry in-process on engine with its identity
// layer and web UI wired as `wharf serve` wires them (cmd/wharf/cli
// identityMounts and webMount), configured through the REGISTRY_*
// variables: the OIDC provider by discovery, one of its pooled clients and
// extra.
func startRegistry(t *testing.T, engine string, op *oidctest.Provider, extra map[string]string) *testserver.Server {
	t.Helper()
	client := op.Client(t)
	env := map[string]string{
		"REGISTRY_WEB_PUBLIC_URI":      client.PublicURL,
		"REGISTRY_WEB_COOKIE_SECRET":   "uie2e-cookie-secret-0123456789abcdef",
		"REGISTRY_SELF_LOCAL_NAME":     "local",
		"REGISTRY_OAUTH_ISSUER":        op.Issuer,
		"REGISTRY_OAUTH_CLIENT_ID":     client.ID,
		"REGISTRY_OAUTH_CLIENT_SECRET": client.Secret,
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, client.RedirectURI, cfg.OAuth.CallbackURI)
	logger := slog.New(slog.NewTextHandler(tlog{t}, nil))
	s := testserver.StartMounted(t, engine, &testserver.MountOpts{
		Opts:     testserver.Opts{Logger: logger},
		Listener: client.Listener,
		Mount: func(tb testing.TB, reg *registry.Service, publicURL string) ([]func(http.Handler) http.Handler, []func(chi.Router)) {
			require.Equal(tb, cfg.PublicURL, publicURL)
			sessions, err := session.New(session.Config{
				Registry: reg, Logger: logger, PublicURL: cfg.PublicURL, CookieSecret: cfg.CookieSecret, TTL: cfg.SessionTTL,
			})
			require.NoError(tb, err)
			lh, err := login.New(login.Config{
				Registry: reg, Sessions: sessions, Logger: logger, PublicURL: cfg.PublicURL, OAuth: cfg.OAuth,
				AdminEmails: cfg.AdminEmails, LocalLogin: cfg.LocalLogin,
			})
			require.NoError(tb, err)
			w, err := web.New(web.Config{
				Registry: reg, Logger: logger, PublicURL: cfg.PublicURL, RegistryName: cfg.RegistryName,
				PublicRead: cfg.PublicRead, CSRFToken: session.CSRFToken,
				RequireRead: api.RequireRead(cfg.PublicURL, cfg.PublicRead, logger),
			})
			require.NoError(tb, err)
			return []func(http.Handler) http.Handler{sessions.Middleware, sessions.RequireCSRF},
				[]func(chi.Router){lh.Mount, w.Mount}
		},
	})
	require.Equal(t, client.PublicURL, s.URL)
	return s
}

// tlog writes Wharf's log lines to the test log.
type tlog struct{ t testing.TB }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// --- browser -------------------------------------------------------------

func requireCargo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("cargo"); err != nil {
		if testing.Short() {
			t.Skip("cargo is not installed (skipped with -short)")
		}
		t.Fatal("cargo is not installed: install a Rust toolchain (rustup) so that `cargo` is on PATH")
	}
}

// newTab opens a tab in a new browser context: its own cookies, like
// another person's browser.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")), "open a tab")
	return ctx
}

// step runs actions with a bounded wait.
func step(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, actions...), "%s (page %s)", what, location(t, tab))
}

// click clicks sel and waits until the page it leads to has loaded; it
// returns that page's response (after any redirects).
func click(t *testing.T, tab context.Context, what string, sel chromedp.CSS) *network.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.WaitVisible(sel), chromedp.Click(sel))
	require.NoError(t, err, "%s (page %s)", what, location(t, tab))
	require.NotNil(t, resp, what)
	return resp
}

func text[S chromedp.Selectable](t *testing.T, tab context.Context, sel S) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err)
	return strings.TrimSpace(s)
}

func eval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

func location(t *testing.T, tab context.Context) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown: " + err.Error()
	}
	return loc
}

// loginViaOIDC opens path on Wharf, follows the redirect to /login, clicks
// "Log in with …" and fills the provider's form with username. It returns
// the response of the page the provider sent the browser back to.
func loginViaOIDC(t *testing.T, tab context.Context, base string, op *oidctest.Provider, username, path string) *network.Response {
	t.Helper()
	step(t, tab, "open "+path, chromedp.Navigate(base+path))
	require.Equal(t, base+"/login?next="+url.QueryEscape(path), location(t, tab), "anonymous → /login")
	button := chromedp.CSS(`a.button[href^="/login/oidc"]`)
	step(t, tab, "the login page offers OIDC", chromedp.WaitVisible(button))
	require.Equal(t, "Log in with localhost", text(t, tab, button), "the provider's host names the button")
	click(t, tab, "log in with the provider", button)
	step(t, tab, "the provider's login form", chromedp.WaitVisible(chromedp.ID("username")))
	require.True(t, strings.HasPrefix(location(t, tab), op.Issuer+"/login/username?"), location(t, tab))
	step(t, tab, "fill the provider's form",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), oidctest.Password),
	)
	return click(t, tab, "submit the provider's form", chromedp.CSS(`form[action="/login/username"] button[type=submit]`))
}

// dialogLog accepts every JavaScript dialog of a tab and records it.
type dialogLog struct {
	mu   sync.Mutex
	seen []string
}

func (d *dialogLog) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

func acceptDialogs(t *testing.T, tab context.Context) *dialogLog {
	t.Helper()
	d := &dialogLog{}
	events := chromedp.Events(tab, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.seen = append(d.seen, ev.Type.String()+": "+ev.Message)
			d.mu.Unlock()
			_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return d
}

// rawGet sends GET url with the token as cargo sends it.
func rawGet(t *testing.T, target, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", token)
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// --- cargo ---------------------------------------------------------------

// cargoRunner runs the real cargo with a fresh CARGO_HOME whose registry
// "local" is the server's sparse index (as internal/e2e does).
type cargoRunner struct {
	home, target, token string
}

func newCargo(t *testing.T, base, token string) *cargoRunner {
	t.Helper()
	c := &cargoRunner{home: t.TempDir(), target: t.TempDir(), token: token}
	cfg := fmt.Sprintf("[registries.local]\nindex = \"sparse+%s/index/\"\ncredential-provider = \"cargo:token\"\n\n[net]\nretry = 0\n", base)
	require.NoError(t, os.WriteFile(filepath.Join(c.home, "config.toml"), []byte(cfg), 0o644))
	return c
}

type cargoResult struct {
	code           int
	stdout, stderr string
}

func (c *cargoRunner) run(t *testing.T, dir string, args ...string) cargoResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cargo", args...)
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		uk := strings.ToUpper(k)
		if strings.HasPrefix(uk, "REGISTRY_") || strings.HasPrefix(uk, "CARGO") || strings.HasSuffix(uk, "_PROXY") ||
			strings.HasPrefix(uk, "RUSTFLAGS") || uk == "RUSTC_WRAPPER" {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env,
		"CARGO_HOME="+c.home, "CARGO_TARGET_DIR="+c.target, "CARGO_NET_RETRY=0", "CARGO_TERM_COLOR=never",
		"CARGO_TERM_PROGRESS_WHEN=never", "CARGO_HTTP_TIMEOUT=30", "NO_PROXY=127.0.0.1,localhost",
		"CARGO_REGISTRIES_LOCAL_TOKEN="+c.token,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := cargoResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("cargo %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("cargo %s: exit %d after %s", strings.Join(args, " "), res.code, time.Since(start).Round(time.Millisecond))
	return res
}

func (c *cargoRunner) ok(t *testing.T, dir string, args ...string) cargoResult {
	t.Helper()
	res := c.run(t, dir, args...)
	require.Zero(t, res.code, "cargo %s\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(args, " "), res.stdout, res.stderr)
	return res
}

func (c *cargoRunner) fail(t *testing.T, dir string, args ...string) cargoResult {
	t.Helper()
	res := c.run(t, dir, args...)
	require.NotZero(t, res.code, "cargo %s should fail\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(args, " "), res.stdout, res.stderr)
	return res
}

// writeCrate writes the small library crate (with a README) at version.
func writeCrate(t *testing.T, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), crateName)
	files := map[string]string{
		"Cargo.toml": fmt.Sprintf(`[package]
name = %q
version = %q
edition = "2021"
description = "Lights for the harbour"
license = "MIT"
readme = "README.md"
`, crateName, version),
		"README.md":  "# " + crateName + "\n\n" + readmeLine + "\n",
		"src/lib.rs": "pub fn lit() -> bool { true }\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}
