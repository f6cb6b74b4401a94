package login

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/wharfhq/wharf/config"
)

// provider talks to the OpenID provider. Discovery happens on first use
// (and is retried after a failure), so Wharf starts while the provider is
// down.
type provider struct {
	cfg    config.OAuth
	client *http.Client

	mu          sync.Mutex
	ready       bool
	oauth2      oauth2.Config
	verifier    *oidc.IDTokenVerifier // nil: explicit endpoints without a JWKS URI
	userinfoURL string
}

func newProvider(cfg config.OAuth, client *http.Client) *provider {
	return &provider{cfg: cfg, client: client}
}

// ctx carries the HTTP client for go-oidc and x/oauth2.
func (p *provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.client)
}

func (p *provider) init(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready {
		return nil
	}
	o := p.cfg
	p.oauth2 = oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.CallbackURI, Scopes: o.Scopes}
	// Keys are fetched later with this context's client; it must outlive
	// the request.
	bg := p.ctx(context.WithoutCancel(ctx))
	if o.Discovery() {
		dctx, cancel := context.WithTimeout(bg, 15*time.Second)
		defer cancel()
		prov, err := oidc.NewProvider(dctx, o.Issuer)
		if err != nil {
			return fmt.Errorf("OIDC discovery at %s: %w", o.Issuer, err)
		}
		p.oauth2.Endpoint = prov.Endpoint()
		p.verifier = oidc.NewVerifier(o.Issuer, oidc.NewRemoteKeySet(bg, jwksURL(prov)), &oidc.Config{ClientID: o.ClientID})
		p.userinfoURL = prov.UserInfoEndpoint()
	} else {
		p.oauth2.Endpoint = oauth2.Endpoint{AuthURL: o.LoginURI, TokenURL: o.TokenURI}
		if o.JWKSURI != "" {
			p.verifier = oidc.NewVerifier(o.Issuer, oidc.NewRemoteKeySet(bg, o.JWKSURI), &oidc.Config{ClientID: o.ClientID})
		}
		p.userinfoURL = o.UserinfoURI
	}
	p.ready = true
	return nil
}

func jwksURL(prov *oidc.Provider) string {
	var c struct {
		JWKS string `json:"jwks_uri"`
	}
	_ = prov.Claims(&c)
	return c.JWKS
}

// authURL is where the browser goes to log in: authorization code flow
// with PKCE (S256) and a nonce.
func (p *provider) authURL(state, nonce, verifier string) string {
	return p.oauth2.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// errRefused wraps failures where the provider or its answer was wrong or
// replayed (shown as 400), as opposed to the provider being unreachable.
var errRefused = errors.New("login refused")

// identify exchanges the code, verifies the ID token (signature, issuer,
// audience, expiry, nonce) and reads userinfo. It returns the merged claims:
// the ID token's, completed by userinfo's.
func (p *provider) identify(ctx context.Context, code, verifier, nonce string) (map[string]any, error) {
	ctx = p.ctx(ctx)
	tok, err := p.oauth2.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%w: the provider refused the authorization code (%s)", errRefused, re.ErrorCode)
		}
		return nil, fmt.Errorf("exchange the authorization code: %w", err)
	}
	claims := map[string]any{}
	subject := ""
	if p.verifier != nil {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return nil, fmt.Errorf("%w: the provider returned no ID token", errRefused)
		}
		idt, err := p.verifier.Verify(ctx, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: invalid ID token: %v", errRefused, err)
		}
		if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
			return nil, fmt.Errorf("%w: the ID token's nonce does not match this login", errRefused)
		}
		if err := idt.Claims(&claims); err != nil {
			return nil, fmt.Errorf("%w: read ID token claims: %v", errRefused, err)
		}
		subject = idt.Subject
	}
	if p.userinfoURL != "" {
		info, err := p.userinfo(ctx, tok)
		if err != nil {
			return nil, err
		}
		if sub, _ := info["sub"].(string); subject != "" && sub != subject {
			return nil, fmt.Errorf("%w: userinfo is about another subject than the ID token", errRefused)
		}
		for k, v := range info {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}
	return claims, nil
}

func (p *provider) userinfo(ctx context.Context, tok *oauth2.Token) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.userinfoURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("userinfo request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read userinfo: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: userinfo answered %s", errRefused, resp.Status)
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "" && ct != "application/json" {
		return nil, fmt.Errorf("%w: userinfo answered %s, not JSON", errRefused, ct)
	}
	var info map[string]any
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("%w: userinfo is not a JSON object: %v", errRefused, err)
	}
	return info, nil
}
