package web_test

import (
	"context"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/internal/browsertest"
)

// Browser tests drive Debian's chromium through chromedp (internal/browsertest).

func newBrowser(t *testing.T) context.Context { return browsertest.New(t) }

// tab opens a new tab in the browser of ctx, signed in with cookie.
func (b *testBundle) tab(t *testing.T, browser context.Context, login string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	c := b.sessionCookie(t, login)
	_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: c.Name, Value: c.Value, URL: b.s.URL + "/", HTTPOnly: ptr(true), SameSite: network.CookieSameSiteLax,
	})
	require.NoError(t, err)
	return ctx
}

// pageLog records what a tab requested and complained about.
type pageLog struct {
	mu       sync.Mutex
	requests []string
	problems []string // CSP violations, script exceptions
	dialogs  []string
	last     time.Time
}

func (l *pageLog) listen(t *testing.T, ctx context.Context) {
	t.Helper()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.dialogs = append(l.dialogs, ev.Type.String()+": "+ev.Message)
			l.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			l.requests = append(l.requests, e.Request.URL)
			l.last = time.Now()
		case *cdplog.EventEntryAdded:
			if strings.Contains(e.Entry.Text, "Content Security Policy") || e.Entry.Source == cdplog.EntrySourceSecurity {
				l.problems = append(l.problems, "log: "+e.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			l.problems = append(l.problems, "exception: "+e.ExceptionDetails.Text+" "+exceptionDescription(e))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				l.problems = append(l.problems, "console.error")
			}
		}
	}))
}

func exceptionDescription(e *runtime.EventExceptionThrown) string {
	if e.ExceptionDetails.Exception != nil {
		return e.ExceptionDetails.Exception.Description
	}
	return ""
}

func (l *pageLog) snapshot() (requests, problems, dialogs []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.requests...), append([]string(nil), l.problems...), append([]string(nil), l.dialogs...)
}

// settle waits until the tab made no request for quiet (scripts that fetch
// after load, like River UI), at most max.
func (l *pageLog) settle(quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		last := l.last
		l.mu.Unlock()
		if time.Since(last) >= quiet {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	require.NoError(t, err, expr)
	return v
}

// seedShowcase publishes a small, realistic registry: several crates and
// versions, READMEs, owners, and 90 days of downloads.
func seedShowcase(t *testing.T, b *testBundle, clock *testClock) {
	t.Helper()
	defer clock.Set(0)
	step := 0
	tick := func() { // every publish a bit later, over about four months
		step++
		clock.Set(time.Duration(130-5*step)*24*time.Hour + time.Duration(step*37)*time.Minute)
	}
	bob := b.s.Token(t, "bob", auth.WriteScopes)
	crates := []struct {
		token, name, desc string
		versions          []string
	}{
		{b.alice, "acme-http", "HTTP client with retries, timeouts and tracing for internal services", []string{"0.3.0", "0.4.0", "0.4.1"}},
		{b.alice, "acme-config", "Layered configuration: files, environment and secrets", []string{"1.0.0", "1.1.0"}},
		{bob, "billing-core", "Invoices, tax rules and currency rounding", []string{"2.0.0", "2.1.0", "2.2.0"}},
		{bob, "telemetry", "OpenTelemetry setup shared by every service", []string{"0.9.0"}},
		{b.admin, "acme-log", "Structured logging with request IDs", []string{"1.0.0"}},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, c := range crates {
		for _, v := range c.versions {
			tick()
			b.publish(t, c.token, c.name, v, &crateSpec{Description: c.desc, License: "Apache-2.0",
				Readme: "# " + c.name + "\n\n" + c.desc + ".\n"})
		}
		for i, v := range c.versions {
			counts := map[int]int64{}
			for day := range 90 {
				if day > 20*(i+1)+rng.IntN(10) && i == len(c.versions)-1 {
					continue
				}
				counts[day] = int64(rng.IntN(12 + 8*i))
			}
			b.seedDownloads(t, c.name, v, counts)
		}
	}
	// The showcase crate: a README with code, several versions published
	// over three months (one yanked), and downloads that move to each new
	// version after its release.
	versions := []struct {
		v       string
		daysAgo int
	}{{"0.9.0", 84}, {"1.0.0", 63}, {"1.0.1", 44}, {"1.1.0", 27}, {"1.2.0", 9}}
	for _, v := range versions {
		spec := richSpec(showcaseReadme)
		spec.Description = "Fast, accessible widget toolkit for internal dashboards"
		clock.Set(time.Duration(v.daysAgo)*24*time.Hour - 3*time.Hour)
		b.publish(t, b.alice, "acme-widgets", v.v, spec)
	}
	r := b.do(t, "DELETE", "/api/v1/crates/acme-widgets/1.0.1/yank", b.alice, nil, nil, nil)
	require.Equal(t, 200, r.status, r.body)
	perVersion := make([]map[int]int64, len(versions))
	for i := range perVersion {
		perVersion[i] = map[int]int64{}
	}
	for day := 89; day >= 0; day-- {
		total := 18 + (89-day)/2 + rng.IntN(9)
		if (day+3)%7 < 2 { // quieter weekends
			total = total * 2 / 5
		}
		// Weights: the newest released version 6, the one before 2, older 1;
		// the yanked 1.0.1 fades out.
		var weights []int
		var idx []int
		for i, v := range versions {
			if day > v.daysAgo {
				continue
			}
			idx = append(idx, i)
			weights = append(weights, 1)
		}
		if len(idx) == 0 {
			continue
		}
		weights[len(weights)-1] = 6
		if len(weights) > 1 {
			weights[len(weights)-2] = 2
		}
		sum := 0
		for k, i := range idx {
			if versions[i].v == "1.0.1" && day < 40 {
				weights[k] = 0
			}
			sum += weights[k]
		}
		for k, i := range idx {
			if n := int64(total * weights[k] / sum); n > 0 {
				perVersion[i][day] = n
			}
		}
	}
	for i, v := range versions {
		b.seedDownloads(t, "acme-widgets", v.v, perVersion[i])
	}
	_, err := b.s.Registry.ChangeOwners(context.Background(), mustAuth(t, b, b.alice), "acme-widgets", []string{"bob"}, true)
	require.NoError(t, err)
}

func mustAuth(t *testing.T, b *testBundle, token string) *auth.Principal {
	t.Helper()
	p, err := b.s.Registry.Authenticate(context.Background(), auth.Credential{Secret: token})
	require.NoError(t, err)
	return p
}

const showcaseReadme = "# acme-widgets\n\n" +
	"Fast, accessible widgets for the dashboards we build in-house: buttons, tables, charts and forms " +
	"that follow the design system and work with a keyboard.\n\n" +
	"## Install\n\n```toml\n[dependencies]\nacme-widgets = { version = \"1.2\", registry = \"local\" }\n```\n\n" +
	"## Example\n\n```rust\nuse acme_widgets::{Button, Table};\n\nfn main() -> anyhow::Result<()> {\n" +
	"    let table = Table::from_rows(load_orders()?)\n        .column(\"id\")\n        .column(\"total\");\n" +
	"    let refresh = Button::new(\"Refresh\").on_click(|| table.reload());\n    ui::run(vec![table.into(), refresh.into()])\n}\n```\n\n" +
	"## Features\n\n| Feature | Default | What it adds |\n|---|---|---|\n| `std` | yes | standard library support |\n" +
	"| `async` | no | async data sources (tokio) |\n| `derive` | no | `#[derive(Widget)]` |\n\n" +
	"> Widgets render nothing by themselves: pair them with `acme-render`.\n"

func TestBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	clock := &testClock{}
	b := setup(t, "sqlite", &setupOpts{Clock: clock})
	seedShowcase(t, b, clock)

	t.Run("Screenshots", func(t *testing.T) {
		if os.Getenv("WHARF_UPDATE_SCREENSHOTS") != "1" {
			t.Skip("set WHARF_UPDATE_SCREENSHOTS=1 to write docs/screenshots")
		}
		dir := filepath.Join("..", "docs", "screenshots")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for name, path := range map[string]string{"home": "/", "crate": "/crates/acme-widgets", "admin": "/admin/crates/acme-widgets"} {
			ctx := b.tab(t, browser, "admin")
			require.NoError(t, chromedp.Do(ctx,
				chromedp.EmulateViewport(1280, 900),
				chromedp.Navigate(b.s.URL+path),
				chromedp.WaitVisible(chromedp.CSS("footer")),
			))
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
		}
	})

	t.Run("NoRequestLeavesTheServer", func(t *testing.T) {
		for _, path := range []string{
			"/", "/search?q=acme", "/crates/acme-widgets", "/crates/acme-widgets/1.0.1", "/account",
			"/admin", "/admin/users", "/admin/crates", "/admin/crates/acme-widgets", "/admin/tokens", "/admin/jobs/",
		} {
			ctx := b.tab(t, browser, "admin")
			var l pageLog
			l.listen(t, ctx)
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(b.s.URL+path)), path)
			if strings.HasPrefix(path, "/admin/jobs") {
				// River UI is a script that renders, then fetches its API.
				require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#root nav"))), path)
			}
			l.settle(700*time.Millisecond, 10*time.Second)
			requests, problems, dialogs := l.snapshot()
			require.NotEmpty(t, requests, path)
			for _, raw := range requests {
				u, err := url.Parse(raw)
				require.NoError(t, err)
				if u.Scheme == "data" {
					continue
				}
				require.Equal(t, "127.0.0.1", u.Hostname(), "%s requested %s", path, raw)
			}
			require.Empty(t, problems, path)
			require.Empty(t, dialogs, path)
			title := evalString(t, ctx, "document.title")
			require.NotContains(t, title, "Forbidden", path)
			t.Logf("%s: %d requests, title %q", path, len(requests), title)
		}
	})

	t.Run("JobsUIActionsWork", func(t *testing.T) {
		// River UI's actions are fetches from its page: with the session
		// cookie they pass the CSRF check because Wharf adds the token.
		ctx := b.tab(t, browser, "admin")
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(b.s.URL+"/admin/jobs/"),
			chromedp.WaitVisible(chromedp.CSS("#root nav"))))
		cancel := `fetch('/admin/jobs/api/jobs/cancel', {method: 'POST', headers: {'Content-Type': 'application/json'},
			body: JSON.stringify({ids: ['1']})}).then(r => String(r.status))`
		status, err := chromedp.Run(ctx, chromedp.Evaluate[string](cancel, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		require.Equal(t, "200", status)
		// The same request from a page without the token is refused.
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(b.s.URL+"/admin")))
		status, err = chromedp.Run(ctx, chromedp.Evaluate[string](cancel, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		require.Equal(t, "403", status)
	})

	t.Run("ReadmeIsInert", func(t *testing.T) {
		b.publish(t, b.alice, "hostile", "1.0.0", &crateSpec{Readme: hostileReadme})
		ctx := b.tab(t, browser, "admin")
		var l pageLog
		l.listen(t, ctx)
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(b.s.URL+"/crates/hostile")))
		l.settle(500*time.Millisecond, 5*time.Second)
		require.Equal(t, "undefined", evalString(t, ctx, "typeof window.__xss"))
		require.Equal(t, "0", evalString(t, ctx, "String(document.querySelectorAll('.markdown script, .markdown [onerror]').length)"))
		// The hostile links are left as plain text: click where they are
		// (real mouse clicks), and check nothing ran or navigated.
		require.Equal(t, "0", evalString(t, ctx, `String(document.querySelectorAll('a[href^="javascript:" i], [href*="__xss"]').length)`))
		type point struct{ X, Y float64 }
		locate := `[...document.querySelectorAll('.markdown p')].filter(p => p.textContent === 'x' || p.textContent === 'click me').map(p => {
			p.scrollIntoView({block: 'center'});
			const r = p.firstChild.parentElement.getBoundingClientRect();
			return {X: r.left + 4, Y: r.top + r.height / 2};
		})`
		targets, err := chromedp.Run(ctx, chromedp.Evaluate[[]point](locate))
		require.NoError(t, err)
		require.Len(t, targets, 2, "the text of both hostile links is shown")
		for i := range targets {
			pts, err := chromedp.Run(ctx, chromedp.Evaluate[[]point](locate))
			require.NoError(t, err)
			require.NoError(t, chromedp.Do(ctx, chromedp.MouseClickXY(pts[i].X, pts[i].Y)))
		}
		time.Sleep(300 * time.Millisecond)
		require.Equal(t, "undefined", evalString(t, ctx, "typeof window.__xss"))
		require.Equal(t, b.s.URL+"/crates/hostile", evalString(t, ctx, "location.href"), "no link navigated")
		_, _, dialogs := l.snapshot()
		require.Empty(t, dialogs, "no dialog opened")
	})

}

const hostileReadme = "# Hostile\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"window.__xss=1\">\n\n" +
	"[x](javascript:window.__xss=2)\n\n<a href=\"javascript:window.__xss=3\">click me</a>\n"
