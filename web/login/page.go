package login

import (
	"html/template"
	"net/http"
)

// pageData fills the one page template (login page and error pages).
type pageData struct {
	Title   string
	Error   string
	Message string
	// Login page only.
	LoginForms bool
	User       string // logged-in login, if any
	CSRF       string // session CSRF token (logout form)
	LoginCSRF  string // pre-session token of the local login form
	OIDC       bool
	Provider   string
	Local      bool
	Next       string
	LoginName  string // refilled after a failed local login
	Back       bool   // link back to the login page
}

var pageTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — Wharf</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:26em;margin:4em auto;background:#fff;padding:2em;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4em;margin-top:0}
.error{background:#fdecea;color:#8a1c12;padding:.6em .8em;border-radius:4px}
a.button,button{display:inline-block;background:#2456c9;color:#fff;border:0;border-radius:4px;padding:.6em 1.1em;font-size:1em;text-decoration:none;cursor:pointer}
label{display:block;margin:.8em 0 .2em}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5em;font-size:1em;border:1px solid #bbb;border-radius:4px}
form.local{margin-top:1.5em;border-top:1px solid #ddd;padding-top:1em}
form.local button{margin-top:1em}
</style></head>
<body><main>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .LoginForms}}
{{if .User}}
<p>You are logged in as <strong>{{.User}}</strong>.</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{.CSRF}}"><button type="submit">Log out</button></form>
{{else}}
{{if .OIDC}}<p><a class="button" href="/login/oidc?next={{.Next}}">Log in with {{.Provider}}</a></p>{{end}}
{{if .Local}}
<form class="local" method="post" action="/login/local">
<input type="hidden" name="csrf_token" value="{{.LoginCSRF}}">
<input type="hidden" name="next" value="{{.Next}}">
<label for="login">Login</label>
<input type="text" id="login" name="login" value="{{.LoginName}}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
{{end}}
{{if not (or .OIDC .Local)}}<p>No interactive login is configured on this registry. Ask an administrator for a
token (<code>wharf token create --user LOGIN</code>).</p>{{end}}
{{end}}
{{end}}
{{if .Back}}<p><a href="/login">Back to the login page</a></p>{{end}}
</main></body></html>
`))

func (h *Handler) render(w http.ResponseWriter, status int, d pageData) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, d); err != nil {
		h.logger.Error("render login page", "error", err)
	}
}

// fail shows an error page with a link back to the login page.
func (h *Handler) fail(w http.ResponseWriter, status int, title, msg string) {
	h.render(w, status, pageData{Title: title, Error: msg, Back: true})
}
