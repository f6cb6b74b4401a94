package cli

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIdentityMounts wires identityMounts into the API router the way serve
// does and logs in with a local password.
func TestIdentityMounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	site := startSite(t, nil)
	reg, browser := site.Reg, site.Browser
	_, err := reg.CreateUser(ctx, "kim", "kim@example.com", "Kim", false)
	require.NoError(t, err)
	require.NoError(t, reg.SetPassword(ctx, "kim", "kim's long password"))
	get := func(path string) (int, string) { return site.get(t, path) }
	status, page := get("/login")
	require.Equal(t, http.StatusOK, status)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, m, page)
	resp, err := browser.PostForm(site.URL+"/login/local", url.Values{
		"login": {"kim"}, "password": {"kim's long password"}, "next": {"/api/v1/me"}, "csrf_token": {m[1]},
	})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.True(t, strings.Contains(string(body), `"login":"kim"`), string(body))

	// The global CSRF check covers every route, the cargo API included.
	resp, err = browser.PostForm(site.URL+"/logout", url.Values{})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
