package cli

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWebMount wires identityMounts and webMount into the API router the
// way serve does, signs in with a local password and uses the UI.
func TestWebMount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	site := startSite(t, map[string]string{"REGISTRY_SELF_LOCAL_NAME": "acme"})
	reg, browser := site.Reg, site.Browser
	_, err := reg.CreateUser(ctx, "kim", "kim@example.com", "Kim", true)
	require.NoError(t, err)
	require.NoError(t, reg.SetPassword(ctx, "kim", "kim's long password"))
	get := func(path string) (int, string) { return site.get(t, path) }
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

	// Anonymous browsers land on the login page.
	status, page := get("/account")
	require.Equal(t, http.StatusOK, status)
	m := csrf.FindStringSubmatch(page)
	require.NotNil(t, m, page)
	resp, err := browser.PostForm(site.URL+"/login/local", url.Values{
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
	resp, err = browser.PostForm(site.URL+"/account/tokens", url.Values{
		"name": {"laptop"}, "scope": {"read", "publish-new"}, "csrf_token": {m[1]},
	})
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Regexp(t, `echo wharf_[A-Za-z0-9_-]{43} \| cargo login --registry acme`, string(body))
	resp, err = browser.PostForm(site.URL+"/account/tokens", url.Values{"name": {"x"}, "scope": {"read"}})
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
