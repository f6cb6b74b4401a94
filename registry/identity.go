package registry

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/store"
)

// Identity: browser sessions, pending OIDC logins, users found by e-mail,
// roles, activation and local passwords. Nothing here knows about HTTP; the
// web/session and web/login packages drive it.

// loginStateMaxAge bounds how long an abandoned OIDC login is kept, whatever
// expiry its row says.
const loginStateMaxAge = time.Hour

// Roles are a user's registry-wide roles.
type Roles struct {
	Admin bool
	// ReadOnly users never get write scopes: their sessions and tokens can
	// only read.
	ReadOnly bool
}

// GetUser returns user id.
func (s *Service) GetUser(ctx context.Context, id int64) (store.User, error) {
	u, err := s.store.UserGetByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, errorf(ErrNotFound, "user %d does not exist", id)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// GetUserByLogin returns the user called login.
func (s *Service) GetUserByLogin(ctx context.Context, login string) (store.User, error) {
	u, err := s.store.UserGetByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, errorf(ErrNotFound, "user %s does not exist", login)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user %s: %w", login, err)
	}
	return u, nil
}

// UserByEmail returns the user with this e-mail address (case-insensitive;
// the oldest account if several share it).
func (s *Service) UserByEmail(ctx context.Context, email string) (store.User, error) {
	email = normalizeEmail(email)
	if email == "" {
		return store.User{}, errorf(ErrNotFound, "no e-mail address given")
	}
	u, err := s.store.UserGetByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, errorf(ErrNotFound, "no user has the e-mail address %s", email)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user by e-mail: %w", err)
	}
	return u, nil
}

// SetUserActive activates or deactivates user id. Deactivation revokes all
// the user's sessions in the same transaction; tokens fail from the next
// request on because Authenticate checks is_active. Reactivation does not
// bring revoked sessions back.
func (s *Service) SetUserActive(ctx context.Context, userID int64, active bool) error {
	now := s.now().UTC()
	return s.store.Tx(ctx, func(tx store.Tx) error {
		if _, err := tx.UserGetByID(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return errorf(ErrNotFound, "user %d does not exist", userID)
		} else if err != nil {
			return fmt.Errorf("get user %d: %w", userID, err)
		}
		if err := tx.UserSetActive(ctx, store.UserSetActiveParams{ID: userID, IsActive: active}); err != nil {
			return fmt.Errorf("set user %d active=%t: %w", userID, active, err)
		}
		if active {
			return nil
		}
		if _, err := tx.SessionRevokeByUser(ctx, store.SessionRevokeByUserParams{UserID: userID, RevokedAt: &now}); err != nil {
			return fmt.Errorf("revoke sessions of user %d: %w", userID, err)
		}
		return nil
	})
}

// SetUserRoles sets the admin and read-only roles of user id. They apply to
// existing sessions and tokens from the next request on.
func (s *Service) SetUserRoles(ctx context.Context, userID int64, r Roles) error {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return err
	}
	if err := s.store.UserSetRoles(ctx, store.UserSetRolesParams{ID: userID, IsAdmin: r.Admin, IsReadOnly: r.ReadOnly}); err != nil {
		return fmt.Errorf("set roles of user %d: %w", userID, err)
	}
	return nil
}

// SetPassword sets (or, with an empty password, removes) the local password
// of login. Passwords are stored as argon2id PHC strings.
func (s *Service) SetPassword(ctx context.Context, login, password string) error {
	u, err := s.GetUserByLogin(ctx, login)
	if err != nil {
		return err
	}
	if u.IsService {
		return errorf(ErrBadRequest, "user %s is a service account and cannot log in", login)
	}
	var hash *string
	if password != "" {
		h, err := auth.HashPassword(password)
		if err != nil {
			return errorf(ErrBadRequest, "%s", err.Error())
		}
		hash = &h
	}
	if err := s.store.UserSetPassword(ctx, store.UserSetPasswordParams{ID: u.ID, PasswordHash: hash}); err != nil {
		return fmt.Errorf("set password of %s: %w", login, err)
	}
	return nil
}

var (
	dummyHashOnce sync.Once
	dummyHash     string
)

// VerifyPassword checks a local login. Every failure (unknown login, no
// password set, wrong password) is the same ErrUnauthenticated error and
// costs the same argon2id computation, so the answer does not reveal which
// part was wrong. A deactivated user with the right password gets
// ErrForbidden.
func (s *Service) VerifyPassword(ctx context.Context, login, password string) (store.User, error) {
	fail := errorf(ErrUnauthenticated, "invalid login or password")
	u, err := s.store.UserGetByLogin(ctx, login)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("get user %s: %w", login, err)
	}
	encoded := ""
	if err == nil && u.PasswordHash != nil && !u.IsService {
		encoded = *u.PasswordHash
	}
	if encoded == "" {
		dummyHashOnce.Do(func() { dummyHash, _ = auth.HashPassword("wharf-dummy-password") })
		_, _ = auth.VerifyPassword(dummyHash, password)
		return store.User{}, fail
	}
	ok, err := auth.VerifyPassword(encoded, password)
	if err != nil {
		s.logger.WarnContext(ctx, "stored password hash is malformed", "login", login, "error", err)
		return store.User{}, fail
	}
	if !ok {
		return store.User{}, fail
	}
	if !u.IsActive {
		return store.User{}, errorf(ErrForbidden, "the account %s is deactivated", u.Login)
	}
	return u, nil
}

// ExternalIdentity is a person vouched for by the identity provider.
type ExternalIdentity struct {
	Email string // required; matched case-insensitively
	Name  string // full name, kept when the user has none
	// Admin and ReadOnly, when set, are the roles the provider's groups (or
	// REGISTRY_ADMIN_EMAILS) give; they are applied at every login.
	Admin, ReadOnly *bool
	// AdminIfFirst makes a new user admin when no user with an e-mail
	// address exists yet (the bootstrap admin created by `serve` has none).
	// Ignored when Admin is set.
	AdminIfFirst bool
}

// LoginExternal finds or creates the user for an identity the provider
// vouched for. Users are matched by e-mail; failing that, a user whose login
// is the e-mail's local part and who has no e-mail yet (created with `wharf
// user create LOGIN` without --email) is linked, unless that user is an
// admin or a service account. Otherwise a user is created with login = local
// part (made unique). Deactivated users get ErrForbidden. created reports a
// new account.
func (s *Service) LoginExternal(ctx context.Context, id ExternalIdentity) (u store.User, created bool, err error) {
	email := normalizeEmail(id.Email)
	if email == "" || !strings.Contains(email, "@") {
		return store.User{}, false, errorf(ErrBadRequest, "the identity provider gave no usable e-mail address")
	}
	name := strings.TrimSpace(id.Name)
	err = s.store.Tx(ctx, func(tx store.Tx) error {
		if err := tx.UserCreationLock(ctx); err != nil {
			return fmt.Errorf("lock users: %w", err)
		}
		var err error
		u, created, err = s.findOrCreateExternal(ctx, tx, email, name, id)
		if err != nil {
			return err
		}
		if !u.IsActive {
			return errorf(ErrForbidden, "the account %s is deactivated", u.Login)
		}
		if u.IsService {
			return errorf(ErrForbidden, "the account %s is a service account and cannot log in", u.Login)
		}
		roles := Roles{Admin: u.IsAdmin, ReadOnly: u.IsReadOnly}
		if id.Admin != nil {
			roles.Admin = *id.Admin
		}
		if id.ReadOnly != nil {
			roles.ReadOnly = *id.ReadOnly
		}
		if roles != (Roles{Admin: u.IsAdmin, ReadOnly: u.IsReadOnly}) {
			if err := tx.UserSetRoles(ctx, store.UserSetRolesParams{ID: u.ID, IsAdmin: roles.Admin, IsReadOnly: roles.ReadOnly}); err != nil {
				return fmt.Errorf("set roles of %s: %w", u.Login, err)
			}
			u.IsAdmin, u.IsReadOnly = roles.Admin, roles.ReadOnly
		}
		return nil
	})
	if err != nil {
		return store.User{}, false, err
	}
	return u, created, nil
}

func (s *Service) findOrCreateExternal(ctx context.Context, tx store.Tx, email, name string, id ExternalIdentity) (store.User, bool, error) {
	u, err := tx.UserGetByEmail(ctx, email)
	if err == nil {
		if u.Name == "" && name != "" {
			if err := tx.UserSetProfile(ctx, store.UserSetProfileParams{ID: u.ID, Email: u.Email, Name: name}); err != nil {
				return store.User{}, false, fmt.Errorf("set name of %s: %w", u.Login, err)
			}
			u.Name = name
		}
		return u, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, fmt.Errorf("get user by e-mail: %w", err)
	}
	base := loginFromEmail(email)
	if cand, err := tx.UserGetByLogin(ctx, base); err == nil && cand.Email == "" && !cand.IsAdmin && !cand.IsService {
		if name == "" {
			name = cand.Name
		}
		if err := tx.UserSetProfile(ctx, store.UserSetProfileParams{ID: cand.ID, Email: email, Name: name}); err != nil {
			return store.User{}, false, fmt.Errorf("link user %s: %w", cand.Login, err)
		}
		cand.Email, cand.Name = email, name
		s.logger.InfoContext(ctx, "linked login to existing user", "login", cand.Login)
		return cand, false, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, fmt.Errorf("get user %s: %w", base, err)
	}
	admin := false
	switch {
	case id.Admin != nil:
		admin = *id.Admin
	case id.AdminIfFirst:
		n, err := tx.UserCountWithEmail(ctx)
		if err != nil {
			return store.User{}, false, fmt.Errorf("count users: %w", err)
		}
		admin = n == 0
	}
	login, err := uniqueLogin(ctx, tx, base)
	if err != nil {
		return store.User{}, false, err
	}
	u, err = tx.UserInsert(ctx, store.UserInsertParams{Login: login, Email: email, Name: name, IsAdmin: admin})
	if err != nil {
		return store.User{}, false, fmt.Errorf("insert user %s: %w", login, err)
	}
	s.logger.InfoContext(ctx, "created user from login", "login", login, "admin", admin)
	return u, true, nil
}

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// loginFromEmail turns an e-mail's local part into a valid login.
func loginFromEmail(email string) string {
	local, _, _ := strings.Cut(email, "@")
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	b := []byte(local)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	login := strings.TrimLeft(string(b), "_.-")
	if len(login) > 56 {
		login = login[:56]
	}
	if login == "" {
		login = "user"
	}
	return login
}

func uniqueLogin(ctx context.Context, tx store.Tx, base string) (string, error) {
	free := func(login string) (bool, error) {
		_, err := tx.UserGetByLogin(ctx, login)
		if errors.Is(err, store.ErrNotFound) {
			return true, nil
		}
		return false, err
	}
	for i := 1; i <= 20; i++ {
		login := base
		if i > 1 {
			login = base + "-" + strconv.Itoa(i)
		}
		ok, err := free(login)
		if err != nil {
			return "", fmt.Errorf("check login %s: %w", login, err)
		}
		if ok {
			return login, nil
		}
	}
	for range 5 {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		login := base + "-" + hex.EncodeToString(b)
		if ok, err := free(login); err != nil {
			return "", fmt.Errorf("check login %s: %w", login, err)
		} else if ok {
			return login, nil
		}
	}
	return "", errorf(ErrConflict, "cannot find a free login for %s", base)
}

// sessionScopes are the scopes of a browser session: everything a write
// token has (plus admin for admins), or read only for read-only users.
func sessionScopes(admin, readOnly bool) []auth.Scope {
	if readOnly {
		return slices.Clone(auth.ReadOnlyScopes)
	}
	s := slices.Clone(auth.WriteScopes)
	if admin {
		s = append(s, auth.ScopeAdmin)
	}
	return s
}

// readOnlyScopes drops every scope but read (for read-only users' tokens).
func readOnlyScopes(scopes []auth.Scope) []auth.Scope {
	if slices.Contains(scopes, auth.ScopeRead) || slices.Contains(scopes, auth.ScopeAdmin) {
		return []auth.Scope{auth.ScopeRead}
	}
	return nil
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateSession starts a browser session for user id, valid for ttl. It
// returns the secret for the cookie (only its SHA-256 is stored) and the
// session row (with its CSRF token).
func (s *Service) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, store.Session, error) {
	if ttl <= 0 {
		return "", store.Session{}, errors.New("session ttl must be positive")
	}
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return "", store.Session{}, err
	}
	if !u.IsActive {
		return "", store.Session{}, errorf(ErrForbidden, "the account %s is deactivated", u.Login)
	}
	if u.IsService {
		return "", store.Session{}, errorf(ErrForbidden, "the account %s is a service account and cannot log in", u.Login)
	}
	secret, err := randomSecret()
	if err != nil {
		return "", store.Session{}, err
	}
	csrf, err := randomSecret()
	if err != nil {
		return "", store.Session{}, err
	}
	now := s.now().UTC()
	if _, err := s.store.SessionDeleteExpired(ctx, store.SessionDeleteExpiredParams{
		ExpiredBefore: now, RevokedBefore: ptr(now.Add(-time.Hour)),
	}); err != nil {
		s.logger.WarnContext(ctx, "delete expired sessions", "error", err)
	}
	sess, err := s.store.SessionInsert(ctx, store.SessionInsertParams{
		TokenHash: auth.HashToken(secret), UserID: userID, CsrfToken: csrf, CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
	if err != nil {
		return "", store.Session{}, fmt.Errorf("insert session: %w", err)
	}
	return secret, sess, nil
}

func ptr[T any](v T) *T { return &v }

// SessionInfo is what a valid session cookie resolves to.
type SessionInfo struct {
	ID        int64
	CSRFToken string
	ExpiresAt time.Time
}

// AuthenticateSession resolves a session cookie secret. Unknown, expired and
// revoked sessions and deactivated users get ErrUnauthenticated. The
// principal has the write scopes (plus admin for admins), or only read for
// read-only users.
func (s *Service) AuthenticateSession(ctx context.Context, secret string) (*auth.Principal, SessionInfo, error) {
	if secret == "" {
		return nil, SessionInfo{}, errorf(ErrUnauthenticated, "no session")
	}
	row, err := s.store.SessionGetByHash(ctx, auth.HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, SessionInfo{}, errorf(ErrUnauthenticated, "unknown session")
	}
	if err != nil {
		return nil, SessionInfo{}, fmt.Errorf("look up session: %w", err)
	}
	switch {
	case row.RevokedAt != nil:
		return nil, SessionInfo{}, errorf(ErrUnauthenticated, "this session has ended")
	case !s.now().Before(row.ExpiresAt):
		return nil, SessionInfo{}, errorf(ErrUnauthenticated, "this session expired")
	case !row.IsActive:
		return nil, SessionInfo{}, errorf(ErrUnauthenticated, "user %s is deactivated", row.Login)
	}
	p := &auth.Principal{
		UserID: row.UserID, Login: row.Login, IsAdmin: row.IsAdmin && !row.IsReadOnly, SessionID: row.ID,
		Scopes: sessionScopes(row.IsAdmin, row.IsReadOnly),
	}
	return p, SessionInfo{ID: row.ID, CSRFToken: row.CsrfToken, ExpiresAt: row.ExpiresAt}, nil
}

// RevokeSession ends session id (logout). Revoking an ended session is not
// an error.
func (s *Service) RevokeSession(ctx context.Context, id int64) error {
	now := s.now().UTC()
	if _, err := s.store.SessionRevoke(ctx, store.SessionRevokeParams{ID: id, RevokedAt: &now}); err != nil {
		return fmt.Errorf("revoke session %d: %w", id, err)
	}
	return nil
}

// RevokeUserSessions ends every session of user id and returns how many
// were live.
func (s *Service) RevokeUserSessions(ctx context.Context, userID int64) (int64, error) {
	now := s.now().UTC()
	n, err := s.store.SessionRevokeByUser(ctx, store.SessionRevokeByUserParams{UserID: userID, RevokedAt: &now})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// ListSessions lists the live sessions of user id, newest first.
func (s *Service) ListSessions(ctx context.Context, userID int64) ([]store.Session, error) {
	return s.store.SessionListByUser(ctx, store.SessionListByUserParams{UserID: userID, Now: s.now().UTC()})
}

// LoginState is a pending OIDC login, kept server-side between the redirect
// to the provider and its callback.
type LoginState struct {
	Nonce    string
	Verifier string // PKCE code verifier
	Next     string // local path to return to
	// BrowserHash binds the login to the browser that started it (a keyed
	// hash of a cookie value).
	BrowserHash string
	ExpiresAt   time.Time
}

// SaveLoginState stores a pending login under state (only its SHA-256 is
// kept) and forgets abandoned ones.
func (s *Service) SaveLoginState(ctx context.Context, state string, ls LoginState) error {
	if state == "" || ls.Nonce == "" || ls.Verifier == "" || ls.BrowserHash == "" {
		return errors.New("login state: state, nonce, verifier and browser binding are required")
	}
	now := s.now().UTC()
	if _, err := s.store.LoginStateDeleteExpired(ctx, store.LoginStateDeleteExpiredParams{
		Now: now, CreatedBefore: now.Add(-loginStateMaxAge),
	}); err != nil {
		s.logger.WarnContext(ctx, "delete expired login states", "error", err)
	}
	err := s.store.LoginStateInsert(ctx, store.LoginStateInsertParams{
		StateHash: auth.HashToken(state), Nonce: ls.Nonce, Verifier: ls.Verifier, NextPath: ls.Next,
		BrowserHash: ls.BrowserHash, CreatedAt: now, ExpiresAt: ls.ExpiresAt.UTC(),
	})
	if err != nil {
		return fmt.Errorf("insert login state: %w", err)
	}
	return nil
}

// TakeLoginState returns and deletes the pending login for state, so a
// state (and its callback) can be used once. Unknown, used and expired
// states get ErrNotFound.
func (s *Service) TakeLoginState(ctx context.Context, state string) (LoginState, error) {
	gone := errorf(ErrNotFound, "this login request is unknown, expired or was already used")
	if state == "" {
		return LoginState{}, gone
	}
	row, err := s.store.LoginStateTake(ctx, auth.HashToken(state))
	if errors.Is(err, store.ErrNotFound) {
		return LoginState{}, gone
	}
	if err != nil {
		return LoginState{}, fmt.Errorf("take login state: %w", err)
	}
	if !s.now().Before(row.ExpiresAt) {
		return LoginState{}, gone
	}
	return LoginState{
		Nonce: row.Nonce, Verifier: row.Verifier, Next: row.NextPath, BrowserHash: row.BrowserHash, ExpiresAt: row.ExpiresAt,
	}, nil
}
