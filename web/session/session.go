// Package session keeps browser sessions for Wharf's web pages: a signed
// cookie (wharf_session) carrying a random secret whose SHA-256 names a
// server-side session row (registry.CreateSession), with expiry, revocation
// (logout, user deactivation) and a per-session CSRF token.
//
// Middleware turns a valid cookie into an *auth.Principal (unless token
// authentication already set one); RequireCSRF refuses state-changing
// requests from cookie sessions without the session's CSRF token. Requests
// authenticated by an Authorization header are exempt: browsers never attach
// those to cross-site requests on their own.
package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/registry"
)

// Names shared with the pages.
const (
	// CookieName is the session cookie.
	CookieName = "wharf_session"
	// CSRFField is the form field that carries the CSRF token.
	CSRFField = "csrf_token"
	// CSRFHeader carries the CSRF token for scripted requests.
	CSRFHeader = "X-CSRF-Token"
	// DefaultTTL is a session's lifetime when Config.TTL is zero.
	DefaultTTL = 12 * time.Hour
)

// Config holds the manager's dependencies.
type Config struct {
	Registry *registry.Service
	Logger   *slog.Logger
	// PublicURL is REGISTRY_WEB_PUBLIC_URI; an https URL makes cookies Secure.
	PublicURL string
	// CookieSecret (REGISTRY_WEB_COOKIE_SECRET or the generated one, ≥ 32
	// bytes) keys the cookie signature: changing it ends every session.
	CookieSecret string
	// TTL is the absolute lifetime of a session; 0 means DefaultTTL.
	TTL time.Duration
	// Secure forces the Secure cookie attribute (also set for https URLs).
	Secure bool
}

// Manager creates, resolves and ends browser sessions.
type Manager struct {
	reg    *registry.Service
	logger *slog.Logger
	key    []byte
	ttl    time.Duration
	secure bool
}

// New returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.Registry == nil {
		return nil, errors.New("session: Registry is required")
	}
	if len(cfg.CookieSecret) < 32 {
		return nil, errors.New("session: CookieSecret must have at least 32 bytes")
	}
	m := &Manager{
		reg: cfg.Registry, logger: cfg.Logger, ttl: cfg.TTL,
		secure: cfg.Secure || strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"),
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	if m.ttl <= 0 {
		m.ttl = DefaultTTL
	}
	mac := hmac.New(sha256.New, []byte(cfg.CookieSecret))
	mac.Write([]byte("wharf web keys v1"))
	m.key = mac.Sum(nil)
	return m, nil
}

// MAC returns a keyed hash of value for purpose (base64url). Other web
// packages use it to sign or bind short-lived values (e.g. the OIDC login's
// browser binding) without handling the cookie secret themselves.
func (m *Manager) MAC(purpose, value string) string {
	mac := hmac.New(sha256.New, m.key)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Secure reports whether cookies get the Secure attribute.
func (m *Manager) Secure() bool { return m.secure }

// TTL is the lifetime of new sessions.
func (m *Manager) TTL() time.Duration { return m.ttl }

func (m *Manager) seal(secret string) string {
	return secret + "." + m.MAC(CookieName, secret)
}

func (m *Manager) open(value string) (string, bool) {
	secret, sig, ok := strings.Cut(value, ".")
	if !ok || secret == "" || len(value) > 256 {
		return "", false
	}
	return secret, hmac.Equal([]byte(sig), []byte(m.MAC(CookieName, secret)))
}

type infoKey struct{}

// Info returns the session of a request that Middleware authenticated by
// cookie.
func Info(r *http.Request) (registry.SessionInfo, bool) {
	info, ok := r.Context().Value(infoKey{}).(*registry.SessionInfo)
	if !ok || info == nil {
		return registry.SessionInfo{}, false
	}
	return *info, true
}

// CSRFToken is the token to embed in the page's forms as
// <input type="hidden" name="csrf_token" value="…">, or "" when the request
// has no cookie session (then RequireCSRF has nothing to check).
func CSRFToken(r *http.Request) string {
	info, _ := Info(r)
	return info.CSRFToken
}

// Middleware authenticates requests by session cookie when token
// authentication set no principal. Unknown, expired and revoked sessions and
// deactivated users continue anonymously and the cookie is cleared.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.FromContext(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(CookieName)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		secret, ok := m.open(c.Value)
		if !ok {
			m.clearCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		p, info, err := m.reg.AuthenticateSession(r.Context(), secret)
		if errors.Is(err, registry.ErrUnauthenticated) {
			m.clearCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			m.logger.ErrorContext(r.Context(), "look up session", "error", err)
			http.Error(w, "internal server error", http.StatusInternalServerError)
			return
		}
		w.Header().Add("Vary", "Cookie")
		ctx := auth.WithPrincipal(r.Context(), p)
		ctx = context.WithValue(ctx, infoKey{}, &info)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// RequireCSRF refuses POST, PUT, PATCH and DELETE requests authenticated by
// a session cookie unless they carry the session's CSRF token (form field
// csrf_token or header X-CSRF-Token): 403. Token-authenticated and anonymous
// requests pass through. Install it after Middleware.
func (m *Manager) RequireCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		p := auth.FromContext(r.Context())
		info, ok := Info(r)
		if p == nil || p.SessionID == 0 || !ok {
			next.ServeHTTP(w, r)
			return
		}
		tok := r.Header.Get(CSRFHeader)
		if tok == "" {
			tok = r.PostFormValue(CSRFField)
		}
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(info.CSRFToken)) != 1 {
			m.logger.WarnContext(r.Context(), "refused request without a valid CSRF token",
				"method", r.Method, "path", r.URL.Path, "login", p.Login)
			http.Error(w, "forbidden: missing or invalid CSRF token; reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Create starts a session for userID and sets its cookie. A session the
// request already carries is ended first (a login always gets a fresh
// session identifier).
func (m *Manager) Create(w http.ResponseWriter, r *http.Request, userID int64) error {
	m.revokeCurrent(r)
	secret, sess, err := m.reg.CreateSession(r.Context(), userID, m.ttl)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: m.seal(secret), Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(m.ttl.Seconds()), HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// Destroy ends the request's session (logout) and clears its cookie.
func (m *Manager) Destroy(w http.ResponseWriter, r *http.Request) error {
	m.clearCookie(w)
	return m.revokeCurrent(r)
}

func (m *Manager) revokeCurrent(r *http.Request) error {
	if info, ok := Info(r); ok {
		return m.reg.RevokeSession(r.Context(), info.ID)
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	secret, ok := m.open(c.Value)
	if !ok {
		return nil
	}
	_, info, err := m.reg.AuthenticateSession(r.Context(), secret)
	if err != nil {
		return nil // unknown, ended or expired: nothing to revoke
	}
	return m.reg.RevokeSession(r.Context(), info.ID)
}

func (m *Manager) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode,
	})
}
