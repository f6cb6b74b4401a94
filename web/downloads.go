package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

type versionDownloads struct {
	Version   string `json:"version"`
	Date      string `json:"date"`
	Downloads int64  `json:"downloads"`
}

// downloadsJSON: GET /api/v1/crates/{name}/downloads — downloads per version
// per day over the chart window (days without downloads are left out) and
// the crate's all-time total.
func (w *Web) downloadsJSON(rw http.ResponseWriter, r *http.Request) {
	series, total, err := w.reg.CrateDownloads(r.Context(), chi.URLParam(r, "name"), w.chartDays)
	if err != nil {
		status, msg := statusOf(err)
		if status >= 500 {
			w.logger.ErrorContext(r.Context(), "downloads failed", "path", r.URL.Path, "error", err)
		}
		writeJSONError(rw, status, msg)
		return
	}
	out := make([]versionDownloads, len(series))
	for i, s := range series {
		out[i] = versionDownloads{Version: s.Version, Date: s.Day, Downloads: s.Downloads}
	}
	writeJSON(rw, http.StatusOK, map[string]any{
		"version_downloads": out,
		"meta":              map[string]int64{"total": total},
	})
}
