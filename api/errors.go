package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/internal/transient"
	"github.com/wharfhq/wharf/registry"
)

// retryAfterSeconds is the Retry-After of 503 answers to transient
// dependency failures; cargo waits that long before its next attempt.
const retryAfterSeconds = "5"

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
// Domain errors come first; then an unreachable or timed-out database or
// storage becomes 503 (cargo retries it, honouring Retry-After); any other
// unexpected error becomes an opaque 500.
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
	if cause := transient.Classify(err); cause != transient.None {
		return http.StatusServiceUnavailable, "service temporarily unavailable: " + cause.String() + "; retry later"
	}
	return http.StatusInternalServerError, "internal server error"
}

// writeError renders err in cargo's envelope and logs unexpected errors once.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	switch {
	case status == http.StatusServiceUnavailable:
		// An outage of a dependency, not a bug: warn, and let the client retry.
		a.logger.WarnContext(r.Context(), "dependency unavailable", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("request_id", requestID(r.Context())), slog.Any("error", err))
		w.Header().Set("Retry-After", retryAfterSeconds)
	case status >= 500:
		a.logger.ErrorContext(r.Context(), "request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("request_id", requestID(r.Context())), slog.Any("error", err))
	case status == http.StatusUnauthorized:
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
