package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestIdentityDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.False(t, c.OAuth.Enabled())
	require.False(t, c.LocalLogin, "local login is off by default")
	require.Equal(t, 12*time.Hour, c.SessionTTL)
	require.Empty(t, c.AdminEmails)
}

func TestIdentityDiscovery(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"REGISTRY_WEB_PUBLIC_URI":        "https://crates.example.com",
		"REGISTRY_OAUTH_ISSUER":          "https://login.example.com/",
		"REGISTRY_OAUTH_CLIENT_ID":       "wharf",
		"REGISTRY_OAUTH_CLIENT_SECRET":   "s3cret",
		"REGISTRY_OAUTH_CLIENT_SCOPE":    "openid,email profile groups",
		"REGISTRY_OAUTH_ALLOWED_DOMAINS": "Example.com, @corp.example",
		"REGISTRY_OAUTH_ADMIN_GROUPS":    "registry-admins",
		"REGISTRY_ADMIN_EMAILS":          "Boss@Example.com, cto@example.com",
		"REGISTRY_LOCAL_LOGIN":           "true",
		"REGISTRY_WEB_SESSION_TTL":       "8h",
	}))
	require.NoError(t, err)
	o := c.OAuth
	require.True(t, o.Enabled())
	require.True(t, o.Discovery())
	require.Equal(t, "https://login.example.com", o.Issuer)
	require.Equal(t, "https://crates.example.com/login/callback", o.CallbackURI)
	require.Equal(t, []string{"openid", "email", "profile", "groups"}, o.Scopes)
	require.Equal(t, []string{"example.com", "corp.example"}, o.AllowedDomains)
	require.Equal(t, []string{"registry-admins"}, o.AdminGroups)
	require.Equal(t, "login.example.com", o.ProviderName)
	require.Equal(t, "email", o.EmailPath)
	require.Equal(t, "name", o.FullNamePath)
	require.Equal(t, "groups", o.GroupsClaim)
	require.Equal(t, []string{"boss@example.com", "cto@example.com"}, c.AdminEmails)
	require.True(t, c.LocalLogin)
	require.Equal(t, 8*time.Hour, c.SessionTTL)
}

func TestIdentityExplicitEndpoints(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"REGISTRY_OAUTH_LOGIN_URI":              "https://accounts.example.com/o/oauth2/auth",
		"REGISTRY_OAUTH_TOKEN_URI":              "https://oauth2.example.com/token",
		"REGISTRY_OAUTH_USERINFO_URI":           "https://www.example.com/oauth2/v3/userinfo",
		"REGISTRY_OAUTH_CALLBACK_URI":           "http://127.0.0.1:8080/auth/done",
		"REGISTRY_OAUTH_CLIENT_ID":              "wharf",
		"REGISTRY_OAUTH_CLIENT_SCOPE":           "email profile",
		"REGISTRY_OAUTH_USERINFO_PATH_EMAIL":    "data.mail",
		"REGISTRY_OAUTH_USERINFO_PATH_FULLNAME": "data.displayName",
	}))
	require.NoError(t, err)
	require.False(t, c.OAuth.Discovery())
	require.Equal(t, "http://127.0.0.1:8080/auth/done", c.OAuth.CallbackURI)
	require.Equal(t, "data.mail", c.OAuth.EmailPath)
	require.Equal(t, "accounts.example.com", c.OAuth.ProviderName)
}

func TestIdentityListsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{
		"REGISTRY_OAUTH_LOGIN_URI":       "https://idp.example.com/auth",
		"REGISTRY_OAUTH_USERINFO_URI":    "http://idp.example.com/userinfo", // plain http, no JWKS
		"REGISTRY_OAUTH_CALLBACK_URI":    "/relative",
		"REGISTRY_OAUTH_ALLOWED_DOMAINS": "a@b",
		"REGISTRY_ADMIN_EMAILS":          "not-an-email",
		"REGISTRY_LOCAL_LOGIN":           "yes please",
		"REGISTRY_WEB_SESSION_TTL":       "10s",
	}))
	require.Error(t, err)
	for _, name := range []string{"REGISTRY_OAUTH_CLIENT_ID", "REGISTRY_OAUTH_TOKEN_URI", "REGISTRY_OAUTH_USERINFO_URI",
		"REGISTRY_OAUTH_CALLBACK_URI", "REGISTRY_OAUTH_ALLOWED_DOMAINS", "REGISTRY_ADMIN_EMAILS", "REGISTRY_LOCAL_LOGIN",
		"REGISTRY_WEB_SESSION_TTL"} {
		require.Contains(t, err.Error(), name)
	}
}

func TestIdentityProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"issuer without client id", map[string]string{"REGISTRY_OAUTH_ISSUER": "https://idp.example.com"}, "REGISTRY_OAUTH_CLIENT_ID"},
		{"client id alone", map[string]string{"REGISTRY_OAUTH_CLIENT_ID": "x"}, "REGISTRY_OAUTH_ISSUER: is required"},
		{"jwks without issuer", map[string]string{"REGISTRY_OAUTH_CLIENT_ID": "x", "REGISTRY_OAUTH_LOGIN_URI": "https://i/a",
			"REGISTRY_OAUTH_TOKEN_URI": "https://i/t", "REGISTRY_OAUTH_JWKS_URI": "https://i/k"}, "REGISTRY_OAUTH_ISSUER"},
		{"discovery without openid", map[string]string{"REGISTRY_OAUTH_CLIENT_ID": "x", "REGISTRY_OAUTH_ISSUER": "https://i",
			"REGISTRY_OAUTH_CLIENT_SCOPE": "email"}, "REGISTRY_OAUTH_CLIENT_SCOPE"},
		{"bad issuer URL", map[string]string{"REGISTRY_OAUTH_CLIENT_ID": "x", "REGISTRY_OAUTH_ISSUER": "idp.example.com"}, "REGISTRY_OAUTH_ISSUER"},
		{"allow-list without OIDC", map[string]string{"REGISTRY_OAUTH_ALLOWED_GROUPS": "devs"}, "REGISTRY_OAUTH_ALLOWED_GROUPS"},
		{"callback with query", map[string]string{"REGISTRY_OAUTH_CLIENT_ID": "x", "REGISTRY_OAUTH_ISSUER": "https://i",
			"REGISTRY_OAUTH_CALLBACK_URI": "https://w/cb?x=1"}, "REGISTRY_OAUTH_CALLBACK_URI"},
	} {
		_, err := Load(env(tc.env))
		require.ErrorContains(t, err, tc.want, tc.name)
	}
	// Plain http userinfo is fine on loopback (local tests) and with JWKS.
	_, err := Load(env(map[string]string{"REGISTRY_OAUTH_CLIENT_ID": "x", "REGISTRY_OAUTH_LOGIN_URI": "http://127.0.0.1:9/a",
		"REGISTRY_OAUTH_TOKEN_URI": "http://127.0.0.1:9/t", "REGISTRY_OAUTH_USERINFO_URI": "http://127.0.0.1:9/u"}))
	require.NoError(t, err)
}
