package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/registry"
)

// testSite is a registry served by newHandler, exactly as serve builds it,
// with a cookie-jar client standing in for a browser.
type testSite struct {
	URL     string
	Reg     *registry.Service
	Browser *http.Client
}

// startSite runs newHandler on a fresh SQLite data dir with local login on;
// env adds REGISTRY_* variables.
func startSite(t *testing.T, env map[string]string) *testSite {
	t.Helper()
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	vars := map[string]string{
		"REGISTRY_DATA_DIR": t.TempDir(), "REGISTRY_LOCAL_LOGIN": "true",
		"REGISTRY_WEB_PUBLIC_URI": "http://" + srv.Listener.Addr().String(),
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	reg, st, err := openRegistry(ctx, cfg, logger)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	t.Cleanup(func() { _ = reg.Close(context.Background()) })
	require.NoError(t, st.InitJobs(jobs.WithDownloadRetention(jobs.Config(reg), reg, 0)))
	handler, err := newHandler(cfg, reg, st, logger)
	require.NoError(t, err)
	srv.Config.Handler = handler
	srv.Start()
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &testSite{URL: srv.URL, Reg: reg, Browser: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// get fetches path with the browser client.
func (s *testSite) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := s.Browser.Get(s.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
