package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/registry"
)

// cargoError is cargo's error envelope: {"errors":[{"detail":"…"}]}.
type cargoError struct {
	Errors []errorDetail `json:"errors"`
}

type errorDetail struct {
	Detail string `json:"detail"`
}

// statusTable maps error kinds to statuses, first match wins.
var statusTable = []struct {
	kind   error
	status int
}{
	{registry.ErrNotFound, http.StatusNotFound},
	{registry.ErrConflict, http.StatusConflict},
	{registry.ErrForbidden, http.StatusForbidden},
	{registry.ErrUnauthenticated, http.StatusUnauthorized},
	{registry.ErrBadRequest, http.StatusBadRequest},
	{crate.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{crate.ErrInvalid, http.StatusBadRequest},
}

// statusOf returns the HTTP status and the user-facing message for err.
// Unexpected errors become an opaque 500.
func statusOf(err error) (int, string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, "request body is larger than the limit of " + formatBytes(mbe.Limit)
	}
	for _, row := range statusTable {
		if errors.Is(err, row.kind) {
			return row.status, err.Error()
		}
	}
	return http.StatusInternalServerError, "internal server error"
}

// writeError renders err in cargo's envelope and logs unexpected errors once.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status >= 500 {
		a.logger.ErrorContext(r.Context(), "request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("request_id", requestID(r.Context())), slog.Any("error", err))
	}
	if status == http.StatusUnauthorized {
		a.challenge(w)
	}
	writeErrorMsg(w, status, msg)
}

func writeErrorMsg(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, cargoError{Errors: []errorDetail{{Detail: msg}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"detail":"internal server error"}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// challenge sets cargo's login challenge (never Basic: browsers would pop up
// a password dialog).
func (a *api) challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Cargo login_url="`+a.publicURL+`/account"`)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}
