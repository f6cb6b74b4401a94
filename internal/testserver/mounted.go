package testserver

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/memory"
)

// MountFunc builds the router hooks (api.Config.Middlewares and Mounts) for
// a running registry whose public URL is publicURL.
type MountFunc func(tb testing.TB, reg *registry.Service, publicURL string) ([]func(http.Handler) http.Handler, []func(chi.Router))

// MountOpts tunes StartMounted.
type MountOpts struct {
	Opts
	// Now is the registry's clock; nil means time.Now.
	Now func() time.Time
	// Listener serves the registry (e.g. one whose address an OIDC test
	// provider already knows as a redirect URI); nil listens on a free
	// 127.0.0.1 port.
	Listener net.Listener
	// Mount adds middlewares and routes (web session, login, UI).
	Mount MountFunc
}

// StartMounted is Start (same Opts) with router hooks, a clock and an
// optional listener: the in-process API plus whatever Mount adds.
func StartMounted(tb testing.TB, engine string, o *MountOpts) *Server {
	tb.Helper()
	if o == nil {
		o = &MountOpts{}
	}
	if o.BodyLimit == 0 {
		o.BodyLimit = 10 << 20
	}
	ctx := context.Background()
	st := testdb.Open(tb, engine)
	blobs := memory.New()
	var regBlobs storage.Store = blobs
	if o.WrapBlobs != nil {
		regBlobs = o.WrapBlobs(blobs)
	}
	reg, err := registry.New(registry.Config{
		Store: st, Blobs: regBlobs, Logger: o.Logger, DownloadFlushInterval: time.Hour, Now: o.Now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = reg.Close(context.Background()) })
	if err := st.InitJobs(jobs.Config(reg)); err != nil {
		tb.Fatal(err)
	}
	if o.Jobs {
		if err := st.Jobs().Start(ctx); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = st.Jobs().Stop(context.Background()) })
	}
	token, err := reg.Bootstrap(ctx, "admin")
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	if o.Listener != nil {
		_ = srv.Listener.Close()
		srv.Listener = o.Listener
	}
	publicURL := "http://" + srv.Listener.Addr().String()
	cfg := api.Config{
		Registry: reg, Logger: o.Logger, PublicURL: publicURL, PublicRead: o.PublicRead,
		BodyLimit: o.BodyLimit, RegistryName: "local", Ready: st.Ping,
	}
	if o.Git {
		cfg.Git = startGit(tb, reg, publicURL, &o.Opts)
	}
	if o.Mount != nil {
		cfg.Middlewares, cfg.Mounts = o.Mount(tb, reg, publicURL)
	}
	srv.Config.Handler = api.NewRouter(cfg)
	srv.Start()
	tb.Cleanup(srv.Close)
	return &Server{
		URL: srv.URL, AdminToken: token, Registry: reg, Store: st, Blobs: blobs, Client: srv.Client(),
		Handler: srv.Config.Handler,
	}
}
