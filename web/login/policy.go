package login

import (
	"net/url"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/registry"
)

// identity is what the provider said about the person logging in.
type identity struct {
	Email         string
	Name          string
	Groups        []string
	EmailVerified *bool
}

// claimPath follows a dotted path ("email", "profile.email") through JSON
// objects.
func claimPath(claims map[string]any, path string) (any, bool) {
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func claimString(claims map[string]any, path string) string {
	v, _ := claimPath(claims, path)
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

// claimStrings reads a list claim: a JSON array of strings, or one string
// with space- or comma-separated items.
func claimStrings(claims map[string]any, path string) []string {
	v, ok := claimPath(claims, path)
	if !ok {
		return nil
	}
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	case []string:
		out = append(out, x...)
	case string:
		out = strings.FieldsFunc(x, func(r rune) bool { return r == ',' || r == ' ' })
	}
	return out
}

func claimBool(claims map[string]any, path string) *bool {
	v, ok := claimPath(claims, path)
	if !ok {
		return nil
	}
	switch x := v.(type) {
	case bool:
		return &x
	case string:
		b := strings.EqualFold(x, "true")
		return &b
	}
	return nil
}

// identityFrom extracts the identity from merged ID-token and userinfo
// claims.
func identityFrom(claims map[string]any, o *config.OAuth) identity {
	id := identity{
		Email:  strings.ToLower(claimString(claims, o.EmailPath)),
		Name:   claimString(claims, o.FullNamePath),
		Groups: claimStrings(claims, o.GroupsClaim),
	}
	if o.EmailPath == "email" {
		id.EmailVerified = claimBool(claims, "email_verified")
	}
	if id.Name == "" {
		given, family := claimString(claims, "given_name"), claimString(claims, "family_name")
		id.Name = strings.TrimSpace(given + " " + family)
	}
	return id
}

// policy decides who may log in and with which roles.
type policy struct {
	allowedDomains []string
	allowedGroups  []string
	adminGroups    []string
	readOnlyGroups []string
	adminEmails    []string
}

func newPolicy(o *config.OAuth, adminEmails []string) policy {
	lower := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = strings.ToLower(strings.TrimSpace(s))
		}
		return out
	}
	return policy{
		allowedDomains: lower(o.AllowedDomains), allowedGroups: o.AllowedGroups, adminGroups: o.AdminGroups,
		readOnlyGroups: o.ReadOnlyGroups, adminEmails: lower(adminEmails),
	}
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// decide returns the identity to log in, or a refusal reason shown to the
// person. Members of the admin and read-only groups count as allowed groups.
func (p policy) decide(id identity) (registry.ExternalIdentity, string) {
	if id.Email == "" || !strings.Contains(id.Email, "@") {
		return registry.ExternalIdentity{}, "The identity provider did not give an e-mail address for your account."
	}
	if id.EmailVerified != nil && !*id.EmailVerified {
		return registry.ExternalIdentity{}, "Your e-mail address is not verified by the identity provider."
	}
	_, domain, _ := strings.Cut(id.Email, "@")
	if len(p.allowedDomains) > 0 && !slices.Contains(p.allowedDomains, domain) {
		return registry.ExternalIdentity{}, "Accounts of the e-mail domain " + domain + " may not use this registry."
	}
	inAdmin := intersects(id.Groups, p.adminGroups)
	inReadOnly := intersects(id.Groups, p.readOnlyGroups)
	if len(p.allowedGroups) > 0 && !intersects(id.Groups, p.allowedGroups) && !inAdmin && !inReadOnly {
		return registry.ExternalIdentity{}, "Your account is not in a group that may use this registry."
	}
	ext := registry.ExternalIdentity{Email: id.Email, Name: id.Name}
	if len(p.adminGroups) > 0 || len(p.adminEmails) > 0 {
		admin := inAdmin || slices.Contains(p.adminEmails, id.Email)
		ext.Admin = &admin
	} else {
		ext.AdminIfFirst = true
	}
	if len(p.readOnlyGroups) > 0 {
		ro := inReadOnly && (ext.Admin == nil || !*ext.Admin)
		ext.ReadOnly = &ro
	}
	return ext, ""
}

// SafeNext returns raw if it is a local path on this site, else "/". It
// refuses absolute and scheme-relative URLs ("//evil", "/\evil"), control
// characters and the login pages themselves.
func SafeNext(raw string) string {
	if raw == "" || len(raw) > 2048 || raw[0] != '/' || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\") {
		return "/"
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	if u.Path == "/login" || strings.HasPrefix(u.Path, "/login/") || u.Path == "/logout" {
		return "/"
	}
	return raw
}
