package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/store"
)

type accountPage struct {
	base
	User      *store.User
	Tokens    []tokenView
	Scopes    []scopeChoice
	Form      tokenForm
	Created   *createdToken
	CargoConf string
	MinDate   string
}

type tokenView struct {
	store.APIToken
	Status string // active, revoked, expired
}

type scopeChoice struct {
	Scope       string
	Description string
	Allowed     bool
}

type tokenForm struct {
	Name         string
	Scopes       map[string]bool
	CratePattern string
	Expires      string
}

// createdToken is shown once, right after creation.
type createdToken struct {
	Name   string
	Secret string
	Login  string // cargo login command
	Config string
	Env    string // environment variable form, for CI
}

var scopeDescriptions = map[auth.Scope]string{
	auth.ScopeRead:          "download crates and read the index",
	auth.ScopePublishNew:    "publish crates that do not exist yet",
	auth.ScopePublishUpdate: "publish new versions of crates you own",
	auth.ScopeYank:          "yank and unyank versions",
	auth.ScopeChangeOwners:  "add and remove owners, manage crates",
}

func tokenViews(tokens []store.APIToken, now time.Time) []tokenView {
	out := make([]tokenView, len(tokens))
	for i, t := range tokens {
		status := "active"
		switch {
		case t.RevokedAt != nil:
			status = "revoked"
		case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
			status = "expired"
		}
		out[i] = tokenView{APIToken: t, Status: status}
	}
	// Newest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// me: GET /me, where `cargo login` sends people.
func (w *Web) me(rw http.ResponseWriter, r *http.Request) {
	http.Redirect(rw, r, "/account", http.StatusFound)
}

// account: GET /account — the user's tokens and the cargo configuration.
func (w *Web) account(rw http.ResponseWriter, r *http.Request) {
	w.renderAccount(rw, r, http.StatusOK, tokenForm{Scopes: map[string]bool{string(auth.ScopeRead): true}}, nil, "")
}

func (w *Web) renderAccount(rw http.ResponseWriter, r *http.Request, status int, form tokenForm, created *createdToken, errMsg string) {
	ctx := r.Context()
	p := auth.FromContext(r.Context())
	data := accountPage{
		base: w.base(r, "Account", "account"), Form: form, Created: created,
		CargoConf: cargoConfig(w.registryName, w.publicURL),
		MinDate:   w.now().UTC().AddDate(0, 0, 1).Format(time.DateOnly),
	}
	data.Error = errMsg
	if u, err := w.reg.GetUserByLogin(ctx, p.Login); err == nil {
		data.User = &u
	}
	tokens, err := w.reg.ListTokens(ctx, p.Login)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	data.Tokens = tokenViews(tokens, w.now())
	for _, s := range registry.UserScopes {
		data.Scopes = append(data.Scopes, scopeChoice{Scope: string(s), Description: scopeDescriptions[s], Allowed: p.Has(s)})
	}
	w.render(rw, r, status, "account", data)
}

// parseExpiry reads an optional YYYY-MM-DD date: the token expires at the
// end of that day (UTC).
func parseExpiry(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("the expiry date %q is not a date (YYYY-MM-DD)", s)
	}
	end := d.AddDate(0, 0, 1)
	return &end, nil
}

// accountCreateToken: POST /account/tokens.
func (w *Web) accountCreateToken(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		w.renderError(rw, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	p := auth.FromContext(r.Context())
	form := tokenForm{
		Name: r.PostForm.Get("name"), CratePattern: r.PostForm.Get("crate_pattern"), Expires: r.PostForm.Get("expires"),
		Scopes: map[string]bool{},
	}
	var scopes []auth.Scope
	for _, s := range r.PostForm["scope"] {
		scopes = append(scopes, auth.Scope(s))
		form.Scopes[s] = true
	}
	expires, err := parseExpiry(form.Expires)
	if err != nil {
		w.renderAccount(rw, r, http.StatusBadRequest, form, nil, err.Error())
		return
	}
	secret, tok, err := w.reg.CreateOwnToken(r.Context(), p, registry.TokenOpts{
		Name: form.Name, Scopes: scopes, CratePattern: form.CratePattern, ExpiresAt: expires,
	})
	if err != nil {
		status, msg := statusOf(err)
		if status >= 500 || status == http.StatusUnauthorized {
			w.fail(rw, r, err)
			return
		}
		w.renderAccount(rw, r, status, form, nil, msg)
		return
	}
	created := w.createdToken(tok.Name, secret)
	w.renderAccount(rw, r, http.StatusOK, tokenForm{Scopes: map[string]bool{string(auth.ScopeRead): true}}, created, "")
}

func (w *Web) createdToken(name, secret string) *createdToken {
	envName := "CARGO_REGISTRIES_" + strings.ToUpper(strings.ReplaceAll(w.registryName, "-", "_")) + "_TOKEN"
	return &createdToken{
		Name: name, Secret: secret,
		Login:  fmt.Sprintf("echo %s | cargo login --registry %s", secret, w.registryName),
		Config: cargoConfig(w.registryName, w.publicURL),
		Env:    envName + "=" + secret,
	}
}

// accountRevokeToken: POST /account/tokens/{id}/revoke.
func (w *Web) accountRevokeToken(rw http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		w.renderError(rw, r, http.StatusNotFound, "No such token.")
		return
	}
	p := auth.FromContext(r.Context())
	if p.Login == registry.ServiceLogin {
		w.renderError(rw, r, http.StatusForbidden, "Registry tokens are managed by administrators.")
		return
	}
	if err := w.reg.RevokeToken(r.Context(), p.Login, id); err != nil {
		w.fail(rw, r, err)
		return
	}
	redirectDone(rw, r, "/account", "token-revoked")
}
