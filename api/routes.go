package api

import (
	"cmp"
	"errors"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"
)

// Route is one method and pattern a router built by NewRouter serves.
// Patterns are chi's ("/api/v1/crates/{name}/owners", "/index/*").
type Route struct {
	Method  string
	Pattern string
}

// Routes lists the routes of h, a handler returned by NewRouter, sorted by
// pattern then method. Catch-all handlers (r.Handle) appear once per
// method. Tests use it to check that every route has an authorization rule.
func Routes(h http.Handler) ([]Route, error) {
	rs, ok := h.(chi.Routes)
	if !ok {
		return nil, errors.New("api: handler was not built by NewRouter")
	}
	var out []Route
	err := chi.Walk(rs, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, Route{Method: method, Pattern: pattern})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Route) int {
		return cmp.Or(cmp.Compare(a.Pattern, b.Pattern), cmp.Compare(a.Method, b.Method))
	})
	return slices.Compact(out), nil
}
