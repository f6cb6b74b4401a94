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
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/config"
)

// TestIdentityMounts wires identityMounts into the API router the way serve
// does and logs in with a local password.
func TestIdentityMounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	public := "http://" + srv.Listener.Addr().String()
	env := map[string]string{
		"REGISTRY_DATA_DIR": t.TempDir(), "REGISTRY_LOCAL_LOGIN": "true", "REGISTRY_WEB_PUBLIC_URI": public,
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	reg, st, err := openRegistry(ctx, cfg, logger)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	t.Cleanup(func() { _ = reg.Close(context.Background()) })
	_, err = reg.CreateUser(ctx, "kim", "kim@example.com", "Kim", false)
	require.NoError(t, err)
	require.NoError(t, reg.SetPassword(ctx, "kim", "kim's long password"))

	mws, mounts, err := identityMounts(cfg, reg, logger)
	require.NoError(t, err)
	srv.Config.Handler = api.NewRouter(api.Config{
		Registry: reg, Logger: logger, PublicURL: cfg.PublicURL, BodyLimit: cfg.BodyLimit, RegistryName: cfg.RegistryName,
		Middlewares: mws, Mounts: mounts,
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
	status, page := get("/login")
	require.Equal(t, http.StatusOK, status)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, m, page)
	resp, err := browser.PostForm(srv.URL+"/login/local", url.Values{
		"login": {"kim"}, "password": {"kim's long password"}, "next": {"/api/v1/me"}, "csrf_token": {m[1]},
	})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.True(t, strings.Contains(string(body), `"login":"kim"`), string(body))

	// The global CSRF check covers every route, the cargo API included.
	resp, err = browser.PostForm(srv.URL+"/logout", url.Values{})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
