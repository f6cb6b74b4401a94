package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/store"
)

// ServiceLogin is the login of the built-in user that owns registry-wide
// (CI) tokens. It cannot be produced by CreateUser (logins start with a
// letter or digit), has no email and no password, and its tokens are
// read-only.
const ServiceLogin = "@registry"

// UserScopes are the scopes a user may put on a token from the web UI.
var UserScopes = []auth.Scope{
	auth.ScopeRead, auth.ScopePublishNew, auth.ScopePublishUpdate, auth.ScopeYank, auth.ScopeChangeOwners,
}

var cratePatternRE = regexp.MustCompile(`^[A-Za-z0-9_*?-]{1,64}$`)

const maxTokenName = 64

func validateTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errorf(ErrBadRequest, "a token needs a name")
	}
	if utf8.RuneCountInString(name) > maxTokenName {
		return "", errorf(ErrBadRequest, "token names have at most %d characters", maxTokenName)
	}
	return name, nil
}

func (s *Service) validateExpiry(expiresAt *time.Time) error {
	if expiresAt != nil && !expiresAt.After(s.now()) {
		return errorf(ErrBadRequest, "the expiry date must be in the future")
	}
	return nil
}

// CreateOwnToken issues a token to the user behind p (the account page) and
// returns its secret, shown once. A principal cannot mint more than it has:
// every requested scope must be one p holds, and a principal limited to a
// crate pattern can only create tokens with that pattern.
func (s *Service) CreateOwnToken(ctx context.Context, p *auth.Principal, o TokenOpts) (string, store.APIToken, error) {
	if p == nil {
		return "", store.APIToken{}, errorf(ErrUnauthenticated, "creating a token requires signing in")
	}
	if p.Login == ServiceLogin {
		return "", store.APIToken{}, errorf(ErrForbidden, "registry tokens are created by administrators")
	}
	name, err := validateTokenName(o.Name)
	if err != nil {
		return "", store.APIToken{}, err
	}
	o.Name = name
	if len(o.Scopes) == 0 {
		return "", store.APIToken{}, errorf(ErrBadRequest, "choose at least one scope")
	}
	for _, sc := range o.Scopes {
		if !slices.Contains(UserScopes, sc) {
			return "", store.APIToken{}, errorf(ErrBadRequest, "unknown scope %q", sc)
		}
		if !p.Has(sc) {
			return "", store.APIToken{}, errorf(ErrForbidden, "you cannot grant the %s scope: your own access does not include it", sc)
		}
	}
	o.CratePattern = strings.TrimSpace(o.CratePattern)
	if o.CratePattern != "" {
		if !cratePatternRE.MatchString(o.CratePattern) {
			return "", store.APIToken{}, errorf(ErrBadRequest, "invalid crate pattern %q: use crate-name characters and * or ?, e.g. acme-*", o.CratePattern)
		}
		if _, err := path.Match(o.CratePattern, ""); err != nil {
			return "", store.APIToken{}, errorf(ErrBadRequest, "invalid crate pattern %q", o.CratePattern)
		}
	}
	if p.CratePattern != "" && o.CratePattern != p.CratePattern {
		return "", store.APIToken{}, errorf(ErrForbidden, "your access is limited to crates matching %q: new tokens must use that pattern", p.CratePattern)
	}
	if err := s.validateExpiry(o.ExpiresAt); err != nil {
		return "", store.APIToken{}, err
	}
	secret, t, err := s.CreateToken(ctx, p.Login, o)
	if err != nil {
		return "", store.APIToken{}, err
	}
	s.logger.InfoContext(ctx, "token created", slog.String("login", p.Login), slog.Int64("token_id", t.ID),
		slog.String("scopes", t.Scopes))
	return secret, t, nil
}

// serviceUser returns the built-in owner of registry-wide tokens, creating
// it on first use.
func (s *Service) serviceUser(ctx context.Context) (store.User, error) {
	u, err := s.store.UserGetByLogin(ctx, ServiceLogin)
	if errors.Is(err, store.ErrNotFound) {
		u, err = s.store.UserInsertService(ctx, store.UserInsertServiceParams{Login: ServiceLogin, Name: "Registry tokens"})
		if errors.Is(err, store.ErrNotFound) { // created concurrently
			u, err = s.store.UserGetByLogin(ctx, ServiceLogin)
		}
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get service user: %w", err)
	}
	if !u.IsService {
		return store.User{}, fmt.Errorf("user %s exists but is not the service user", ServiceLogin)
	}
	return u, nil
}

// CreateServiceToken issues a registry-wide read-only token that belongs to
// no person (for CI) and returns its secret, shown once (admins only).
func (s *Service) CreateServiceToken(ctx context.Context, actor *auth.Principal, name string, expiresAt *time.Time) (string, store.APIToken, error) {
	if err := requireAdmin(actor); err != nil {
		return "", store.APIToken{}, err
	}
	name, err := validateTokenName(name)
	if err != nil {
		return "", store.APIToken{}, err
	}
	if err := s.validateExpiry(expiresAt); err != nil {
		return "", store.APIToken{}, err
	}
	if _, err := s.serviceUser(ctx); err != nil {
		return "", store.APIToken{}, err
	}
	secret, t, err := s.CreateToken(ctx, ServiceLogin, TokenOpts{Name: name, Scopes: auth.ReadOnlyScopes, ExpiresAt: expiresAt})
	if err != nil {
		return "", store.APIToken{}, err
	}
	s.logger.InfoContext(ctx, "registry token created", slog.Int64("token_id", t.ID), slog.String("user", actor.Login))
	return secret, t, nil
}

// ListServiceTokens lists the registry-wide tokens (admins only).
func (s *Service) ListServiceTokens(ctx context.Context, actor *auth.Principal) ([]store.APIToken, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	u, err := s.store.UserGetByLogin(ctx, ServiceLogin)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get service user: %w", err)
	}
	return s.store.TokenListByUser(ctx, u.ID)
}

// RevokeServiceToken revokes registry-wide token id (admins only).
func (s *Service) RevokeServiceToken(ctx context.Context, actor *auth.Principal, id int64) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := s.RevokeToken(ctx, ServiceLogin, id); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "registry token revoked", slog.Int64("token_id", id), slog.String("user", actor.Login))
	return nil
}
