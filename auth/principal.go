package auth

import (
	"context"
	"path"
	"slices"
	"strings"
)

// Scope is one permission a token grants.
type Scope string

const (
	ScopeRead          Scope = "read"
	ScopePublishNew    Scope = "publish-new"
	ScopePublishUpdate Scope = "publish-update"
	ScopeYank          Scope = "yank"
	ScopeChangeOwners  Scope = "change-owners"
	ScopeAdmin         Scope = "admin"
)

// ReadOnlyScopes and WriteScopes are the two token kinds of the CLI.
var (
	ReadOnlyScopes = []Scope{ScopeRead}
	WriteScopes    = []Scope{ScopeRead, ScopePublishNew, ScopePublishUpdate, ScopeYank, ScopeChangeOwners}
)

// FormatScopes is the stored form of a scope list.
func FormatScopes(s []Scope) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}

// ParseScopes reads the stored form; unknown scopes are kept (and grant nothing).
func ParseScopes(s string) []Scope {
	var out []Scope
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, Scope(p))
		}
	}
	return out
}

// Principal is an authenticated caller.
type Principal struct {
	UserID       int64
	Login        string
	IsAdmin      bool // the user has the admin role
	TokenID      int64
	SessionID    int64 // set when the caller is a browser session (web/session); 0 for tokens
	Scopes       []Scope
	CratePattern string // "" = all crates; else a glob such as "acme-*"
}

// Has reports whether the principal's token grants scope.
func (p *Principal) Has(s Scope) bool {
	if p == nil {
		return false
	}
	return slices.Contains(p.Scopes, s) || (slices.Contains(p.Scopes, ScopeAdmin) && s != ScopeAdmin)
}

// CanWrite reports whether the token grants any mutation at all.
func (p *Principal) CanWrite() bool {
	return p.Has(ScopePublishNew) || p.Has(ScopePublishUpdate) || p.Has(ScopeYank) || p.Has(ScopeChangeOwners)
}

// ActsAsAdmin: an admin user acting through a token that can write.
func (p *Principal) ActsAsAdmin() bool {
	return p != nil && p.IsAdmin && p.CanWrite()
}

// CoversCrate reports whether the token's crate pattern admits name.
func (p *Principal) CoversCrate(name string) bool {
	if p == nil {
		return false
	}
	if p.CratePattern == "" {
		return true
	}
	ok, err := path.Match(strings.ToLower(p.CratePattern), strings.ToLower(name))
	return err == nil && ok
}

type ctxKey struct{}

// WithPrincipal stores p in ctx (request-scoped).
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal, or nil for anonymous requests.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
