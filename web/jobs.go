package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// River UI is mounted at /admin/jobs behind the admin check. Its page gets
// two additions in <head>, before River UI's own (deferred) module script: a
// meta tag with the session's CSRF token and static/jobs.js, which adds the
// token to River UI's state-changing fetches. So its actions pass the same
// CSRF check as every form, and other sites are refused by sameOrigin.

// adminJobsUI: /admin/jobs/* — River UI (admins only).
func (w *Web) adminJobsUI(rw http.ResponseWriter, r *http.Request) {
	if w.jobsUI == nil {
		http.NotFound(rw, r)
		return
	}
	iw := &injectWriter{ResponseWriter: rw, head: w.jobsHead(r)}
	w.jobsUI.ServeHTTP(iw, r)
	iw.finish()
}

func (w *Web) jobsHead(r *http.Request) []byte {
	return []byte(`<meta name="wharf-csrf" content="` + template.HTMLEscapeString(w.csrfToken(r)) + `">` +
		`<script src="` + w.assets.url("jobs.js") + `"></script>`)
}

// injectWriter buffers HTML responses and inserts head right after <head>;
// everything else passes through untouched.
type injectWriter struct {
	http.ResponseWriter
	head   []byte
	status int
	html   bool
	buf    bytes.Buffer
}

func (iw *injectWriter) WriteHeader(status int) {
	if iw.status != 0 {
		return
	}
	iw.status = status
	iw.html = status == http.StatusOK && strings.HasPrefix(iw.Header().Get("Content-Type"), "text/html")
	if !iw.html {
		iw.ResponseWriter.WriteHeader(status)
	}
}

func (iw *injectWriter) Write(p []byte) (int, error) {
	if iw.status == 0 {
		iw.WriteHeader(http.StatusOK)
	}
	if iw.html {
		return iw.buf.Write(p)
	}
	return iw.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (iw *injectWriter) Unwrap() http.ResponseWriter { return iw.ResponseWriter }

func (iw *injectWriter) finish() {
	if !iw.html {
		return
	}
	body := iw.buf.Bytes()
	if i := bytes.Index(body, []byte("<head>")); i >= 0 {
		i += len("<head>")
		body = append(body[:i:i], append(append([]byte{}, iw.head...), body[i:]...)...)
	}
	h := iw.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	iw.ResponseWriter.WriteHeader(iw.status)
	_, _ = iw.ResponseWriter.Write(body)
}
