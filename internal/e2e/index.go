package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// indexLine is one version line of a sparse index file.
type indexLine struct {
	Name        string              `json:"name"`
	Vers        string              `json:"vers"`
	Deps        []indexDep          `json:"deps"`
	Cksum       string              `json:"cksum"`
	Features    map[string][]string `json:"features"`
	Features2   map[string][]string `json:"features2"`
	Yanked      bool                `json:"yanked"`
	Links       *string             `json:"links"`
	V           *int                `json:"v"`
	RustVersion *string             `json:"rust_version"`
	Pubtime     string              `json:"pubtime"`
}

// indexDep is one dependency of an index line.
type indexDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures *bool    `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	Registry        *string  `json:"registry"`
	Package         *string  `json:"package"`
}

func (d indexDep) kind() string {
	if d.Kind == "" {
		return "normal"
	}
	return d.Kind
}

func (d indexDep) defaultFeatures() bool { return d.DefaultFeatures == nil || *d.DefaultFeatures }

// allFeatures merges features and features2 as cargo does.
func (l indexLine) allFeatures() map[string][]string {
	out := map[string][]string{}
	for k, v := range l.Features {
		out[k] = append(out[k], v...)
	}
	for k, v := range l.Features2 {
		out[k] = append(out[k], v...)
	}
	return out
}

func (l indexLine) dep(t *testing.T, name, kind string) indexDep {
	t.Helper()
	for _, d := range l.Deps {
		if d.Name == name && d.kind() == kind {
			return d
		}
	}
	t.Fatalf("%s@%s has no %s dependency named %q: %+v", l.Name, l.Vers, kind, name, l.Deps)
	return indexDep{}
}

var pubtimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// indexFile fetches /index/<path> with token and decodes every line
// strictly, checking the fields cargo requires.
func indexFile(t *testing.T, srv *Server, token, path string) []indexLine {
	t.Helper()
	res := srv.Do(t, http.MethodGet, "/index/"+path, token, nil)
	require.Equal(t, http.StatusOK, res.Status, "GET /index/%s: %s", path, res.Body)
	require.NotEmpty(t, res.Header.Get("ETag"), "index file needs an ETag")
	require.Empty(t, res.Header.Get("Content-Encoding"), "test client did not ask for compression")
	body := res.Body
	require.True(t, bytes.HasSuffix(body, []byte("\n")), "index file %s must end with LF: %q", path, body)
	var out []indexLine
	for _, raw := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		var fields map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(raw), &fields), "line %q", raw)
		for _, k := range []string{"name", "vers", "deps", "cksum"} {
			require.Contains(t, fields, k, "index line lacks required %q: %s", k, raw)
		}
		var l indexLine
		dec := json.NewDecoder(strings.NewReader(raw))
		require.NoError(t, dec.Decode(&l), "line %q", raw)
		require.NotNil(t, l.Deps, "deps must be an array, not null: %s", raw)
		if l.V != nil {
			require.LessOrEqual(t, *l.V, 2, "stable cargo skips lines with v > 2: %s", raw)
		}
		require.Regexp(t, `^[0-9a-f]{64}$`, l.Cksum, "cksum: %s", raw)
		require.Regexp(t, pubtimeRE, l.Pubtime, "pubtime: %s", raw)
		out = append(out, l)
	}
	return out
}

func findVersion(t *testing.T, lines []indexLine, vers string) indexLine {
	t.Helper()
	for _, l := range lines {
		if l.Vers == vers {
			return l
		}
	}
	t.Fatalf("version %s not in index lines %+v", vers, lines)
	return indexLine{}
}

// checkCksum downloads name@vers through the API and compares its SHA-256
// with the index cksum.
func checkCksum(t *testing.T, srv *Server, token string, l indexLine) {
	t.Helper()
	res := srv.Do(t, http.MethodGet, "/api/v1/crates/"+l.Name+"/"+l.Vers+"/download", token, nil)
	require.Equal(t, http.StatusOK, res.Status, "download %s@%s: %s", l.Name, l.Vers, res.Body)
	require.Empty(t, res.Header.Get("Content-Encoding"), ".crate must never carry a Content-Encoding")
	require.True(t, bytes.HasPrefix(res.Body, []byte{0x1f, 0x8b}), ".crate must be gzip")
	sum := sha256.Sum256(res.Body)
	require.Equal(t, l.Cksum, hex.EncodeToString(sum[:]), "cksum of %s@%s", l.Name, l.Vers)
}
