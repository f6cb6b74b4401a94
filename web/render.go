package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/registry"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// base is what the layout needs on every page.
type base struct {
	Title        string
	Nav          string // active navigation entry
	Principal    *auth.Principal
	Admin        bool
	CSRF         string
	Query        string
	Notice       string
	Error        string
	RegistryName string
	PublicURL    string
	LoginPath    string
	PublicRead   bool
}

func (w *Web) base(r *http.Request, title, nav string) base {
	p := auth.FromContext(r.Context())
	return base{
		Title: title, Nav: nav, Principal: p, Admin: isAdmin(p), CSRF: w.csrfToken(r),
		RegistryName: w.registryName, PublicURL: w.publicURL, LoginPath: w.loginPath, PublicRead: w.publicRead,
		Notice: notices[r.URL.Query().Get("done")],
	}
}

// notices are the messages shown after a successful form post (the
// redirect names one by key, so no text is ever reflected).
var notices = map[string]string{
	"token-revoked":   "The token was revoked.",
	"roles":           "The roles were updated.",
	"active":          "The user was reactivated.",
	"inactive":        "The user was deactivated; their sessions were ended.",
	"owner-added":     "The owner was added.",
	"owner-removed":   "The owner was removed.",
	"deprecated":      "The crate is now marked deprecated.",
	"undeprecated":    "The crate is no longer deprecated.",
	"removal-on":      "Versions of this crate may now be removed.",
	"removal-off":     "Versions of this crate can no longer be removed.",
	"version-removed": "The version was removed; the index was updated.",
}

type pageSet struct {
	pages map[string]*template.Template
}

var pageNames = []string{
	"home", "crate", "account", "admin", "admin_users", "admin_crates", "admin_crate", "admin_tokens",
	"admin_jobs", "error",
}

func parsePages(funcs template.FuncMap) (*pageSet, error) {
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		ps.pages[name] = t
	}
	return ps, nil
}

// render writes page name with data (which embeds base). Templates are
// executed into a buffer so a failure never leaves half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := w.pages.pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		w.logger.ErrorContext(r.Context(), "render page", slog.String("page", name), slog.Any("error", err))
		http.Error(rw, "internal server error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = rw.Write(buf.Bytes())
}

type errorPage struct {
	base
	Status  int
	Message string
}

func (w *Web) renderError(rw http.ResponseWriter, r *http.Request, status int, msg string) {
	if rw.Header().Get("Content-Security-Policy") == "" {
		rw.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		securityHeaders(rw.Header())
	}
	w.render(rw, r, status, "error", errorPage{base: w.base(r, http.StatusText(status), ""), Status: status, Message: msg})
}

// statusOf maps registry errors to a status and the message to show;
// unexpected errors are a 500 with a generic message.
func statusOf(err error) (int, string) {
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, registry.ErrConflict):
		return http.StatusConflict, err.Error()
	case errors.Is(err, registry.ErrForbidden):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, registry.ErrUnauthenticated):
		return http.StatusUnauthorized, err.Error()
	case errors.Is(err, registry.ErrBadRequest), errors.Is(err, crate.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusInternalServerError, "Something went wrong on the server. The error was logged."
}

// fail renders err as an error page (anonymous callers go to the login page).
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status == http.StatusUnauthorized {
		w.loginRedirect(rw, r)
		return
	}
	if status >= 500 {
		w.logger.ErrorContext(r.Context(), "page failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	w.renderError(rw, r, status, msg)
}

// redirectDone answers a successful form post (Post/Redirect/Get).
func redirectDone(rw http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		to += "?done=" + done
	}
	http.Redirect(rw, r, to, http.StatusSeeOther)
}

// writeJSON and writeJSONError serve the JSON endpoint; errors use cargo's
// envelope like the rest of /api/v1.
func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"detail":"internal server error"}]}`)
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}

func writeJSONError(rw http.ResponseWriter, status int, msg string) {
	writeJSON(rw, status, map[string]any{"errors": []map[string]string{{"detail": msg}}})
}

// assetSet is the embedded static files with their content hashes.
type assetSet struct {
	files map[string][]byte
	hash  map[string]string
}

func loadAssets() (*assetSet, error) {
	a := &assetSet{files: map[string][]byte{}, hash: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		a.files[name], a.hash[name] = b, hex.EncodeToString(sum[:])[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load assets: %w", err)
	}
	return a, nil
}

// url is an asset's versioned URL: it changes with the content, so the
// asset can be cached for good.
func (a *assetSet) url(name string) string {
	h, ok := a.hash[name]
	if !ok {
		panic("web: unknown asset " + name)
	}
	return "/static/" + name + "?v=" + h
}

// static serves /static/{name}.
func (w *Web) static(rw http.ResponseWriter, r *http.Request) {
	w.serveAsset(rw, r, chi.URLParam(r, "*"))
}

func (w *Web) favicon(rw http.ResponseWriter, r *http.Request) { w.serveAsset(rw, r, "favicon.svg") }

func (w *Web) serveAsset(rw http.ResponseWriter, r *http.Request, name string) {
	b, ok := w.assets.files[name]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	etag := `"` + w.assets.hash[name] + `"`
	h.Set("ETag", etag)
	if r.URL.Query().Get("v") == w.assets.hash[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == etag {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(b)
	}
}

func (w *Web) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":    func(name string) string { return w.assets.url(name) },
		"date":     func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago":      func(t time.Time) string { return ago(w.now(), t) },
		"num":      formatNum,
		"size":     formatSize,
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		"derefTime": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
		"join":        strings.Join,
		"splitScopes": func(s string) []string { return strings.Split(s, ",") },
		"has":         func(p *auth.Principal, s string) bool { return p.Has(auth.Scope(s)) },
		"add":         func(a, b int) int { return a + b },
	}
}

// formatNum writes n with thousands separators.
func formatNum(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// ago is a coarse relative time ("3 days ago").
func ago(now, t time.Time) string {
	d := now.Sub(t)
	unit := func(n int64, word string) string {
		if n == 1 {
			return "1 " + word + " ago"
		}
		return strconv.FormatInt(n, 10) + " " + word + "s ago"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d < 60*24*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d < 730*24*time.Hour:
		return unit(int64(d/(30*24*time.Hour)), "month")
	}
	return unit(int64(d/(365*24*time.Hour)), "year")
}
