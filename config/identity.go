package config

import (
	"net"
	"net/url"
	"strings"
	"time"
)

// OAuth is the OpenID Connect / OAuth2 login configuration
// (REGISTRY_OAUTH_*). It is enabled when ClientID is set.
//
// Two modes: discovery (Issuer set, LoginURI empty: endpoints and keys come
// from <issuer>/.well-known/openid-configuration and the ID token is always
// verified), or Cratery's explicit endpoints (LoginURI, TokenURI,
// UserinfoURI) for providers without discovery; there the ID token is
// verified only when JWKSURI (and Issuer, its expected "iss") is given,
// otherwise identity comes from the userinfo endpoint alone, which must then
// use https.
type OAuth struct {
	Issuer       string   // REGISTRY_OAUTH_ISSUER
	LoginURI     string   // REGISTRY_OAUTH_LOGIN_URI (authorization endpoint)
	TokenURI     string   // REGISTRY_OAUTH_TOKEN_URI
	UserinfoURI  string   // REGISTRY_OAUTH_USERINFO_URI
	JWKSURI      string   // REGISTRY_OAUTH_JWKS_URI
	CallbackURI  string   // REGISTRY_OAUTH_CALLBACK_URI; default <public URL>/login/callback
	ClientID     string   // REGISTRY_OAUTH_CLIENT_ID
	ClientSecret string   // REGISTRY_OAUTH_CLIENT_SECRET
	Scopes       []string // REGISTRY_OAUTH_CLIENT_SCOPE (space or comma separated)
	EmailPath    string   // REGISTRY_OAUTH_USERINFO_PATH_EMAIL: dotted path of the e-mail claim
	FullNamePath string   // REGISTRY_OAUTH_USERINFO_PATH_FULLNAME
	ProviderName string   // REGISTRY_OAUTH_PROVIDER_NAME: shown as "Log in with <name>"
	GroupsClaim  string   // REGISTRY_OAUTH_GROUPS_CLAIM: dotted path of the groups claim

	AllowedDomains []string // REGISTRY_OAUTH_ALLOWED_DOMAINS: e-mail domains that may log in (empty = any)
	AllowedGroups  []string // REGISTRY_OAUTH_ALLOWED_GROUPS: groups that may log in (empty = any)
	AdminGroups    []string // REGISTRY_OAUTH_ADMIN_GROUPS: members are admins
	ReadOnlyGroups []string // REGISTRY_OAUTH_READONLY_GROUPS: members are read-only
}

// Enabled reports whether OIDC login is configured.
func (o *OAuth) Enabled() bool { return o.ClientID != "" }

// Discovery reports whether endpoints come from OIDC discovery.
func (o *OAuth) Discovery() bool { return o.LoginURI == "" }

// list reads a comma-separated list; items are trimmed, empty ones dropped.
func (l *loader) list(name string) []string {
	var out []string
	for _, p := range strings.Split(l.str(name, ""), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (l *loader) duration(name string, def, minimum time.Duration) time.Duration {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minimum {
		l.fail(name, "must be a duration of at least %s such as 12h or 90m, got %q", minimum, v)
		return def
	}
	return d
}

// identity loads the login, session and OIDC settings.
func (l *loader) identity(c *Config) {
	c.LocalLogin = l.boolean("REGISTRY_LOCAL_LOGIN", false)
	c.SessionTTL = l.duration("REGISTRY_WEB_SESSION_TTL", 12*time.Hour, time.Minute)
	for _, e := range l.list("REGISTRY_ADMIN_EMAILS") {
		e = strings.ToLower(e)
		if local, domain, ok := strings.Cut(e, "@"); !ok || local == "" || domain == "" {
			l.fail("REGISTRY_ADMIN_EMAILS", "must be a comma-separated list of e-mail addresses, got %q", e)
			continue
		}
		c.AdminEmails = append(c.AdminEmails, e)
	}
	o := OAuth{
		Issuer:         strings.TrimRight(l.str("REGISTRY_OAUTH_ISSUER", ""), "/"),
		LoginURI:       l.str("REGISTRY_OAUTH_LOGIN_URI", ""),
		TokenURI:       l.str("REGISTRY_OAUTH_TOKEN_URI", ""),
		UserinfoURI:    l.str("REGISTRY_OAUTH_USERINFO_URI", ""),
		JWKSURI:        l.str("REGISTRY_OAUTH_JWKS_URI", ""),
		CallbackURI:    l.str("REGISTRY_OAUTH_CALLBACK_URI", ""),
		ClientID:       l.str("REGISTRY_OAUTH_CLIENT_ID", ""),
		ClientSecret:   l.str("REGISTRY_OAUTH_CLIENT_SECRET", ""),
		Scopes:         strings.FieldsFunc(l.str("REGISTRY_OAUTH_CLIENT_SCOPE", "openid email profile"), func(r rune) bool { return r == ' ' || r == ',' }),
		EmailPath:      l.str("REGISTRY_OAUTH_USERINFO_PATH_EMAIL", "email"),
		FullNamePath:   l.str("REGISTRY_OAUTH_USERINFO_PATH_FULLNAME", "name"),
		ProviderName:   l.str("REGISTRY_OAUTH_PROVIDER_NAME", ""),
		GroupsClaim:    l.str("REGISTRY_OAUTH_GROUPS_CLAIM", "groups"),
		AllowedGroups:  l.list("REGISTRY_OAUTH_ALLOWED_GROUPS"),
		AdminGroups:    l.list("REGISTRY_OAUTH_ADMIN_GROUPS"),
		ReadOnlyGroups: l.list("REGISTRY_OAUTH_READONLY_GROUPS"),
	}
	for _, d := range l.list("REGISTRY_OAUTH_ALLOWED_DOMAINS") {
		d = strings.ToLower(strings.TrimPrefix(d, "@"))
		if d == "" || strings.ContainsAny(d, "@/ ") {
			l.fail("REGISTRY_OAUTH_ALLOWED_DOMAINS", "must be a comma-separated list of e-mail domains such as example.com, got %q", d)
			continue
		}
		o.AllowedDomains = append(o.AllowedDomains, d)
	}
	c.OAuth = o
}

// validateIdentity runs after PublicURL is known.
func (l *loader) validateIdentity(c *Config) {
	o := &c.OAuth
	explicit := o.LoginURI != "" || o.TokenURI != "" || o.UserinfoURI != "" || o.JWKSURI != ""
	configured := o.ClientID != "" || o.Issuer != "" || explicit
	if !configured {
		for _, name := range []string{"REGISTRY_OAUTH_ALLOWED_DOMAINS", "REGISTRY_OAUTH_ALLOWED_GROUPS",
			"REGISTRY_OAUTH_ADMIN_GROUPS", "REGISTRY_OAUTH_READONLY_GROUPS"} {
			if l.str(name, "") != "" {
				l.fail(name, "has no effect without REGISTRY_OAUTH_CLIENT_ID (OIDC login)")
			}
		}
		return
	}
	if o.ClientID == "" {
		l.fail("REGISTRY_OAUTH_CLIENT_ID", "is required for OIDC login (REGISTRY_OAUTH_ISSUER or REGISTRY_OAUTH_LOGIN_URI is set)")
	}
	checkURL := func(name, v string) {
		if v == "" {
			return
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.fail(name, "must be an absolute http(s) URL, got %q", v)
		}
	}
	checkURL("REGISTRY_OAUTH_ISSUER", o.Issuer)
	checkURL("REGISTRY_OAUTH_LOGIN_URI", o.LoginURI)
	checkURL("REGISTRY_OAUTH_TOKEN_URI", o.TokenURI)
	checkURL("REGISTRY_OAUTH_USERINFO_URI", o.UserinfoURI)
	checkURL("REGISTRY_OAUTH_JWKS_URI", o.JWKSURI)
	if o.CallbackURI == "" {
		o.CallbackURI = c.PublicURL + "/login/callback"
	} else if u, err := url.Parse(o.CallbackURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path == "" || u.Path == "/" || u.RawQuery != "" || u.Fragment != "" {
		l.fail("REGISTRY_OAUTH_CALLBACK_URI", "must be an absolute http(s) URL with a path and no query, such as %s/login/callback, got %q", c.PublicURL, o.CallbackURI)
	}
	if !explicit {
		if o.Issuer == "" {
			l.fail("REGISTRY_OAUTH_ISSUER", "is required for OIDC login (or give REGISTRY_OAUTH_LOGIN_URI, _TOKEN_URI and _USERINFO_URI)")
		}
	} else {
		if o.LoginURI == "" {
			l.fail("REGISTRY_OAUTH_LOGIN_URI", "is required when explicit endpoints are used (REGISTRY_OAUTH_TOKEN_URI/_USERINFO_URI/_JWKS_URI is set); or use REGISTRY_OAUTH_ISSUER alone for discovery")
		}
		if o.TokenURI == "" {
			l.fail("REGISTRY_OAUTH_TOKEN_URI", "is required with REGISTRY_OAUTH_LOGIN_URI")
		}
		if o.UserinfoURI == "" && o.JWKSURI == "" {
			l.fail("REGISTRY_OAUTH_USERINFO_URI", "is required with REGISTRY_OAUTH_LOGIN_URI (or give REGISTRY_OAUTH_JWKS_URI to read identity from the verified ID token)")
		}
		if o.JWKSURI != "" && o.Issuer == "" {
			l.fail("REGISTRY_OAUTH_ISSUER", "is required with REGISTRY_OAUTH_JWKS_URI: it is the expected issuer of ID tokens")
		}
		if o.JWKSURI == "" && o.UserinfoURI != "" && !secureURL(o.UserinfoURI) {
			l.fail("REGISTRY_OAUTH_USERINFO_URI", "must use https when no REGISTRY_OAUTH_JWKS_URI is given: identity then rests on the userinfo response alone")
		}
	}
	if len(o.Scopes) == 0 {
		l.fail("REGISTRY_OAUTH_CLIENT_SCOPE", "must name at least one scope, such as \"openid email profile\"")
	}
	if (!explicit || o.JWKSURI != "") && !containsStr(o.Scopes, "openid") {
		l.fail("REGISTRY_OAUTH_CLIENT_SCOPE", "must include openid when ID tokens are verified, got %q", strings.Join(o.Scopes, " "))
	}
	if o.EmailPath == "" {
		l.fail("REGISTRY_OAUTH_USERINFO_PATH_EMAIL", "must not be empty")
	}
	if o.GroupsClaim == "" {
		l.fail("REGISTRY_OAUTH_GROUPS_CLAIM", "must not be empty")
	}
	if o.ProviderName == "" {
		src := o.Issuer
		if explicit {
			src = o.LoginURI
		}
		if u, err := url.Parse(src); err == nil && u.Hostname() != "" {
			o.ProviderName = u.Hostname()
		} else {
			o.ProviderName = "single sign-on"
		}
	}
}

// secureURL: https, or plain http to a loopback address (local tests).
func secureURL(v string) bool {
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
