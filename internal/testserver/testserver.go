// Package testserver runs Wharf's HTTP API in-process on a real database
// (each engine) and in-memory blob storage, for API tests and benchmarks.
package testserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage"
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
	// Handler is the router under test (api.Routes lists its routes).
	Handler http.Handler
}

// Opts tunes Start.
type Opts struct {
	PublicRead bool
	BodyLimit  int64
	// Jobs starts the River client (workers run); otherwise jobs are only
	// inserted.
	Jobs bool
	// Git serves the git index at /index.git (needs the git binary).
	Git bool
	// WrapBlobs, when set, wraps the in-memory blob store the registry
	// uses (e.g. to inject storage failures); Server.Blobs stays the
	// unwrapped store.
	WrapBlobs func(storage.Store) storage.Store
	// Logger receives the registry's and the API's logs; nil discards.
	Logger *slog.Logger
}

// Start runs a registry on engine for the duration of tb.
func Start(tb testing.TB, engine string, o *Opts) *Server {
	tb.Helper()
	if o == nil {
		o = &Opts{}
	}
	return StartMounted(tb, engine, &MountOpts{Opts: *o})
}

// startGit opens a git index repository in a temporary directory, logs
// config.json and returns the smart-HTTP handler (which syncs the
// repository from the change log before each GET).
func startGit(tb testing.TB, reg *registry.Service, publicURL string, o *Opts) http.Handler {
	tb.Helper()
	ctx := context.Background()
	if err := reg.EnsureIndexConfig(ctx, crate.ConfigJSON(publicURL, !o.PublicRead)); err != nil {
		tb.Fatal(err)
	}
	repo, err := index.Open(index.Config{
		Dir: filepath.Join(tb.TempDir(), "index.git"), ConfigJSON: []byte("{}\n"), Logger: o.Logger,
	})
	if err != nil {
		tb.Fatal(err)
	}
	reg.EnableGitIndex(registry.GitIndexConfig{Repo: repo})
	return reg.GitHTTPHandler("/index.git")
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

// User creates login if it does not exist yet, with the admin role as
// given (an existing user is left as it is).
func (s *Server) User(tb testing.TB, login string, admin bool) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.Store.UserGetByLogin(ctx, login); err == nil {
		return
	}
	if _, err := s.Registry.CreateUser(ctx, login, login+"@example.com", "", admin); err != nil {
		tb.Fatal(err)
	}
}

// TokenWith creates a token for login (created, not admin, if needed) with
// any registry.TokenOpts: scopes (nil = write scopes), crate pattern,
// expiry. It returns the secret and the stored token (for RevokeToken).
func (s *Server) TokenWith(tb testing.TB, login string, o registry.TokenOpts) (string, store.APIToken) {
	tb.Helper()
	s.User(tb, login, false)
	if o.Name == "" {
		o.Name = "test"
	}
	secret, tok, err := s.Registry.CreateToken(context.Background(), login, o)
	if err != nil {
		tb.Fatal(err)
	}
	return secret, tok
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
