package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// maxRequestBody caps a git-upload-pack request body (the client's wants
// and haves), which is buffered when the client sends it chunked.
const maxRequestBody = 16 << 20

// maxStderr caps how much of git-http-backend's stderr is logged per request.
const maxStderr = 4 << 10

type remoteUserKey struct{}

// WithRemoteUser returns a context whose requests NewHTTPHandler's handler
// passes to git-http-backend as REMOTE_USER (the caller's authentication
// middleware knows the user; git only logs it).
func WithRemoteUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, remoteUserKey{}, user)
}

// httpHandler serves a Repo over git's smart HTTP protocol, read only.
type httpHandler struct {
	backend string // path of git-http-backend; "" when git is missing
	logger  *slog.Logger
	name    string // repository directory name, below root
	prefix  string
	root    string // GIT_PROJECT_ROOT: the repository's parent directory
}

// NewHTTPHandler serves repo at the URL prefix (e.g. "/index.git") for
// clone and fetch by git clients, protocol v0 and v2, through
// `git http-backend` (found with `git --exec-path`): only
// GET <prefix>/info/refs?service=git-upload-pack and
// POST <prefix>/git-upload-pack. receive-pack is refused with 403 and
// everything else — including the dumb protocol — is 404.
// Authentication is the caller's middleware's job; see WithRemoteUser.
func NewHTTPHandler(repo *Repo, prefix string, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &httpHandler{
		logger: logger,
		name:   filepath.Base(repo.Dir()),
		prefix: "/" + strings.Trim(prefix, "/"),
		root:   filepath.Dir(repo.Dir()),
	}
	if h.prefix == "/" {
		h.prefix = ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	execPath, err := gitExecPath(ctx)
	if err != nil {
		logger.Error("git index cannot be served over HTTP: git not found", slog.String("error", err.Error()))
		return h
	}
	backend := filepath.Join(execPath, "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		logger.Error("git index cannot be served over HTTP: git-http-backend not found", slog.String("error", err.Error()))
		return h
	}
	h.backend = backend
	return h
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	service := r.URL.Query().Get("service")
	switch {
	case r.Method == http.MethodGet && rest == "/info/refs" && service == "git-upload-pack":
	case r.Method == http.MethodPost && rest == "/git-upload-pack":
	case rest == "/git-receive-pack" || rest == "/info/refs" && service == "git-receive-pack":
		http.Error(w, "pushing to the index is not allowed", http.StatusForbidden)
		return
	default:
		http.NotFound(w, r)
		return
	}
	if h.backend == "" {
		http.Error(w, "git index unavailable", http.StatusServiceUnavailable)
		return
	}

	req := r.Clone(r.Context())
	// Credentials stay out of the child's environment (HTTP_AUTHORIZATION).
	req.Header.Del("Authorization")
	req.Header.Del("Cookie")
	req.Header.Del("Proxy-Authorization")
	req.URL.Path = "/" + h.name + rest
	req.URL.RawPath = ""
	if r.Method == http.MethodPost && req.ContentLength < 0 {
		// net/http/cgi refuses chunked bodies, which git sends for large
		// negotiations: buffer them.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.TransferEncoding = nil
	}

	env := append([]string{
		"GIT_PROJECT_ROOT=" + h.root,
		"GIT_HTTP_EXPORT_ALL=1",
		fmt.Sprintf("GIT_HTTP_MAX_REQUEST_BUFFER=%d", maxRequestBody),
	}, safeDirEnv()...)
	if proto := r.Header.Get("Git-Protocol"); proto != "" {
		env = append(env, "GIT_PROTOCOL="+proto)
	}
	if user, _ := r.Context().Value(remoteUserKey{}).(string); user != "" {
		env = append(env, "REMOTE_USER="+user)
	}
	stderr := &limitedBuffer{max: maxStderr}
	cgiHandler := &cgi.Handler{
		Path:   h.backend,
		Dir:    h.root,
		Env:    env,
		Logger: log.New(stderr, "", 0),
		Stderr: stderr,
	}
	sw := &statusWriter{ResponseWriter: w}
	cgiHandler.ServeHTTP(sw, req)
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		// Without side-band, upload-pack writes its progress to stderr too.
		level := slog.LevelDebug
		if sw.status >= http.StatusBadRequest {
			level = slog.LevelWarn
		}
		h.logger.Log(r.Context(), level, "git http-backend stderr", slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.String("stderr", msg))
	}
}

// statusWriter records the response status.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets git's response stream to the client as it is produced.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
// The CGI handler's logger and the child's stderr write concurrently.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
