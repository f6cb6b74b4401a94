package api

import (
	"html/template"
	"net/http"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/registry"
)

func (a *api) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	if a.ready != nil {
		if err := a.ready(r.Context()); err != nil {
			a.logger.WarnContext(r.Context(), "not ready", "error", err)
			writeErrorMsg(w, http.StatusServiceUnavailable, "not ready")
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// me: GET /api/v1/me, the caller's identity.
func (a *api) me(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	if p == nil {
		a.writeError(w, r, &registry.Error{Kind: registry.ErrUnauthenticated, Msg: "no token given"})
		return
	}
	scopes := make([]string, len(p.Scopes))
	for i, s := range p.Scopes {
		scopes[i] = string(s)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": p.UserID, "login": p.Login, "is_admin": p.IsAdmin, "scopes": scopes, "crate_pattern": p.CratePattern,
	})
}

var mePageTmpl = template.Must(template.New("me").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wharf — tokens</title></head>
<body style="font-family:sans-serif;max-width:46em;margin:2em auto">
<h1>Wharf</h1>
<p>Tokens are created by an administrator with
<code>wharf token create --user LOGIN [--read-only]</code>.</p>
<p>Cargo configuration (<code>~/.cargo/config.toml</code>):</p>
<pre>[registries.{{.Name}}]
index = "sparse+{{.URL}}/index/"
credential-provider = "cargo:token"</pre>
<p>Then run <code>cargo login --registry {{.Name}}</code> and paste the token.</p>
</body></html>
`))

// mePage is where cargo login sends users (login_url and {api}/me).
func (a *api) mePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_ = mePageTmpl.Execute(w, map[string]string{"Name": a.registryName, "URL": a.publicURL})
}
