package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"
)

// parseTxtar splits a txtar archive ("-- name --" lines followed by the
// file's content; text before the first marker is a comment) into files.
func parseTxtar(data []byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	var (
		name string
		buf  bytes.Buffer
		have bool
	)
	flush := func() {
		if have {
			files[name] = bytes.Clone(buf.Bytes())
		}
		buf.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trim := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(trim, "-- ") && strings.HasSuffix(trim, " --") && len(trim) > 6 {
			flush()
			name = strings.TrimSpace(trim[3 : len(trim)-3])
			if name == "" || filepath.IsAbs(name) || strings.Contains(name, "..") {
				return nil, fmt.Errorf("bad file name %q in txtar", name)
			}
			if _, dup := files[name]; dup {
				return nil, fmt.Errorf("duplicate file %q in txtar", name)
			}
			have = true
			continue
		}
		if have {
			buf.WriteString(line)
		}
	}
	flush()
	return files, nil
}

// writeTxtar extracts testdata/<archive> into dir.
func writeTxtar(t *testing.T, archive, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", archive))
	require.NoError(t, err)
	files, err := parseTxtar(data)
	require.NoError(t, err, "parse %s", archive)
	writeFiles(t, dir, files)
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, content, 0o644))
	}
}

// writeSimpleCrate writes a small library crate into dir/name; deps are
// extra manifest lines for its [dependencies] table.
func writeSimpleCrate(t *testing.T, dir, name, version, description string, deps ...string) string {
	t.Helper()
	root := filepath.Join(dir, name)
	manifest := fmt.Sprintf(`[package]
name = %q
version = %q
edition = "2021"
description = %q
license = "MIT"
`, name, version, description)
	if len(deps) > 0 {
		manifest += "\n[dependencies]\n" + strings.Join(deps, "\n") + "\n"
	}
	writeFiles(t, root, map[string][]byte{
		"Cargo.toml": []byte(manifest),
		"src/lib.rs": []byte("//! Test crate.\n\n/// Answer.\npub fn answer() -> u32 {\n    42\n}\n"),
	})
	return root
}

// setVersion rewrites the first `version = "…"` of a Cargo.toml.
func setVersion(t *testing.T, manifest, from, to string) {
	t.Helper()
	data, err := os.ReadFile(manifest)
	require.NoError(t, err)
	old := fmt.Sprintf("version = %q", from)
	require.Contains(t, string(data), old, "version in %s", manifest)
	data = []byte(strings.Replace(string(data), old, fmt.Sprintf("version = %q", to), 1))
	require.NoError(t, os.WriteFile(manifest, data, 0o644))
}

// lockedVersions returns package name → versions recorded in dir/Cargo.lock.
func lockedVersions(t *testing.T, dir string) map[string][]string {
	t.Helper()
	var lock struct {
		Package []struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
			Source  string `toml:"source"`
		} `toml:"package"`
	}
	_, err := toml.DecodeFile(filepath.Join(dir, "Cargo.lock"), &lock)
	require.NoError(t, err, "decode Cargo.lock")
	out := map[string][]string{}
	for _, p := range lock.Package {
		out[p.Name] = append(out[p.Name], p.Version)
	}
	return out
}
