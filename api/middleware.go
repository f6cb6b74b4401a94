package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/registry"
)

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func (a *api) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.logger.ErrorContext(r.Context(), "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())),
					slog.String("request_id", requestID(r.Context())))
				writeErrorMsg(w, http.StatusInternalServerError, "internal server error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (a *api) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		if !a.logger.Enabled(r.Context(), slog.LevelDebug) && ww.Status() < 400 {
			return
		}
		a.logger.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", ww.Status()), slog.Duration("duration", time.Since(start)),
			slog.String("request_id", requestID(r.Context())))
	})
}

// authenticate resolves the Authorization header. A header that is present
// but invalid is refused at once (cargo then says "token rejected").
func (a *api) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, ok, err := auth.ParseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			a.writeError(w, r, &registry.Error{Kind: registry.ErrUnauthenticated, Msg: "malformed Authorization header"})
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.reg.Authenticate(r.Context(), cred)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// requireRead enforces REGISTRY_PUBLIC_READ for index, download and search.
func (a *api) requireRead(next http.Handler) http.Handler { return a.readGuard(next, false) }

// requireReadGit is requireRead for git clients: they need a Basic
// challenge to send credentials (login + token, e.g. from a credential
// helper).
func (a *api) requireReadGit(next http.Handler) http.Handler { return a.readGuard(next, true) }

func (a *api) readGuard(next http.Handler, git bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.publicRead {
			next.ServeHTTP(w, r)
			return
		}
		p := auth.FromContext(r.Context())
		if p == nil && git {
			w.Header().Set("WWW-Authenticate", `Basic realm="wharf index", charset="UTF-8"`)
			writeErrorMsg(w, http.StatusUnauthorized, "authentication required: use your login and a token")
			return
		}
		if p == nil {
			a.writeError(w, r, &registry.Error{Kind: registry.ErrUnauthenticated,
				Msg: "this registry requires authentication: create a token at " + a.publicURL + "/account"})
			return
		}
		if !p.Has(auth.ScopeRead) {
			a.writeError(w, r, &registry.Error{Kind: registry.ErrForbidden, Msg: "this token cannot read the registry"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireRead is the read policy of the cargo routes (REGISTRY_PUBLIC_READ,
// the read scope, cargo's 401 challenge), for routes mounted elsewhere such
// as the web UI's download-statistics JSON.
func RequireRead(publicURL string, publicRead bool, logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &api{publicURL: publicURL, publicRead: publicRead, logger: logger}
	return a.requireRead
}
