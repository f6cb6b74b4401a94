// Package api is Wharf's HTTP layer: the cargo sparse index, the cargo web
// API and small support pages. Handlers decode, call one registry method and
// encode; errors go through one writer in cargo's envelope.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/wharfhq/wharf/registry"
)

// Config holds the router's dependencies.
type Config struct {
	Registry     *registry.Service
	Logger       *slog.Logger
	PublicURL    string // no trailing slash
	PublicRead   bool
	BodyLimit    int64
	RegistryName string
	// SparseDisabled turns the sparse protocol off (config.json stays).
	SparseDisabled bool
	// Git serves the git index at /index.git when not nil.
	Git http.Handler
	// Middlewares run after token authentication on every route (e.g. the
	// web session middleware, which sets the principal from a cookie).
	Middlewares []func(http.Handler) http.Handler
	// Mounts add routes (web UI, login) to the router. When any is given,
	// the built-in /me and /account pages are left to them.
	Mounts []func(chi.Router)
	// Ready reports whether dependencies are reachable (for /readyz).
	Ready func(ctx context.Context) error
}

type api struct {
	reg          *registry.Service
	logger       *slog.Logger
	publicURL    string
	publicRead   bool
	bodyLimit    int64
	registryName string
	ready        func(ctx context.Context) error
	noSparse     bool
}

// NewRouter builds the HTTP handler.
func NewRouter(cfg Config) http.Handler {
	a := &api{
		reg: cfg.Registry, logger: cfg.Logger, publicURL: cfg.PublicURL, publicRead: cfg.PublicRead,
		bodyLimit: cfg.BodyLimit, registryName: cfg.RegistryName, ready: cfg.Ready, noSparse: cfg.SparseDisabled,
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	r := chi.NewRouter()
	r.Use(withRequestID, a.recoverer, a.logRequests, middleware.GetHead, a.authenticate)
	for _, mw := range cfg.Middlewares {
		r.Use(mw)
	}
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) { writeErrorMsg(w, http.StatusNotFound, "not found") })
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		writeErrorMsg(w, http.StatusMethodNotAllowed, "method not allowed")
	})

	r.Get("/healthz", a.healthz)
	r.Get("/readyz", a.readyz)
	if len(cfg.Mounts) == 0 {
		r.Get("/me", a.mePage)
		r.Get("/account", a.mePage)
	}
	for _, mount := range cfg.Mounts {
		mount(r)
	}

	r.Group(func(r chi.Router) {
		r.Use(a.requireRead)
		r.Get("/index/config.json", a.indexConfig)
		r.Get("/index/*", a.indexFile)
		r.Get("/api/v1/crates", a.search)
		r.Get("/api/v1/crates/{name}/{version}/download", a.download)
		r.Get("/api/v1/crates/{name}/owners", a.listOwners)
	})
	if cfg.Git != nil {
		r.Group(func(r chi.Router) {
			r.Use(a.requireReadGit)
			r.Handle("/index.git", cfg.Git)
			r.Handle("/index.git/*", cfg.Git)
		})
	}
	r.Put("/api/v1/crates/new", a.publish)
	r.Delete("/api/v1/crates/{name}/{version}/yank", a.yank)
	r.Put("/api/v1/crates/{name}/{version}/unyank", a.unyank)
	r.Put("/api/v1/crates/{name}/owners", a.addOwners)
	r.Delete("/api/v1/crates/{name}/owners", a.removeOwners)
	r.Get("/api/v1/me", a.me)
	return r
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
