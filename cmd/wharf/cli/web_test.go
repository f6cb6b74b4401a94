package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/jobs"
)

// TestWebMount wires identityMounts and webMount into the API router the
// way serve does, signs in with a local password and uses the UI.
func TestWebMount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	public := "http://" + srv.Listener.Addr().String()
	env := map[string]string{
		"REGISTRY_DATA_DIR": t.TempDir(), "REGISTRY_LOCAL_LOGIN": "true", "REGISTRY_WEB_PUBLIC_URI": public,
		"REGISTRY_SELF_LOCAL_NAME": "acme",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	reg, st, err := openRegistry(ctx, cfg, logger)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	t.Cleanup(func() { _ = reg.Close(context.Background()) })
	require.NoError(t, st.InitJobs(jobs.WithDownloadRetention(jobs.Config(reg), reg, 0)))
	_, err = reg.CreateUser(ctx, "kim", "kim@example.com", "Kim", true)
	require.NoError(t, err)
	require.NoError(t, reg.SetPassword(ctx, "kim", "kim's long password"))

	mws, mounts, err := identityMounts(cfg, reg, logger)
	require.NoError(t, err)
	webMounts, err := webMount(cfg, reg, st, logger)
	require.NoError(t, err)
	srv.Config.Handler = api.NewRouter(api.Config{
		Registry: reg, Logger: logger, PublicURL: cfg.PublicURL, BodyLimit: cfg.BodyLimit, RegistryName: cfg.RegistryName,
		Middlewares: mws, Mounts: append(mounts, []func(chi.Router){webMounts}...),
	})
	srv.Start()
	t.Cleanup(srv.Close)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string) (int, string) {
		resp, err := browser.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

	// Anonymous browsers land on the login page.
	status, page := get("/account")
	require.Equal(t, http.StatusOK, status)
	m := csrf.FindStringSubmatch(page)
	require.NotNil(t, m, page)
	resp, err := browser.PostForm(srv.URL+"/login/local", url.Values{
		"login": {"kim"}, "password": {"kim's long password"}, "next": {"/account"}, "csrf_token": {m[1]},
	})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), "<h1>Account</h1>")
	require.Contains(t, string(body), "[registries.acme]")

	// Forms carry the session's CSRF token; a token is created with it.
	m = csrf.FindStringSubmatch(string(body))
	require.NotNil(t, m)
	resp, err = browser.PostForm(srv.URL+"/account/tokens", url.Values{
		"name": {"laptop"}, "scope": {"read", "publish-new"}, "csrf_token": {m[1]},
	})
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Regexp(t, `echo wharf_[A-Za-z0-9_-]{43} \| cargo login --registry acme`, string(body))
	resp, err = browser.PostForm(srv.URL+"/account/tokens", url.Values{"name": {"x"}, "scope": {"read"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")

	// The administrator reaches the admin pages and River UI.
	for _, p := range []string{"/", "/admin", "/admin/users", "/admin/crates", "/admin/tokens", "/admin/jobs/"} {
		status, page = get(p)
		require.Equal(t, http.StatusOK, status, p)
		require.NotContains(t, page, "Sign in", p)
	}
	require.Contains(t, page, `<meta name="wharf-csrf"`)
}
