// Package testserver runs Wharf's HTTP API in-process on a real database
// (each engine) and in-memory blob storage, for API tests and benchmarks.
package testserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api"
	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage/memory"
	"github.com/wharfhq/wharf/store"
)

// Server is a running in-process registry.
type Server struct {
	URL        string
	AdminToken string
	Registry   *registry.Service
	Store      store.Store
	Blobs      *memory.Store
	Client     *http.Client
}

// Opts tunes Start.
type Opts struct {
	PublicRead bool
	BodyLimit  int64
	// Jobs starts the River client (workers run); otherwise jobs are only
	// inserted.
	Jobs bool
}

// Start runs a registry on engine for the duration of tb.
func Start(tb testing.TB, engine string, o *Opts) *Server {
	tb.Helper()
	if o == nil {
		o = &Opts{}
	}
	if o.BodyLimit == 0 {
		o.BodyLimit = 10 << 20
	}
	ctx := context.Background()
	st := testdb.Open(tb, engine)
	blobs := memory.New()
	reg, err := registry.New(registry.Config{Store: st, Blobs: blobs, DownloadFlushInterval: time.Hour})
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
	srv.Config.Handler = api.NewRouter(api.Config{
		Registry: reg, PublicURL: "http://" + srv.Listener.Addr().String(), PublicRead: o.PublicRead,
		BodyLimit: o.BodyLimit, RegistryName: "local", Ready: st.Ping,
	})
	srv.Start()
	tb.Cleanup(srv.Close)
	return &Server{URL: srv.URL, AdminToken: token, Registry: reg, Store: st, Blobs: blobs, Client: srv.Client()}
}

// Token creates a user (if needed) and a token with scopes for it.
func (s *Server) Token(tb testing.TB, login string, scopes []auth.Scope) string {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.Store.UserGetByLogin(ctx, login); err != nil {
		if _, err := s.Registry.CreateUser(ctx, login, login+"@example.com", "", false); err != nil {
			tb.Fatal(err)
		}
	}
	secret, _, err := s.Registry.CreateToken(ctx, login, registry.TokenOpts{Name: "test", Scopes: scopes})
	if err != nil {
		tb.Fatal(err)
	}
	return secret
}

// Do sends a request with an optional raw token and returns status, headers
// and body.
func (s *Server) Do(tb testing.TB, method, path, token string, body io.Reader, hdr map[string]string) (int, http.Header, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}
