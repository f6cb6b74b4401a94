package registry

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/store"
)

var loginRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// CreateUser adds a user. Logins are what cargo owner commands use.
func (s *Service) CreateUser(ctx context.Context, login, email, name string, admin bool) (store.User, error) {
	if !loginRE.MatchString(login) {
		return store.User{}, errorf(ErrBadRequest, "invalid login %q: use letters, digits, '.', '_' or '-' (at most 64)", login)
	}
	if _, err := s.store.UserGetByLogin(ctx, login); err == nil {
		return store.User{}, errorf(ErrConflict, "user %s already exists", login)
	}
	u, err := s.store.UserInsert(ctx, store.UserInsertParams{Login: login, Email: email, Name: name, IsAdmin: admin})
	if err != nil {
		return store.User{}, fmt.Errorf("insert user %s: %w", login, err)
	}
	return u, nil
}

// TokenOpts describes a new token.
type TokenOpts struct {
	Name         string
	Scopes       []auth.Scope
	CratePattern string
	ExpiresAt    *time.Time
}

// CreateToken issues a token for login and returns its secret (shown once).
func (s *Service) CreateToken(ctx context.Context, login string, o TokenOpts) (string, store.APIToken, error) {
	u, err := s.store.UserGetByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		return "", store.APIToken{}, errorf(ErrNotFound, "user %s does not exist", login)
	}
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("get user %s: %w", login, err)
	}
	if len(o.Scopes) == 0 {
		o.Scopes = auth.WriteScopes
	}
	if o.Name == "" {
		o.Name = "token"
	}
	secret, hash, err := auth.NewToken()
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("generate token: %w", err)
	}
	var pattern *string
	if o.CratePattern != "" {
		pattern = &o.CratePattern
	}
	t, err := s.store.TokenInsert(ctx, store.TokenInsertParams{
		UserID: u.ID, Name: o.Name, TokenHash: hash, TokenPrefix: auth.DisplayPrefix(secret),
		Scopes: auth.FormatScopes(o.Scopes), CratePattern: pattern, ExpiresAt: o.ExpiresAt, CreatedAt: s.now().UTC(),
	})
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("insert token for %s: %w", login, err)
	}
	return secret, t, nil
}

// ListTokens lists login's tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context, login string) ([]store.APIToken, error) {
	u, err := s.store.UserGetByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(ErrNotFound, "user %s does not exist", login)
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", login, err)
	}
	return s.store.TokenListByUser(ctx, u.ID)
}

// RevokeToken revokes token id of login.
func (s *Service) RevokeToken(ctx context.Context, login string, id int64) error {
	toks, err := s.ListTokens(ctx, login)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.ID == id {
			now := s.now().UTC()
			n, err := s.store.TokenRevoke(ctx, store.TokenRevokeParams{ID: id, RevokedAt: &now})
			if err != nil {
				return fmt.Errorf("revoke token %d: %w", id, err)
			}
			if n == 0 {
				return errorf(ErrConflict, "token %d is already revoked", id)
			}
			return nil
		}
	}
	return errorf(ErrNotFound, "user %s has no token %d", login, id)
}

// Authenticate resolves a credential to a principal. Failures carry a clear
// message (revoked, expired, deactivated) and ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	row, err := s.store.TokenGetByHash(ctx, auth.HashToken(cred.Secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(ErrUnauthenticated, "invalid token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	now := s.now().UTC()
	switch {
	case cred.Login != "" && cred.Login != row.Login:
		return nil, errorf(ErrUnauthenticated, "invalid token")
	case row.RevokedAt != nil:
		return nil, errorf(ErrUnauthenticated, "this token has been revoked")
	case row.ExpiresAt != nil && !now.Before(*row.ExpiresAt):
		return nil, errorf(ErrUnauthenticated, "this token expired on %s", row.ExpiresAt.UTC().Format(time.RFC3339))
	case !row.IsActive:
		return nil, errorf(ErrUnauthenticated, "user %s is deactivated", row.Login)
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > time.Minute {
		stale := now.Add(-time.Minute)
		if err := s.store.TokenTouch(ctx, store.TokenTouchParams{ID: row.ID, LastUsedAt: &now, StaleBefore: &stale}); err != nil {
			s.logger.WarnContext(ctx, "record token use", "error", err)
		}
	}
	p := &auth.Principal{
		UserID: row.UserID, Login: row.Login, IsAdmin: row.IsAdmin, TokenID: row.ID,
		Scopes: auth.ParseScopes(row.Scopes),
	}
	if row.CratePattern != nil {
		p.CratePattern = *row.CratePattern
	}
	if row.IsReadOnly { // read-only users' tokens never write, whatever they say
		p.Scopes = readOnlyScopes(p.Scopes)
	}
	return p, nil
}

// Bootstrap creates the first admin user and a write token when the registry
// has no users. It returns "" when users already exist.
func (s *Service) Bootstrap(ctx context.Context, login string) (string, error) {
	n, err := s.store.UserCount(ctx)
	if err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	if _, err := s.CreateUser(ctx, login, "", "Administrator", true); err != nil {
		return "", err
	}
	secret, _, err := s.CreateToken(ctx, login, TokenOpts{Name: "bootstrap"})
	return secret, err
}
