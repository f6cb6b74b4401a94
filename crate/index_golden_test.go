package crate_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
)

// indexFixtureDir finds the real crates.io index files of shared/data (see
// its SOURCE.md); WHARF_CRATES_IO_INDEX overrides the location.
func indexFixtureDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WHARF_CRATES_IO_INDEX")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data", "crates-io-index")
	}
	_, err := os.Stat(filepath.Join(dir, "se", "rd", "serde"))
	require.NoError(t, err, "crates.io index fixtures not found; set WHARF_CRATES_IO_INDEX")
	return dir
}

// indexLine is one line of a real index file.
type indexLine struct {
	path string // path below the index root
	raw  []byte
}

func readIndexFixtures(t *testing.T) []indexLine {
	t.Helper()
	dir := indexFixtureDir(t)
	var lines []indexLine
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if _, err := crate.ParseIndexPath(rel); err != nil {
			return nil // config.json, SOURCE.md
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		require.True(t, bytes.HasSuffix(data, []byte("\n")), rel)
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines = append(lines, indexLine{path: rel, raw: bytes.Clone(sc.Bytes())})
		}
		return sc.Err()
	})
	require.NoError(t, err)
	// SOURCE.md: 19 files, 1771 lines.
	require.Equal(t, 19, files)
	require.Len(t, lines, 1771)
	return lines
}

// TestRealIndexMetadata turns every real index line back into publish
// metadata (package → name, alias → explicit_name_in_toml, features2 merged
// into features) and checks that Metadata.Validate accepts it: the
// dependency and feature rules must not reject real crates.
func TestRealIndexMetadata(t *testing.T) {
	t.Parallel()

	for _, l := range readIndexFixtures(t) {
		var e crate.IndexEntry
		require.NoError(t, json.Unmarshal(l.raw, &e))
		// Cargo of 2014 sent "features":[""] for dependencies; today's cargo
		// never does, and Validate rightly refuses empty feature names.
		for i := range e.Deps {
			e.Deps[i].Features = slices.DeleteFunc(e.Deps[i].Features, func(f string) bool { return f == "" })
		}
		m := metadataFromEntry(e)
		require.NoError(t, m.Validate(), "%s %s", e.Name, e.Vers)

		// And back: the entry built from it equals the original, up to the
		// features/features2 split, which NewIndexEntry redoes.
		back := crate.NewIndexEntry(&m, e.Cksum, pubtimeOf(t, e))
		back.Yanked = e.Yanked
		require.Equal(t, withNormalKinds(e).Deps, back.Deps, "%s %s", e.Name, e.Vers)
		require.Equal(t, mergeFeatures(e), mergeFeatures(back), "%s %s", e.Name, e.Vers)
	}
}

// TestRealIndexRoundTrip parses every line of the real crates.io index files
// into IndexEntry (rejecting unknown fields, so the struct covers everything
// crates.io writes), validates it, re-renders it with Line and checks that
// the result decodes to the same values.
func TestRealIndexRoundTrip(t *testing.T) {
	t.Parallel()

	identical := 0
	lines := readIndexFixtures(t)
	for _, l := range lines {
		var e crate.IndexEntry
		dec := json.NewDecoder(bytes.NewReader(l.raw))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&e), "%s: %s", l.path, l.raw)
		require.Equal(t, l.path, crate.IndexPath(e.Name))
		require.NoError(t, crate.ValidateEntry(e), "%s %s", e.Name, e.Vers)

		line, err := e.Line()
		require.NoError(t, err, "%s %s", e.Name, e.Vers)
		var again crate.IndexEntry
		require.NoError(t, json.Unmarshal(line, &again))
		require.Equal(t, withNormalKinds(e), again, "%s %s", e.Name, e.Vers)

		// At the JSON level the only additions are explicit nulls for
		// links and registry, which crates.io omits, and "kind":"normal"
		// where lines from 2014 have no kind.
		var orig, ours map[string]any
		require.NoError(t, json.Unmarshal(l.raw, &orig))
		require.NoError(t, json.Unmarshal(line, &ours))
		dropAddedNulls(t, orig, ours)
		require.Equal(t, orig, ours, "%s %s", e.Name, e.Vers)
		if bytes.Equal(line, l.raw) {
			identical++
		}
	}
	t.Logf("%d lines round-trip; %d byte-identical", len(lines), identical)
}

// dropAddedNulls removes from ours the null "links" and dep "registry" keys
// and the "normal" dep kinds where orig has none or null.
func dropAddedNulls(t *testing.T, orig, ours map[string]any) {
	t.Helper()
	if _, ok := orig["links"]; !ok {
		require.Nil(t, ours["links"])
		delete(ours, "links")
	}
	origDeps, _ := orig["deps"].([]any)
	ourDeps, _ := ours["deps"].([]any)
	require.Len(t, ourDeps, len(origDeps))
	for i := range origDeps {
		od, ud := origDeps[i].(map[string]any), ourDeps[i].(map[string]any)
		if _, ok := od["registry"]; !ok {
			require.Nil(t, ud["registry"])
			delete(ud, "registry")
		}
		if od["kind"] == nil { // absent or null
			require.Equal(t, "normal", ud["kind"])
			delete(od, "kind")
			delete(ud, "kind")
		}
	}
}

func metadataFromEntry(e crate.IndexEntry) crate.Metadata {
	m := crate.Metadata{
		Name:        e.Name,
		Vers:        e.Vers,
		Features:    mergeFeatures(e),
		Links:       e.Links,
		RustVersion: e.RustVersion,
	}
	for _, d := range e.Deps {
		dep := crate.Dep{
			Name:            d.Name,
			VersionReq:      d.Req,
			Features:        d.Features,
			Optional:        d.Optional,
			DefaultFeatures: d.DefaultFeatures,
			Target:          d.Target,
			Kind:            d.Kind,
			Registry:        d.Registry,
			Artifact:        d.Artifact,
			BindepTarget:    d.BindepTarget,
			Lib:             d.Lib,
		}
		if d.Package != nil {
			dep.Name, dep.ExplicitNameInToml = *d.Package, ptr(d.Name)
		}
		m.Deps = append(m.Deps, dep)
	}
	return m
}

// mergeFeatures is what cargo does with features2: merge it into features.
func mergeFeatures(e crate.IndexEntry) map[string][]string {
	out := map[string][]string{}
	for k, v := range e.Features {
		out[k] = v
	}
	for k, v := range e.Features2 {
		out[k] = v
	}
	return out
}

func pubtimeOf(t *testing.T, e crate.IndexEntry) time.Time {
	t.Helper()
	if e.Pubtime == "" {
		return time.Time{}
	}
	pt, err := time.Parse(crate.PubtimeLayout, e.Pubtime)
	require.NoError(t, err)
	return pt
}

// withNormalKinds returns e with missing dependency kinds set to "normal",
// their meaning.
func withNormalKinds(e crate.IndexEntry) crate.IndexEntry {
	e.Deps = slices.Clone(e.Deps)
	for i := range e.Deps {
		if e.Deps[i].Kind == "" {
			e.Deps[i].Kind = "normal"
		}
	}
	return e
}
