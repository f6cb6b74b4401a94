// Package oidctest runs a real OpenID provider in-process for tests: the
// example OP of github.com/zitadel/oidc/v3 (discovery, PKCE, signed ID
// tokens, single-use codes, userinfo) with its HTML login form.
//
// The example OP keeps its clients in a package-level registry and calls
// slog.SetDefault when given a logger, so there is one provider per test
// binary (Zitadel starts it once) and every OAuth client is registered
// before it serves: Zitadel pre-registers a pool of clients, each with a
// redirect URI on a listener reserved for the relying party under test
// (Client hands them out). Serve Wharf on Client().Listener, e.g. with
// testserver.MountOpts.Listener.
package oidctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/text/language"
)

// Users known to the provider (all with Password).
const (
	Username = "test-user@localhost"
	Email    = "test-user@example.com"
	Name     = "Test User"

	OtherUsername = "outsider@localhost"
	OtherEmail    = "outsider@elsewhere.test"

	Password = "verysecure"

	// CallbackPath is the relying party's redirect path every pooled
	// client accepts (Wharf's default /login/callback).
	CallbackPath = "/login/callback"
	// ClientSecret is the secret of every pooled client.
	ClientSecret = "wharf-test-secret"

	poolSize = 48
)

// Provider is the running OP.
type Provider struct {
	// Issuer is http://localhost:<port> (the form's username domain).
	Issuer string

	mu      sync.Mutex
	clients []Client
}

// Client is an OAuth client registered at the provider.
type Client struct {
	ID, Secret string
	// RedirectURI is http://127.0.0.1:<port>/login/callback.
	RedirectURI string
	// PublicURL is http://127.0.0.1:<port>, the relying party's base URL.
	PublicURL string
	// Listener is bound to that port: serve the relying party on it.
	Listener net.Listener
}

var (
	once     sync.Once
	provider *Provider
	startErr error
)

// Zitadel returns the test binary's provider, starting it on first use.
func Zitadel(tb testing.TB) *Provider {
	tb.Helper()
	once.Do(func() { provider, startErr = start() })
	if startErr != nil {
		tb.Fatalf("start the zitadel example OP: %v", startErr)
	}
	return provider
}

func start() (*Provider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Provider{Issuer: fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)}
	var registered []*storage.Client
	for i := range poolSize {
		rp, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		public := "http://" + rp.Addr().String()
		c := Client{ID: fmt.Sprintf("wharf-%d", i+1), Secret: ClientSecret, RedirectURI: public + CallbackPath, PublicURL: public, Listener: rp}
		p.clients = append(p.clients, c)
		registered = append(registered, storage.WebClient(c.ID, c.Secret, c.RedirectURI))
	}
	storage.RegisterClients(registered...) // before the OP serves: no concurrent access
	st := storage.NewStorage(users{})
	// A nil logger keeps the example from replacing slog's default logger.
	router := exampleop.SetupServer(p.Issuer, st, nil, false)
	go func() { _ = http.Serve(ln, router) }() // lives as long as the test binary
	return p, nil
}

// Client hands out one of the pre-registered clients (each once).
func (p *Provider) Client(tb testing.TB) Client {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.clients) == 0 {
		tb.Fatalf("oidctest: all %d pooled clients are used; raise poolSize", poolSize)
	}
	c := p.clients[0]
	p.clients = p.clients[1:]
	return c
}

// LogIn fills the provider's login form. form is the response a browser
// got when sent to the provider (its final request URL carries the auth
// request id); the form is posted with browser, which follows the redirects
// back to the relying party. The caller closes the returned response.
func (p *Provider) LogIn(ctx context.Context, browser *http.Client, form *http.Response, username, password string) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, form.Body)
	_ = form.Body.Close()
	if form.Request == nil || !strings.HasPrefix(form.Request.URL.String(), p.Issuer+"/login/username") {
		return nil, fmt.Errorf("not the provider's login form: %d at %v", form.StatusCode, form.Request.URL)
	}
	id := form.Request.URL.Query().Get("authRequestID")
	if id == "" {
		return nil, errors.New("the login form has no authRequestID")
	}
	vals := url.Values{"username": {username}, "password": {password}, "id": {id}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Issuer+"/login/username", strings.NewReader(vals.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return browser.Do(req)
}

// users is the provider's user store.
type users struct{}

var userList = []*storage.User{
	{ID: "id1", Username: Username, Password: Password, FirstName: "Test", LastName: "User", Email: Email,
		EmailVerified: true, PreferredLanguage: language.English},
	{ID: "id2", Username: OtherUsername, Password: Password, FirstName: "Out", LastName: "Sider", Email: OtherEmail,
		EmailVerified: true, PreferredLanguage: language.English},
}

func (users) GetUserByID(id string) *storage.User {
	for _, u := range userList {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (users) GetUserByUsername(name string) *storage.User {
	for _, u := range userList {
		if u.Username == name {
			return u
		}
	}
	return nil
}

func (users) ExampleClientID() string { return storage.ServiceUserID }
