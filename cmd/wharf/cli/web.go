package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/config"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/web"
	"github.com/wharfhq/wharf/web/session"
)

// riverUIStore is implemented by both store engines once InitJobs ran.
type riverUIStore interface {
	RiverUIEndpoints() uiendpoints.Bundle
}

// webMount builds the web UI (pages, download statistics JSON, River UI at
// /admin/jobs) for api.Config.Mounts. Call it after st.InitJobs. The
// session middleware and RequireCSRF are installed for the whole router by
// identityMounts; the UI embeds session.CSRFToken in its forms.
func webMount(cfg *config.Config, reg *registry.Service, st store.Store, logger *slog.Logger) (func(chi.Router), error) {
	var jobsUI http.Handler
	if rs, ok := st.(riverUIStore); ok {
		if endpoints := rs.RiverUIEndpoints(); endpoints != nil {
			h, err := riverui.NewHandler(&riverui.HandlerOpts{
				Endpoints: endpoints, Logger: logger, Prefix: "/admin/jobs", JobListHideArgsByDefault: true,
			})
			if err != nil {
				return nil, fmt.Errorf("create River UI: %w", err)
			}
			// Its background count caches live as long as the process.
			if err := h.Start(context.Background()); err != nil {
				return nil, fmt.Errorf("start River UI: %w", err)
			}
			jobsUI = h
		}
	}
	w, err := web.New(web.Config{
		Registry: reg, Logger: logger, PublicURL: cfg.PublicURL, RegistryName: cfg.RegistryName,
		PublicRead: cfg.PublicRead, CSRFToken: session.CSRFToken, JobsUI: jobsUI,
		RequireRead: api.RequireRead(cfg.PublicURL, cfg.PublicRead, logger),
	})
	if err != nil {
		return nil, err
	}
	return w.Mount, nil
}
