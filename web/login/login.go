// Package login serves Wharf's browser login: OpenID Connect (authorization
// code flow with PKCE, state and nonce kept server-side and bound to the
// browser, ID token verified) and, when enabled, a password form for local
// accounts (argon2id, rate-limited). Both end in a server-side session
// (web/session).
//
// Routes: GET /login, GET /login/oidc, GET <callback path> (default
// /login/callback), POST /login/local, POST /logout (CSRF-checked).
package login

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/web/session"
)

const (
	// stateCookie binds a pending OIDC login to the browser that started it.
	stateCookie = "wharf_login_state"
	// formCookie is the pre-session CSRF token of the local login form
	// (double submit: cookie and form field must match).
	formCookie = "wharf_login_csrf"
	// loginTTL bounds the time between /login/oidc and the callback.
	loginTTL = 10 * time.Minute
	// bindingPurpose keys the browser binding's MAC.
	bindingPurpose = "oidc-login-binding"
)

// Config holds the login handler's dependencies.
type Config struct {
	Registry *registry.Service
	Sessions *session.Manager
	Logger   *slog.Logger
	// PublicURL is REGISTRY_WEB_PUBLIC_URI (no trailing slash).
	PublicURL string
	// OAuth configures OIDC login; disabled unless OAuth.Enabled().
	OAuth config.OAuth
	// AdminEmails (REGISTRY_ADMIN_EMAILS): when set, exactly these e-mails
	// are admins at OIDC login (with the admin groups).
	AdminEmails []string
	// LocalLogin (REGISTRY_LOCAL_LOGIN) enables the password form.
	LocalLogin bool
	// HTTPClient talks to the provider; nil means a client with a 15 s
	// timeout.
	HTTPClient *http.Client
	// MaxFailures failed local logins per login and client address within
	// FailureWindow lock that pair out until the window ends (defaults 5,
	// 15 minutes); an address alone gets six times as many.
	MaxFailures   int
	FailureWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler serves the login routes.
type Handler struct {
	reg          *registry.Service
	sessions     *session.Manager
	logger       *slog.Logger
	oauth        config.OAuth
	provider     *provider // nil: OIDC login disabled
	policy       policy
	local        bool
	callbackPath string
	limiter      *limiter
	ipLimiter    *limiter
	startLimiter *limiter // OIDC logins started per address (each stores a row)
	now          func() time.Time
}

// New checks cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Registry == nil || cfg.Sessions == nil {
		return nil, errors.New("login: Registry and Sessions are required")
	}
	h := &Handler{
		reg: cfg.Registry, sessions: cfg.Sessions, logger: cfg.Logger, oauth: cfg.OAuth, local: cfg.LocalLogin,
		now: cfg.Now,
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = 15 * time.Minute
	}
	h.limiter = newLimiter(cfg.MaxFailures, cfg.FailureWindow, h.now)
	h.ipLimiter = newLimiter(6*cfg.MaxFailures, cfg.FailureWindow, h.now)
	h.startLimiter = newLimiter(60, time.Minute, h.now)
	if h.oauth.Enabled() {
		if h.oauth.CallbackURI == "" {
			h.oauth.CallbackURI = strings.TrimRight(cfg.PublicURL, "/") + "/login/callback"
		}
		u, err := url.Parse(h.oauth.CallbackURI)
		if err != nil || u.Path == "" || u.Path == "/" {
			return nil, errors.New("login: the OAuth callback URI needs a path, e.g. https://crates.example.com/login/callback")
		}
		h.callbackPath = u.Path
		switch h.callbackPath {
		case "/login", "/login/oidc", "/login/local", "/logout":
			return nil, fmt.Errorf("login: the OAuth callback path %s is taken by the login pages; use /login/callback", h.callbackPath)
		}
		if h.oauth.ProviderName == "" {
			h.oauth.ProviderName = "single sign-on"
		}
		if len(h.oauth.Scopes) == 0 {
			h.oauth.Scopes = []string{"openid", "email", "profile"}
		}
		if h.oauth.EmailPath == "" {
			h.oauth.EmailPath = "email"
		}
		if h.oauth.FullNamePath == "" {
			h.oauth.FullNamePath = "name"
		}
		if h.oauth.GroupsClaim == "" {
			h.oauth.GroupsClaim = "groups"
		}
		client := cfg.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 15 * time.Second}
		}
		h.provider = newProvider(h.oauth, client)
		h.policy = newPolicy(&h.oauth, cfg.AdminEmails)
	}
	return h, nil
}

// Mount adds the login routes to r. /login/oidc and the callback exist only
// with OIDC configured, /login/local only with local login enabled.
func (h *Handler) Mount(r chi.Router) {
	r.Get("/login", h.page)
	if h.provider != nil {
		r.Get("/login/oidc", h.start)
		r.Get(h.callbackPath, h.callback)
	}
	if h.local {
		r.Post("/login/local", h.localLogin)
	}
	r.With(h.sessions.RequireCSRF).Post("/logout", h.logout)
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (h *Handler) setCookie(w http.ResponseWriter, name, value, path string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: h.sessions.Secure(), SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

// page: GET /login.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	d := pageData{
		Title: "Log in", LoginForms: true, OIDC: h.provider != nil, Provider: h.oauth.ProviderName, Local: h.local,
		Next: SafeNext(r.URL.Query().Get("next")),
	}
	if p := auth.FromContext(r.Context()); p != nil && p.SessionID != 0 {
		d.User, d.CSRF = p.Login, session.CSRFToken(r)
	} else if h.local {
		d.LoginCSRF = h.formToken(w, r)
	}
	h.render(w, http.StatusOK, d)
}

// formToken returns the local form's pre-session CSRF token, setting its
// cookie when the browser has none.
func (h *Handler) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	tok := randomString()
	h.setCookie(w, formCookie, tok, "/login", 24*time.Hour)
	return tok
}

// start: GET /login/oidc sends the browser to the provider.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if blocked, d := h.startLimiter.blocked(ip); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		h.fail(w, http.StatusTooManyRequests, "Login failed", "Too many logins started from your address. Try again in "+minutes(d)+".")
		return
	}
	h.startLimiter.fail(ip)
	if err := h.provider.init(r.Context()); err != nil {
		h.logger.ErrorContext(r.Context(), "OIDC provider unavailable", "error", err)
		h.fail(w, http.StatusBadGateway, "Login unavailable", "The identity provider cannot be reached. Try again in a moment.")
		return
	}
	state, nonce, binding, verifier := randomString(), randomString(), randomString(), oauth2.GenerateVerifier()
	err := h.reg.SaveLoginState(r.Context(), state, registry.LoginState{
		Nonce: nonce, Verifier: verifier, Next: SafeNext(r.URL.Query().Get("next")),
		BrowserHash: h.sessions.MAC(bindingPurpose, binding), ExpiresAt: h.now().Add(loginTTL),
	})
	if err != nil {
		h.logger.ErrorContext(r.Context(), "save login state", "error", err)
		h.fail(w, http.StatusInternalServerError, "Login failed", "Wharf could not start the login. Try again.")
		return
	}
	h.setCookie(w, stateCookie, binding, "/", loginTTL)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, h.provider.authURL(state, nonce, verifier), http.StatusFound)
}

// callback: the provider sends the browser back with a code (or an error).
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	q := r.URL.Query()
	ls, err := h.reg.TakeLoginState(ctx, q.Get("state"))
	if errors.Is(err, registry.ErrNotFound) {
		h.logger.WarnContext(ctx, "OIDC callback with an unknown, expired or used state")
		h.fail(w, http.StatusBadRequest, "Login failed", "This login request is unknown, expired or was already used. Please start again.")
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "take login state", "error", err)
		h.fail(w, http.StatusInternalServerError, "Login failed", "Wharf could not finish the login. Try again.")
		return
	}
	c, cerr := r.Cookie(stateCookie)
	h.setCookie(w, stateCookie, "", "/", 0)
	if cerr != nil || subtle.ConstantTimeCompare([]byte(h.sessions.MAC(bindingPurpose, c.Value)), []byte(ls.BrowserHash)) != 1 {
		h.logger.WarnContext(ctx, "OIDC callback from another browser than the one that started the login")
		h.fail(w, http.StatusBadRequest, "Login failed", "This login was started in another browser or its cookie expired. Please start again.")
		return
	}
	if e := q.Get("error"); e != "" {
		h.logger.InfoContext(ctx, "identity provider refused the login", "error", e, "description", q.Get("error_description"))
		h.fail(w, http.StatusForbidden, "Login refused", "The identity provider refused the login ("+e+").")
		return
	}
	code := q.Get("code")
	if code == "" {
		h.fail(w, http.StatusBadRequest, "Login failed", "The identity provider sent no authorization code.")
		return
	}
	if err := h.provider.init(ctx); err != nil {
		h.logger.ErrorContext(ctx, "OIDC provider unavailable", "error", err)
		h.fail(w, http.StatusBadGateway, "Login unavailable", "The identity provider cannot be reached. Try again in a moment.")
		return
	}
	claims, err := h.provider.identify(ctx, code, ls.Verifier, ls.Nonce)
	if errors.Is(err, errRefused) {
		h.logger.WarnContext(ctx, "OIDC login not verified", "error", err)
		h.fail(w, http.StatusBadRequest, "Login failed", "The login could not be verified. Please start again.")
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "OIDC login", "error", err)
		h.fail(w, http.StatusBadGateway, "Login failed", "The identity provider could not be reached to finish the login. Try again.")
		return
	}
	ext, reason := h.policy.decide(identityFrom(claims, &h.oauth))
	if reason != "" {
		h.logger.InfoContext(ctx, "OIDC login refused by policy", "email", strings.ToLower(claimString(claims, h.oauth.EmailPath)), "reason", reason)
		h.fail(w, http.StatusForbidden, "Access denied", reason+" Ask an administrator if you need access.")
		return
	}
	u, created, err := h.reg.LoginExternal(ctx, ext)
	if errors.Is(err, registry.ErrForbidden) || errors.Is(err, registry.ErrBadRequest) {
		h.fail(w, http.StatusForbidden, "Access denied", err.Error())
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "log in external user", "error", err)
		h.fail(w, http.StatusInternalServerError, "Login failed", "Wharf could not finish the login. Try again.")
		return
	}
	if err := h.sessions.Create(w, r, u.ID); err != nil {
		h.logger.ErrorContext(ctx, "create session", "error", err)
		h.fail(w, http.StatusInternalServerError, "Login failed", "Wharf could not start your session. Try again.")
		return
	}
	h.logger.InfoContext(ctx, "logged in", "login", u.Login, "method", "oidc", "new_user", created)
	http.Redirect(w, r, SafeNext(ls.Next), http.StatusSeeOther)
}

func minutes(d time.Duration) string {
	n := int((d + time.Minute - 1) / time.Minute)
	if n <= 1 {
		return "a minute"
	}
	return strconv.Itoa(n) + " minutes"
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// localLogin: POST /login/local checks a local password.
func (h *Handler) localLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, http.StatusBadRequest, "Login failed", "The login form could not be read.")
		return
	}
	c, err := r.Cookie(formCookie)
	if tok := r.PostForm.Get(session.CSRFField); err != nil || tok == "" ||
		subtle.ConstantTimeCompare([]byte(tok), []byte(c.Value)) != 1 {
		h.fail(w, http.StatusForbidden, "Login failed", "The login form expired. Reload the login page and try again.")
		return
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	password := r.PostForm.Get("password")
	next := SafeNext(r.PostForm.Get("next"))
	ip := clientIP(r)
	key, ipKey := strings.ToLower(login)+"\x00"+ip, ip
	retry := func(d time.Duration) {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		h.logger.WarnContext(r.Context(), "local login rate-limited", "login", login, "ip", ip)
		h.render(w, http.StatusTooManyRequests, pageData{
			Title: "Log in", LoginForms: true, OIDC: h.provider != nil, Provider: h.oauth.ProviderName, Local: true,
			Next: next, LoginName: login, LoginCSRF: c.Value,
			Error: "Too many failed attempts. Try again in " + minutes(d) + ".",
		})
	}
	if blocked, d := h.limiter.blocked(key); blocked {
		retry(d)
		return
	}
	if blocked, d := h.ipLimiter.blocked(ipKey); blocked {
		retry(d)
		return
	}
	u, err := h.reg.VerifyPassword(r.Context(), login, password)
	switch {
	case errors.Is(err, registry.ErrUnauthenticated):
		h.limiter.fail(key)
		h.ipLimiter.fail(ipKey)
		h.logger.InfoContext(r.Context(), "local login failed", "login", login, "ip", ip)
		h.render(w, http.StatusUnauthorized, pageData{
			Title: "Log in", LoginForms: true, OIDC: h.provider != nil, Provider: h.oauth.ProviderName, Local: true,
			Next: next, LoginName: login, LoginCSRF: c.Value, Error: "Invalid login or password.",
		})
		return
	case errors.Is(err, registry.ErrForbidden):
		h.fail(w, http.StatusForbidden, "Access denied", err.Error())
		return
	case err != nil:
		h.logger.ErrorContext(r.Context(), "local login", "error", err)
		h.fail(w, http.StatusInternalServerError, "Login failed", "Wharf could not check the password. Try again.")
		return
	}
	h.limiter.reset(key)
	if err := h.sessions.Create(w, r, u.ID); err != nil {
		h.logger.ErrorContext(r.Context(), "create session", "error", err)
		h.fail(w, http.StatusInternalServerError, "Login failed", "Wharf could not start your session. Try again.")
		return
	}
	h.logger.InfoContext(r.Context(), "logged in", "login", u.Login, "method", "password")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout: POST /logout ends the session (CSRF-checked by Mount).
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sessions.Destroy(w, r); err != nil {
		h.logger.ErrorContext(r.Context(), "end session", "error", err)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
