package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/auth"
)

// publish: PUT /api/v1/crates/new.
func (a *api) publish(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, a.bodyLimit)
	res, err := a.reg.Publish(r.Context(), auth.FromContext(r.Context()), body)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	warnings := map[string][]string{"invalid_categories": {}, "invalid_badges": {}, "other": res.Warnings}
	if res.Warnings == nil {
		warnings["other"] = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"warnings": warnings})
}

// yank: DELETE /api/v1/crates/{name}/{version}/yank.
func (a *api) yank(w http.ResponseWriter, r *http.Request) { a.setYanked(w, r, true) }

// unyank: PUT /api/v1/crates/{name}/{version}/unyank.
func (a *api) unyank(w http.ResponseWriter, r *http.Request) { a.setYanked(w, r, false) }

func (a *api) setYanked(w http.ResponseWriter, r *http.Request, yanked bool) {
	err := a.reg.SetYanked(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "name"), chi.URLParam(r, "version"), yanked)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

type searchCrate struct {
	Name        string  `json:"name"`
	MaxVersion  string  `json:"max_version"`
	Description *string `json:"description"`
	Downloads   int64   `json:"downloads"`
}

// search: GET /api/v1/crates?q=&per_page=&page=.
func (a *api) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	page, _ := strconv.Atoi(q.Get("page"))
	res, err := a.reg.Search(r.Context(), q.Get("q"), perPage, page)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	crates := make([]searchCrate, len(res.Crates))
	for i, c := range res.Crates {
		crates[i] = searchCrate{Name: c.Name, MaxVersion: c.MaxVersion, Description: c.Description, Downloads: c.Downloads}
	}
	writeJSON(w, http.StatusOK, map[string]any{"crates": crates, "meta": map[string]int64{"total": res.Total}})
}

// download: GET /api/v1/crates/{name}/{version}/download. The stored bytes
// are streamed untouched and never labelled with a Content-Encoding.
func (a *api) download(w http.ResponseWriter, r *http.Request) {
	d, err := a.reg.Download(r.Context(), chi.URLParam(r, "name"), chi.URLParam(r, "version"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	defer d.Body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", itoa(d.Size))
	h.Set("ETag", `"`+d.Checksum+`"`)
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, d.Body)
	}
}
