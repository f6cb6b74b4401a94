package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/registry"
)

// indexConfig serves config.json; auth-required mirrors the read policy.
func (a *api) indexConfig(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(crate.ConfigJSON(a.publicURL, !a.publicRead))
}

// indexFile serves one sparse index file. The path is never mapped to a file:
// it must be exactly the index path of a valid crate name, else a plain 404.
func (a *api) indexFile(w http.ResponseWriter, r *http.Request) {
	if a.noSparse {
		http.Error(w, "the sparse index protocol is disabled on this registry", http.StatusNotFound)
		return
	}
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/index/")
	name, err := crate.ParseIndexPath(raw)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	inm := r.Header.Get("If-None-Match")
	ims := r.Header.Get("If-Modified-Since")
	if inm != "" || ims != "" {
		meta, err := a.reg.IndexFileMeta(r.Context(), name)
		if err != nil {
			a.indexError(w, r, err)
			return
		}
		if notModified(meta, inm, ims) {
			setIndexHeaders(w, meta)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	f, err := a.reg.IndexFile(r.Context(), name)
	if err != nil {
		a.indexError(w, r, err)
		return
	}
	setIndexHeaders(w, f)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", itoa(int64(len(f.Content))))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.Content)
	}
}

func (a *api) indexError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, registry.ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	a.writeError(w, r, err)
}

func setIndexHeaders(w http.ResponseWriter, f *registry.IndexFile) {
	h := w.Header()
	h.Set("ETag", f.ETag)
	h.Set("Last-Modified", f.Modified.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "no-cache")
}

// notModified applies RFC 9110: If-None-Match wins when present; otherwise
// If-Modified-Since compares at one-second precision.
func notModified(f *registry.IndexFile, inm, ims string) bool {
	if inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || tag == f.ETag {
				return true
			}
		}
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !f.Modified.Truncate(time.Second).After(t)
}
