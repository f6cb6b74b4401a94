package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRawConn(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		conn *rawConn
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/chunked":
				_, _ = w.Write([]byte("hello "))
				w.(http.Flusher).Flush() // no Content-Length: chunked
				_, _ = w.Write([]byte("world"))
			case "/close":
				w.Header().Set("Connection", "close")
				_, _ = w.Write([]byte("bye"))
			case "/etag":
				if r.Header.Get("If-None-Match") == `"x"` && r.Header.Get("Authorization") == "secret" {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				_, _ = w.Write([]byte(strings.Repeat("a", 100)))
			}
		}))
		t.Cleanup(srv.Close)
		conn := newRawConn(strings.TrimPrefix(srv.URL, "http://"))
		t.Cleanup(conn.close)
		return &testBundle{conn: conn}
	}

	t.Run("Chunked", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		for range 3 {
			resp, err := bundle.conn.get("/chunked", "", "")
			require.NoError(t, err)
			require.Equal(t, response{status: 200, bodyLen: len("hello world")}, resp)
		}
	})

	t.Run("ConnectionClose", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		for range 3 { // reconnects after each close
			resp, err := bundle.conn.get("/close", "", "")
			require.NoError(t, err)
			require.Equal(t, response{status: 200, bodyLen: 3, closeNow: true}, resp)
			require.Nil(t, bundle.conn.conn)
		}
	})

	t.Run("Conditional", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		resp, err := bundle.conn.get("/etag", "secret", `"x"`)
		require.NoError(t, err)
		require.Equal(t, response{status: 304}, resp)
		resp, err = bundle.conn.get("/etag", "", "")
		require.NoError(t, err)
		require.Equal(t, response{status: 200, bodyLen: 100}, resp)
	})
}
