// Package web is Wharf's browser UI: server-rendered html/template pages
// (home and search, crate pages with sanitised READMEs and download charts,
// the account page for tokens, administration) plus the download statistics
// JSON endpoint and River UI mounted behind the admin check.
//
// Every asset is embedded and served by Wharf itself: nothing is loaded from
// another origin, and every page carries a strict Content-Security-Policy.
// Identity (sessions, login, CSRF tokens) belongs to web/session and
// web/login; this package only reads the principal from the request context
// (auth.FromContext) and uses the CSRF hooks it is given.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/registry"
)

// Config holds the UI's dependencies.
type Config struct {
	Registry *registry.Service
	Logger   *slog.Logger
	// PublicURL is the registry's public base URL (no trailing slash); every
	// cargo snippet is built from it.
	PublicURL string
	// RegistryName is the cargo registry name used in snippets
	// (REGISTRY_SELF_LOCAL_NAME).
	RegistryName string
	// PublicRead lets anonymous visitors browse crates (REGISTRY_PUBLIC_READ).
	PublicRead bool
	// CSRFToken returns the token to embed in forms as the hidden field
	// csrf_token (session.CSRFToken). Nil embeds an empty token.
	CSRFToken func(r *http.Request) string
	// RequireCSRF guards every state-changing request
	// ((*session.Manager).RequireCSRF). Whether or not it is set, unsafe
	// requests from another origin (Origin or Sec-Fetch-Site) are refused.
	RequireCSRF func(next http.Handler) http.Handler
	// RequireRead guards the download statistics JSON endpoint like the
	// other read routes of the cargo API (api.RequireRead). Required.
	RequireRead func(next http.Handler) http.Handler
	// JobsUI is River UI, already started, built with the prefix
	// "/admin/jobs"; it is mounted there behind the admin check. Nil shows a
	// page saying the job UI is not available.
	JobsUI http.Handler
	// LoginPath is where anonymous browsers are sent ("/login" by default),
	// with ?next= the page they asked for.
	LoginPath string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ChartDays is the download chart's window; 0 means 90.
	ChartDays int
}

// Web serves the UI.
type Web struct {
	reg          *registry.Service
	logger       *slog.Logger
	publicURL    string
	publicOrigin string
	registryName string
	publicRead   bool
	csrfToken    func(r *http.Request) string
	requireCSRF  func(next http.Handler) http.Handler
	requireRead  func(next http.Handler) http.Handler
	jobsUI       http.Handler
	loginPath    string
	now          func() time.Time
	chartDays    int
	pages        *pageSet
	assets       *assetSet
	readmes      *readmeCache
}

// New checks cfg and parses the templates.
func New(cfg Config) (*Web, error) {
	if cfg.Registry == nil {
		return nil, errors.New("web: Registry is required")
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("web: PublicURL %q is not an absolute URL", cfg.PublicURL)
	}
	w := &Web{
		reg: cfg.Registry, logger: cfg.Logger, publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		publicOrigin: u.Scheme + "://" + u.Host, registryName: cfg.RegistryName, publicRead: cfg.PublicRead,
		csrfToken: cfg.CSRFToken, requireCSRF: cfg.RequireCSRF, requireRead: cfg.RequireRead, jobsUI: cfg.JobsUI,
		loginPath: cfg.LoginPath, now: cfg.Now, chartDays: cfg.ChartDays,
	}
	if w.logger == nil {
		w.logger = slog.New(slog.DiscardHandler)
	}
	if w.registryName == "" {
		w.registryName = "wharf"
	}
	if w.loginPath == "" {
		w.loginPath = "/login"
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.chartDays <= 0 {
		w.chartDays = 90
	}
	if w.csrfToken == nil {
		w.csrfToken = func(*http.Request) string { return "" }
	}
	if w.requireCSRF == nil {
		w.requireCSRF = func(next http.Handler) http.Handler { return next }
	}
	if w.requireRead == nil {
		return nil, errors.New("web: Config.RequireRead is required (api.RequireRead)")
	}
	w.readmes = newReadmeCache(256)
	if w.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if w.pages, err = parsePages(w.funcs()); err != nil {
		return nil, err
	}
	return w, nil
}

// Mount adds the UI's routes to r (the API router, whose middlewares have
// already put the principal in the request context).
func (w *Web) Mount(r chi.Router) {
	r.Get("/static/*", w.static)
	r.Get("/favicon.ico", w.favicon)

	r.With(w.requireRead).Get("/api/v1/crates/{name}/downloads", w.downloadsJSON)

	r.Group(func(r chi.Router) {
		r.Use(w.pageHeaders, w.sameOrigin, w.requireCSRF)
		r.Group(func(r chi.Router) {
			r.Use(w.requireBrowse)
			r.Get("/", w.home)
			r.Get("/search", w.home)
			r.Get("/crates/{name}", w.cratePage)
			r.Get("/crates/{name}/{version}", w.cratePage)
		})
		r.Group(func(r chi.Router) {
			r.Use(w.requireUser)
			r.Get("/me", w.me)
			r.Get("/account", w.account)
			r.Post("/account/tokens", w.accountCreateToken)
			r.Post("/account/tokens/{id}/revoke", w.accountRevokeToken)
		})
		r.Group(func(r chi.Router) {
			r.Use(w.requireUser, w.requireAdmin)
			r.Get("/admin", w.adminHome)
			r.Get("/admin/users", w.adminUsers)
			r.Post("/admin/users/{login}/roles", w.adminUserRoles)
			r.Post("/admin/users/{login}/active", w.adminUserActive)
			r.Get("/admin/crates", w.adminCrates)
			r.Get("/admin/crates/{name}", w.adminCrate)
			r.Post("/admin/crates/{name}/owners", w.adminCrateOwners)
			r.Post("/admin/crates/{name}/deprecated", w.adminCrateDeprecated)
			r.Post("/admin/crates/{name}/allow-version-removal", w.adminCrateAllowRemoval)
			r.Post("/admin/crates/{name}/versions/{version}/remove", w.adminCrateRemoveVersion)
			r.Get("/admin/tokens", w.adminTokens)
			r.Post("/admin/tokens", w.adminCreateToken)
			r.Post("/admin/tokens/{id}/revoke", w.adminRevokeToken)
			r.Get("/admin/jobs", w.adminJobs)
		})
	})
	// River UI sets its own pages up; it only gets the admin check, the
	// same-origin check for its JSON actions and a CSP that fits it.
	r.Group(func(r chi.Router) {
		r.Use(w.jobsHeaders, w.sameOrigin, w.requireUser, w.requireAdmin)
		r.Handle("/admin/jobs/*", http.HandlerFunc(w.adminJobsUI))
	})
}
