package web

import (
	"net/http"
	"net/url"

	"github.com/wharfhq/wharf/auth"
)

// contentSecurityPolicy is sent with every page: only this origin's own
// scripts, styles and images (plus data: images), no plugins, no <base>,
// no framing.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// pageHeaders sets the CSP and the other security headers on every page.
func (w *Web) pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		securityHeaders(h)
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(rw, r)
	})
}

// jobsHeaders is pageHeaders for River UI. Its React components set
// element styles from script, which style-src 'self' allows (CSSOM), but a
// few of its libraries insert <style> elements, hence 'unsafe-inline' for
// styles only; scripts stay 'self'.
func (w *Web) jobsHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Security-Policy", jobsContentSecurityPolicy)
		securityHeaders(h)
		next.ServeHTTP(rw, r)
	})
}

const jobsContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin refuses state-changing requests sent by another site: a
// browser says so with Sec-Fetch-Site, or with an Origin that is neither the
// public URL's nor the request's own. It backs up the CSRF token check (and
// is the only check for River UI's JSON actions).
func (w *Web) sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !safeMethod(r.Method) && !w.fromSameOrigin(r) {
			w.renderError(rw, r, http.StatusForbidden, "This request came from another site and was refused.")
			return
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *Web) fromSameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if origin == w.publicOrigin {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host && (u.Scheme == "http" || u.Scheme == "https")
}

// loginRedirect sends a browser to the login page, to come back to the page
// it asked for (GET) or to the page a form was posted from.
func (w *Web) loginRedirect(rw http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if !safeMethod(r.Method) {
		next = "/account"
	}
	http.Redirect(rw, r, w.loginPath+"?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// requireBrowse lets anyone browse a public-read registry; otherwise a
// principal with the read scope is needed and anonymous browsers are sent to
// the login page (never a Basic challenge).
func (w *Web) requireBrowse(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.publicRead {
			next.ServeHTTP(rw, r)
			return
		}
		p := auth.FromContext(r.Context())
		if p == nil {
			w.loginRedirect(rw, r)
			return
		}
		if !p.Has(auth.ScopeRead) {
			w.renderError(rw, r, http.StatusForbidden, "Your access does not include reading this registry.")
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// requireUser sends anonymous browsers to the login page.
func (w *Web) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if auth.FromContext(r.Context()) == nil {
			w.loginRedirect(rw, r)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// requireAdmin answers 403 to signed-in users without the admin role.
func (w *Web) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !isAdmin(auth.FromContext(r.Context())) {
			w.renderError(rw, r, http.StatusForbidden, "This page is for administrators.")
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// isAdmin: an administrator acting through a session or a token that can
// write (registry.requireAdmin applies the same rule).
func isAdmin(p *auth.Principal) bool { return p.ActsAsAdmin() }
