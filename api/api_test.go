package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage"
)

// forEachEngine runs fn as a parallel subtest on SQLite and PostgreSQL.
func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, engine)
		})
	}
}

func publishBody(name, vers string, mutate func(*crate.Metadata)) []byte {
	meta := cratetest.Metadata(name, vers)
	if mutate != nil {
		mutate(&meta)
	}
	return cratetest.PublishBody(meta, cratetest.Build(name, vers, nil))
}

func publish(t *testing.T, s *testserver.Server, token, name, vers string) {
	t.Helper()
	status, _, body := s.Do(t, http.MethodPut, "/api/v1/crates/new", token, bytes.NewReader(publishBody(name, vers, nil)), nil)
	require.Equal(t, http.StatusOK, status, string(body))
	require.JSONEq(t, `{"warnings":{"invalid_categories":[],"invalid_badges":[],"other":[]}}`, string(body))
}

// requireCargoError checks cargo's {"errors":[{"detail":…}]} envelope.
func requireCargoError(t *testing.T, status, wantStatus int, body []byte, detail string) {
	t.Helper()
	require.Equal(t, wantStatus, status, string(body))
	var env struct {
		Errors []struct {
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	require.Len(t, env.Errors, 1)
	require.Contains(t, env.Errors[0].Detail, detail)
}

func indexLines(t *testing.T, s *testserver.Server, path string) []crate.IndexEntry {
	t.Helper()
	status, _, body := s.Do(t, http.MethodGet, "/index/"+path, s.AdminToken, nil, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	var out []crate.IndexEntry
	for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		var e crate.IndexEntry
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		out = append(out, e)
	}
	return out
}

func TestPublishVisibleImmediately(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		for i := range 5 {
			vers := fmt.Sprintf("0.1.%d", i)
			publish(t, s, s.AdminToken, "Visible_Crate", vers)
			// The very next request sees the version: no asynchronous index update.
			lines := indexLines(t, s, "vi/si/visible_crate")
			require.Len(t, lines, i+1)
			require.Equal(t, vers, lines[i].Vers)
			require.Equal(t, "Visible_Crate", lines[i].Name)
			require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, lines[i].Pubtime)
		}
	})
}

func TestIndexCaching(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		publish(t, s, s.AdminToken, "cached", "1.0.0")
		status, h, body := s.Do(t, http.MethodGet, "/index/ca/ch/cached", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status)
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:]) + `"`
		require.Equal(t, etag, h.Get("ETag"), "strong ETag = quoted SHA-256 of the content")
		lastMod := h.Get("Last-Modified")
		require.NotEmpty(t, lastMod)

		// If-None-Match on its own.
		status, h, body = s.Do(t, http.MethodGet, "/index/ca/ch/cached", s.AdminToken, nil, map[string]string{"If-None-Match": etag})
		require.Equal(t, http.StatusNotModified, status)
		require.Empty(t, body)
		require.Equal(t, etag, h.Get("ETag"))
		// If-Modified-Since on its own.
		status, _, _ = s.Do(t, http.MethodGet, "/index/ca/ch/cached", s.AdminToken, nil, map[string]string{"If-Modified-Since": lastMod})
		require.Equal(t, http.StatusNotModified, status)
		// An old date is modified.
		old := time.Now().Add(-48 * time.Hour).UTC().Format(http.TimeFormat)
		status, _, _ = s.Do(t, http.MethodGet, "/index/ca/ch/cached", s.AdminToken, nil, map[string]string{"If-Modified-Since": old})
		require.Equal(t, http.StatusOK, status)
		// A stale ETag wins over a fresh date: If-None-Match takes precedence.
		status, _, _ = s.Do(t, http.MethodGet, "/index/ca/ch/cached", s.AdminToken, nil,
			map[string]string{"If-None-Match": `"stale"`, "If-Modified-Since": lastMod})
		require.Equal(t, http.StatusOK, status)

		// A change (new version) changes the ETag; the old one no longer matches.
		publish(t, s, s.AdminToken, "cached", "1.0.1")
		status, h, _ = s.Do(t, http.MethodGet, "/index/ca/ch/cached", s.AdminToken, nil, map[string]string{"If-None-Match": etag})
		require.Equal(t, http.StatusOK, status)
		require.NotEqual(t, etag, h.Get("ETag"))
		// A yank changes it too.
		etag = h.Get("ETag")
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/cached/1.0.1/yank", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.JSONEq(t, `{"ok":true}`, string(body))
		status, h, _ = s.Do(t, http.MethodGet, "/index/ca/ch/cached", s.AdminToken, nil, map[string]string{"If-None-Match": etag})
		require.Equal(t, http.StatusOK, status)
		require.NotEqual(t, etag, h.Get("ETag"))
	})
}

func TestIndexNotFoundAndTraversal(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		publish(t, s, s.AdminToken, "foo", "1.0.0")
		for _, path := range []string{
			"3/f/nope", "no/pe/nope-crate", "fo/o/foo", "3/g/foo", "3/F/foo", "3/f/FOO",
			"../wharf.db", "3/f/../../wharf.db", "%2e%2e/wharf.db", "3/f/%2e%2e%2f%2e%2e%2fwharf.db",
			"..%2f..%2fetc%2fpasswd", "..%5c..%5cwharf.db", "3\\f\\foo", "3/f/foo%00", "/etc/passwd", "//etc/passwd",
			"3/f/foo/", "3/f/foo/..", "3/f/./foo", "config.json/../3/f/foo", "3/f/%66oo",
		} {
			status, h, body := s.Do(t, http.MethodGet, "/index/"+path, s.AdminToken, nil, nil)
			require.Equal(t, http.StatusNotFound, status, "path %q: %s", path, body)
			require.NotContains(t, string(body), "cksum", path)
			require.Empty(t, h.Get("ETag"), path)
		}
	})
}

func TestConfigJSON(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		status, h, body := s.Do(t, http.MethodGet, "/index/config.json", "", nil, nil)
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, `Cargo login_url="`+s.URL+`/account"`, h.Get("WWW-Authenticate"))
		requireCargoError(t, status, http.StatusUnauthorized, body, "requires authentication")
		status, _, body = s.Do(t, http.MethodGet, "/index/config.json", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status)
		require.JSONEq(t, `{"dl":"`+s.URL+`/api/v1/crates","api":"`+s.URL+`","auth-required":true}`, string(body))

		pub := testserver.Start(t, engine, &testserver.Opts{PublicRead: true})
		status, _, body = pub.Do(t, http.MethodGet, "/index/config.json", "", nil, nil)
		require.Equal(t, http.StatusOK, status)
		require.JSONEq(t, `{"dl":"`+pub.URL+`/api/v1/crates","api":"`+pub.URL+`","auth-required":false}`, string(body))
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		publish(t, s, s.AdminToken, "authd", "1.0.0")
		ro := s.Token(t, "reader", auth.ReadOnlyScopes)
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+s.AdminToken))
		badBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("reader:"+s.AdminToken))
		cases := []struct {
			name, token string
			want        int
		}{
			{"anonymous", "", http.StatusUnauthorized},
			{"raw token", s.AdminToken, http.StatusOK},
			{"bearer", "Bearer " + s.AdminToken, http.StatusOK},
			{"basic login:token", basic, http.StatusOK},
			{"basic with the wrong login", badBasic, http.StatusUnauthorized},
			{"read-only token", ro, http.StatusOK},
			{"unknown token", "wharf_nope", http.StatusUnauthorized},
			{"malformed", "Digest abc", http.StatusUnauthorized},
		}
		for _, tc := range cases {
			status, h, _ := s.Do(t, http.MethodGet, "/index/au/th/authd", tc.token, nil, nil)
			require.Equal(t, tc.want, status, tc.name)
			if status == http.StatusUnauthorized {
				require.Contains(t, h.Get("WWW-Authenticate"), "Cargo login_url=", tc.name)
				require.NotContains(t, h.Get("WWW-Authenticate"), "Basic", tc.name)
			}
			status, _, _ = s.Do(t, http.MethodGet, "/api/v1/crates/authd/1.0.0/download", tc.token, nil, nil)
			require.Equal(t, tc.want, status, "download: "+tc.name)
			status, _, _ = s.Do(t, http.MethodGet, "/api/v1/crates?q=authd", tc.token, nil, nil)
			require.Equal(t, tc.want, status, "search: "+tc.name)
		}

		// A read-only token cannot publish, yank or change owners.
		status, _, body := s.Do(t, http.MethodPut, "/api/v1/crates/new", ro, bytes.NewReader(publishBody("authd", "1.0.1", nil)), nil)
		requireCargoError(t, status, http.StatusForbidden, body, "read-only")
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/authd/1.0.0/yank", ro, nil, nil)
		requireCargoError(t, status, http.StatusForbidden, body, "cannot yank")
		status, _, body = s.Do(t, http.MethodPut, "/api/v1/crates/authd/owners", ro, strings.NewReader(`{"users":["reader"]}`), nil)
		requireCargoError(t, status, http.StatusForbidden, body, "cannot change owners")

		// Revoked and expired tokens get a clear 401.
		ctx := context.Background()
		secret, tok, err := s.Registry.CreateToken(ctx, "admin", registry.TokenOpts{Name: "short"})
		require.NoError(t, err)
		require.NoError(t, s.Registry.RevokeToken(ctx, "admin", tok.ID))
		status, _, body = s.Do(t, http.MethodGet, "/index/au/th/authd", secret, nil, nil)
		requireCargoError(t, status, http.StatusUnauthorized, body, "revoked")
		past := time.Now().Add(-time.Minute)
		expired, _, err := s.Registry.CreateToken(ctx, "admin", registry.TokenOpts{Name: "old", ExpiresAt: &past})
		require.NoError(t, err)
		status, _, body = s.Do(t, http.MethodGet, "/index/au/th/authd", expired, nil, nil)
		requireCargoError(t, status, http.StatusUnauthorized, body, "expired")
	})
}

func TestOwnership(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		publish(t, s, s.AdminToken, "owned", "1.0.0")
		eve := s.Token(t, "eve", auth.WriteScopes)
		s.Token(t, "bob", auth.ReadOnlyScopes)

		status, _, body := s.Do(t, http.MethodPut, "/api/v1/crates/new", eve, bytes.NewReader(publishBody("owned", "1.0.1", nil)), nil)
		requireCargoError(t, status, http.StatusForbidden, body, "not an owner")
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/owned/1.0.0/yank", eve, nil, nil)
		requireCargoError(t, status, http.StatusForbidden, body, "not an owner")
		status, _, body = s.Do(t, http.MethodPut, "/api/v1/crates/owned/owners", eve, strings.NewReader(`{"users":["eve"]}`), nil)
		requireCargoError(t, status, http.StatusForbidden, body, "not an owner")
		// Eve can publish her own crate, and the spelling variants of an
		// existing name are refused.
		publish(t, s, eve, "eves", "0.1.0")
		for _, name := range []string{"Owned", "OWNED"} {
			status, _, body = s.Do(t, http.MethodPut, "/api/v1/crates/new", eve, bytes.NewReader(publishBody(name, "9.0.0", nil)), nil)
			require.Contains(t, []int{http.StatusForbidden, http.StatusConflict}, status, string(body))
		}

		status, _, body = s.Do(t, http.MethodPut, "/api/v1/crates/owned/owners", s.AdminToken, strings.NewReader(`{"users":["bob"]}`), nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Contains(t, string(body), `"ok":true`)
		require.Contains(t, string(body), `"msg":"`)
		status, _, body = s.Do(t, http.MethodGet, "/api/v1/crates/owned/owners", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, string(body), `"login":"bob"`)
		require.Contains(t, string(body), `"login":"admin"`)
		status, _, body = s.Do(t, http.MethodPut, "/api/v1/crates/owned/owners", s.AdminToken, strings.NewReader(`{"users":["nobody"]}`), nil)
		requireCargoError(t, status, http.StatusNotFound, body, "nobody")
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/owned/owners", s.AdminToken, strings.NewReader(`{"users":["bob","admin"]}`), nil)
		requireCargoError(t, status, http.StatusBadRequest, body, "cannot remove every owner")
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/owned/owners", s.AdminToken, strings.NewReader(`{"users":["bob"]}`), nil)
		require.Equal(t, http.StatusOK, status, string(body))
		status, _, body = s.Do(t, http.MethodPut, "/api/v1/crates/owned/owners", s.AdminToken, strings.NewReader(`not json`), nil)
		requireCargoError(t, status, http.StatusBadRequest, body, "invalid JSON")

		// An admin may act on crates it does not own.
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/eves/0.1.0/yank", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status, string(body))
	})
}

func TestYankRewritesIndex(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		publish(t, s, s.AdminToken, "yanky", "1.0.0")
		publish(t, s, s.AdminToken, "yanky", "1.1.0")
		before := indexLines(t, s, "ya/nk/yanky")
		status, _, body := s.Do(t, http.MethodDelete, "/api/v1/crates/yanky/1.1.0/yank", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status, string(body))
		lines := indexLines(t, s, "ya/nk/yanky")
		require.False(t, lines[0].Yanked)
		require.True(t, lines[1].Yanked)
		require.Equal(t, before[1].Pubtime, lines[1].Pubtime, "pubtime never changes on yank")
		require.Equal(t, before[1].Cksum, lines[1].Cksum)
		// Yanking twice is fine; unyank restores.
		status, _, _ = s.Do(t, http.MethodDelete, "/api/v1/crates/yanky/1.1.0/yank", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status)
		status, _, body = s.Do(t, http.MethodPut, "/api/v1/crates/yanky/1.1.0/unyank", s.AdminToken, nil, map[string]string{"Content-Type": "application/json"})
		require.Equal(t, http.StatusOK, status, string(body))
		require.JSONEq(t, `{"ok":true}`, string(body))
		require.False(t, indexLines(t, s, "ya/nk/yanky")[1].Yanked)
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/yanky/9.9.9/yank", s.AdminToken, nil, nil)
		requireCargoError(t, status, http.StatusNotFound, body, "9.9.9")
		status, _, body = s.Do(t, http.MethodDelete, "/api/v1/crates/nope/1.0.0/yank", s.AdminToken, nil, nil)
		requireCargoError(t, status, http.StatusNotFound, body, "nope")
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		for _, v := range []string{"1.0.0", "1.10.0", "1.9.0", "2.0.0-beta.1"} {
			publish(t, s, s.AdminToken, "search-me", v)
		}
		for i := range 12 {
			publish(t, s, s.AdminToken, fmt.Sprintf("search-more-%02d", i), "0.1.0")
		}
		type result struct {
			Crates []struct {
				Name       string `json:"name"`
				MaxVersion string `json:"max_version"`
			} `json:"crates"`
			Meta struct {
				Total int `json:"total"`
			} `json:"meta"`
		}
		get := func(q string) result {
			status, _, body := s.Do(t, http.MethodGet, "/api/v1/crates?"+q, s.AdminToken, nil, nil)
			require.Equal(t, http.StatusOK, status, string(body))
			var r result
			require.NoError(t, json.Unmarshal(body, &r))
			return r
		}
		r := get("q=search&per_page=3")
		require.Len(t, r.Crates, 3)
		require.Equal(t, 13, r.Meta.Total)
		r = get("q=search")
		require.Len(t, r.Crates, 10, "default per_page is 10")
		r = get("q=search&per_page=1000")
		require.Len(t, r.Crates, 13, "per_page is capped at 100, not ignored")
		r = get("q=SEARCH_ME&per_page=5")
		require.Len(t, r.Crates, 1, "search ignores case and -/_")
		require.Equal(t, "1.10.0", r.Crates[0].MaxVersion, "highest by semver, stable preferred")
		status, _, _ := s.Do(t, http.MethodDelete, "/api/v1/crates/search-me/1.10.0/yank", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "1.9.0", get("q=search-me").Crates[0].MaxVersion, "yanked versions are skipped")
		r = get("q=search&per_page=5&page=3")
		require.Len(t, r.Crates, 3)
	})
}

func TestDownload(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		crateBytes := cratetest.Build("dl", "1.0.0+meta", nil)
		body := cratetest.PublishBody(cratetest.Metadata("dl", "1.0.0+meta"), crateBytes)
		status, _, resp := s.Do(t, http.MethodPut, "/api/v1/crates/new", s.AdminToken, bytes.NewReader(body), nil)
		require.Equal(t, http.StatusOK, status, string(resp))
		for range 3 {
			status, h, got := s.Do(t, http.MethodGet, "/api/v1/crates/dl/1.0.0+meta/download", s.AdminToken, nil,
				map[string]string{"Accept-Encoding": "gzip"})
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, crateBytes, got, "stored bytes are served untouched")
			require.Empty(t, h.Get("Content-Encoding"))
			require.Equal(t, "application/octet-stream", h.Get("Content-Type"))
		}
		sum := sha256.Sum256(crateBytes)
		require.Equal(t, hex.EncodeToString(sum[:]), indexLines(t, s, "2/dl")[0].Cksum)
		status, _, resp = s.Do(t, http.MethodGet, "/api/v1/crates/dl/2.0.0/download", s.AdminToken, nil, nil)
		requireCargoError(t, status, http.StatusNotFound, resp, "does not exist")
		// A version differing only in build metadata is the same version.
		status, _, resp = s.Do(t, http.MethodPut, "/api/v1/crates/new", s.AdminToken,
			bytes.NewReader(cratetest.PublishBody(cratetest.Metadata("dl", "1.0.0"), cratetest.Build("dl", "1.0.0", nil))), nil)
		requireCargoError(t, status, http.StatusConflict, resp, "already exists")

		require.NoError(t, s.Registry.FlushDownloads(context.Background()))
		c, err := s.Store.CrateGetByKey(context.Background(), "dl")
		require.NoError(t, err)
		require.Equal(t, int64(3), c.Downloads)
	})
}

func TestConcurrentPublishes(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, nil)
		const n = 16
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, _, body := s.Do(t, http.MethodPut, "/api/v1/crates/new", s.AdminToken,
					bytes.NewReader(publishBody("racy", fmt.Sprintf("1.0.%d", i), nil)), nil)
				if status != http.StatusOK {
					errs <- fmt.Sprintf("%d: %s", status, body)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		require.Len(t, indexLines(t, s, "ra/cy/racy"), n, "no version lost to a concurrent index render")
	})
}

func TestNothingStoredOnRejectedPublish(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		s := testserver.Start(t, engine, &testserver.Opts{BodyLimit: 2 << 20})
		valid := cratetest.Build("victim", "1.0.0", nil)
		meta := cratetest.Metadata("victim", "1.0.0")
		metaJSON, err := json.Marshal(meta)
		require.NoError(t, err)
		frame := cratetest.Frame(metaJSON, valid)
		withManifest := func(m string) []byte {
			return cratetest.PublishBody(meta, cratetest.Build("victim", "1.0.0", &cratetest.Opts{Manifest: m}))
		}
		cases := []struct {
			name   string
			body   []byte
			status int
			detail string
		}{
			{"empty body", nil, 400, ""},
			{"truncated length", []byte{1, 0}, 400, ""},
			{"truncated json", frame[:10], 400, ""},
			{"truncated crate", frame[:len(frame)-10], 400, ""},
			{"lying json length", append([]byte{0xff, 0xff, 0, 0}, frame[4:]...), 0, ""},
			{"lying crate length", cratetest.Frame(metaJSON, valid)[:len(metaJSON)+8], 400, ""},
			{"trailing bytes", append(append([]byte{}, frame...), 1, 2, 3), 400, ""},
			{"bad json", cratetest.Frame([]byte(`{"name":`), valid), 400, ""},
			{"json not an object", cratetest.Frame([]byte(`[1,2]`), valid), 400, ""},
			{"not gzip", cratetest.PublishBody(meta, []byte("this is not a gzip stream")), 400, "gzip"},
			{"gzip but not tar", cratetest.PublishBody(meta, cratetest.Gzip([]byte("plain text, no tar headers here at all"))), 400, ""},
			{"traversal", cratetest.PublishBody(meta, cratetest.Traversal("victim", "1.0.0")), 400, ""},
			{"absolute path", cratetest.PublishBody(meta, cratetest.AbsolutePath("victim", "1.0.0")), 400, ""},
			{"outside prefix", cratetest.PublishBody(meta, cratetest.OutsidePrefix("victim", "1.0.0")), 400, ""},
			{"symlink escape", cratetest.PublishBody(meta, cratetest.SymlinkEscape("victim", "1.0.0")), 400, ""},
			{"absolute symlink", cratetest.PublishBody(meta, cratetest.SymlinkAbsolute("victim", "1.0.0")), 400, ""},
			{"hard link", cratetest.PublishBody(meta, cratetest.Hardlink("victim", "1.0.0")), 400, ""},
			{"decompression bomb", cratetest.PublishBody(meta, cratetest.Bomb("victim", "1.0.0", 1<<30, 1)), 413, ""},
			{"oversized upload", cratetest.PublishBody(meta, bytes.Repeat([]byte{7}, 3<<20)), 413, ""},
			{"no Cargo.toml", cratetest.PublishBody(meta, cratetest.Build("victim", "1.0.0", &cratetest.Opts{OmitManifest: true})), 400, "Cargo.toml"},
			{"manifest name differs", withManifest("[package]\nname = \"other\"\nversion = \"1.0.0\"\n"), 400, ""},
			{"manifest version differs", withManifest("[package]\nname = \"victim\"\nversion = \"2.0.0\"\n"), 400, ""},
			{"bad crate name", publishBody("1victim", "1.0.0", nil), 400, "crate name"},
			{"reserved name", publishBody("nul", "1.0.0", nil), 400, ""},
			{"bad version", publishBody("victim", "1.0", nil), 400, "1.0"},
			{"bad dependency requirement", publishBody("victim", "1.0.0", func(m *crate.Metadata) {
				m.Deps = []crate.Dep{{Name: "dep", VersionReq: ">= 1.0 || < 3", Kind: "normal", DefaultFeatures: true}}
			}), 400, "||"},
			{"dep: feature on a non-optional dependency", publishBody("victim", "1.0.0", func(m *crate.Metadata) {
				m.Deps = []crate.Dep{{Name: "dep", VersionReq: "^1", Kind: "normal", DefaultFeatures: true}}
				m.Features = map[string][]string{"x": {"dep:dep"}}
			}), 400, ""},
			{"bad rust_version", publishBody("victim", "1.0.0", func(m *crate.Metadata) { v := ">=1.70"; m.RustVersion = &v }), 400, ""},
		}
		for _, tc := range cases {
			status, _, body := s.Do(t, http.MethodPut, "/api/v1/crates/new", s.AdminToken, bytes.NewReader(tc.body), nil)
			require.GreaterOrEqual(t, status, 400, tc.name)
			require.Less(t, status, 500, "%s: %s", tc.name, body)
			if tc.status != 0 {
				require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
			}
			requireCargoError(t, status, status, body, tc.detail)
		}
		// Nothing was stored: no blob, no crate, no index file.
		var keys []string
		require.NoError(t, s.Blobs.List(context.Background(), "", func(i storage.Info) error {
			keys = append(keys, i.Key)
			return nil
		}))
		require.Empty(t, keys)
		status, _, _ := s.Do(t, http.MethodGet, "/index/vi/ct/victim", s.AdminToken, nil, nil)
		require.Equal(t, http.StatusNotFound, status)
		// And a valid publish still works afterwards.
		publish(t, s, s.AdminToken, "victim", "1.0.0")
	})
}
