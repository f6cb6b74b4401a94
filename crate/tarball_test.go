package crate_test

import (
	"archive/tar"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
)

func TestCheckCrate(t *testing.T) {
	t.Parallel()

	meta := cratetest.Metadata("foo", "1.0.0")
	root := "foo-1.0.0/"
	manifest := cratetest.Manifest("foo", "1.0.0", nil)
	withEntries := func(extra ...cratetest.Entry) []byte {
		return cratetest.BuildRaw(append([]cratetest.Entry{
			cratetest.File(root+"Cargo.toml", manifest),
			cratetest.File(root+"src/lib.rs", "\n"),
		}, extra...))
	}

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()

		c, err := crate.CheckCrate(cratetest.Build("foo", "1.0.0", nil), &meta, crate.DefaultLimits())
		require.NoError(t, err)
		require.Equal(t, 2, c.Files)
		require.Positive(t, c.UnpackedSize)
		require.Nil(t, c.Readme)
		require.Empty(t, c.ReadmePath)
		require.Empty(t, c.ManifestRustVersion)
	})

	t.Run("AcceptedShapes", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name string
			data []byte
		}{
			// directory entries, including the root
			{"Dirs", withEntries(
				cratetest.Entry{Header: tar.Header{Name: root, Typeflag: tar.TypeDir, Mode: 0o755}},
				cratetest.Entry{Header: tar.Header{Name: root + "src/bin/", Typeflag: tar.TypeDir, Mode: 0o755}},
			)},
			// a symlink pointing down inside the package
			{"SymlinkInside", withEntries(cratetest.Link(root+"LICENSE", "docs/LICENSE-MIT", tar.TypeSymlink))},
			// a long path (GNU/pax long name)
			{"LongPath", withEntries(cratetest.File(root+strings.Repeat("d/", 80)+"x.rs", "\n"))},
			// the files cargo package adds
			{"CargoFiles", withEntries(
				cratetest.File(root+"Cargo.toml.orig", "[package]\n"),
				cratetest.File(root+"Cargo.lock", "version = 3\n"),
				cratetest.File(root+".cargo_vcs_info.json", "{}\n"),
			)},
		}
		for _, tt := range tests {
			_, err := crate.CheckCrate(tt.data, &meta, crate.DefaultLimits())
			require.NoError(t, err, tt.name)
		}
	})

	t.Run("Matches", func(t *testing.T) {
		t.Parallel()

		// links, rust-version and build metadata that agree are accepted.
		m := cratetest.Metadata("MyCrate", "1.0.0-rc.1+build.5")
		m.Links, m.RustVersion = ptr("z"), ptr("1.70")
		data := cratetest.Build("MyCrate", "1.0.0-rc.1+build.5", &cratetest.Opts{Links: "z", RustVersion: "1.70"})
		c, err := crate.CheckCrate(data, &m, crate.DefaultLimits())
		require.NoError(t, err)
		require.Equal(t, "1.70", c.ManifestRustVersion)

		// Metadata with links that the manifest lacks is refused.
		m.RustVersion = nil
		_, err = crate.CheckCrate(data, &m, crate.DefaultLimits())
		requireInvalid(t, err, `package.rust-version is "1.70" but the publish metadata says absent`)
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name string
			data []byte
			want string
		}{
			// not gzip at all
			{"NotGzip", []byte("PK\x03\x04 a zip file"), "invalid .crate file: not a gzip-compressed tarball"},
			// gzip of something that is not a tar
			{"NotTar", cratetest.Gzip([]byte(strings.Repeat("not a tar ", 100))), "corrupt or truncated archive"},
			// truncated gzip
			{"Truncated", cratetest.Build("foo", "1.0.0", nil)[:60], "corrupt or truncated archive"},
			// bytes after the gzip stream
			{"TrailingData", append(cratetest.Build("foo", "1.0.0", nil), "junk"...), "unexpected data after the gzip stream"},
			// ../ traversal
			{"Traversal", cratetest.Traversal("foo", "1.0.0"), `invalid .crate entry "foo-1.0.0/../../evil": ".." path components are not allowed`},
			// absolute path
			{"Absolute", cratetest.AbsolutePath("foo", "1.0.0"), `invalid .crate entry "/tmp/evil": absolute paths are not allowed`},
			// entry outside the prefix
			{"OutsidePrefix", cratetest.OutsidePrefix("foo", "1.0.0"), `every path must start with "foo-1.0.0/"`},
			// symlink leaving the package
			{"SymlinkEscape", cratetest.SymlinkEscape("foo", "1.0.0"), `symlink target "../../../etc" contains ".."; links must stay inside the package`},
			// absolute symlink
			{"SymlinkAbsolute", cratetest.SymlinkAbsolute("foo", "1.0.0"), `symlink target "/etc/passwd" is absolute`},
			// symlink climbing then descending
			{"SymlinkDotDot", withEntries(cratetest.Link(root+"src/x", "../Cargo.toml", tar.TypeSymlink)), `contains ".."`},
			// empty symlink target
			{"SymlinkEmpty", withEntries(cratetest.Link(root+"x", "", tar.TypeSymlink)), "symlink has an empty target"},
			// hard link
			{"Hardlink", cratetest.Hardlink("foo", "1.0.0"), `invalid .crate entry "foo-1.0.0/passwd": hard links are not allowed`},
			// hard link inside the package is still refused
			{"HardlinkInside", withEntries(cratetest.Link(root+"x", root+"src/lib.rs", tar.TypeLink)), "hard links are not allowed"},
			// character device
			{"Device", withEntries(cratetest.Entry{Header: tar.Header{Name: root + "dev", Typeflag: tar.TypeChar}}), "device files and FIFOs are not allowed"},
			// FIFO
			{"FIFO", withEntries(cratetest.Entry{Header: tar.Header{Name: root + "fifo", Typeflag: tar.TypeFifo}}), "device files and FIFOs are not allowed"},
			// pax global header (git archive)
			{"PaxGlobal", withEntries(cratetest.Entry{Header: tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "x"}}}), "pax global headers are not allowed"},
			// path longer than 1024 bytes
			{"PathTooLong", withEntries(cratetest.File(root+strings.Repeat("d/", 520)+"x.rs", "x")), "paths must be at most 1024 bytes long"},
			// symlink target longer than 1024 bytes
			{"LinkTooLong", withEntries(cratetest.Link(root+"l", strings.Repeat("d/", 520), tar.TypeSymlink)), "paths must be at most 1024 bytes long"},
			// backslash
			{"Backslash", withEntries(cratetest.File(root+"src\\..\\..\\evil", "x")), "backslashes are not allowed"},
			// control character
			{"ControlChar", withEntries(cratetest.File(root+"a\nb", "x")), "control characters are not allowed"},
			// invalid UTF-8
			{"BadUTF8", withEntries(cratetest.File(root+"\xff.rs", "x")), "not valid UTF-8"},
			// empty component
			{"EmptyComponent", withEntries(cratetest.File(root+"src//lib2.rs", "x")), "empty path components are not allowed"},
			// dot component
			{"DotComponent", withEntries(cratetest.File(root+"./src/lib2.rs", "x")), `"." path components are not allowed`},
			// duplicate path (which Cargo.toml would win?)
			{"Duplicate", withEntries(cratetest.File(root+"Cargo.toml", "[package]\nname = \"evil\"\n")), "the path appears more than once"},
			// wrong case in the prefix
			{"PrefixCase", cratetest.Build("Foo", "1.0.0", nil), `every path must start with "foo-1.0.0/"`},
			// version with build metadata missing from the prefix
			{"PrefixVersion", cratetest.Build("foo", "1.0", nil), `every path must start with "foo-1.0.0/"`},
			// no Cargo.toml
			{"NoManifest", cratetest.Build("foo", "1.0.0", &cratetest.Opts{OmitManifest: true}), "foo-1.0.0/Cargo.toml is missing"},
			// Cargo.toml in a subdirectory only
			{"ManifestElsewhere", cratetest.Build("foo", "1.0.0", &cratetest.Opts{OmitManifest: true, Files: map[string]string{"sub/Cargo.toml": manifest}}), "Cargo.toml is missing"},
			// Cargo.toml that is not TOML
			{"ManifestNotTOML", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: "[package\nname="}), "invalid Cargo.toml: not valid TOML"},
			// no [package]
			{"ManifestNoPackage", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: "[workspace]\n"}), "it has no [package] table"},
			// name mismatch
			{"ManifestName", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: cratetest.Manifest("bar", "1.0.0", nil)}), `package.name is "bar" but the publish metadata says "foo"`},
			// name differs in case only
			{"ManifestNameCase", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: cratetest.Manifest("Foo", "1.0.0", nil)}), `package.name is "Foo"`},
			// version mismatch
			{"ManifestVersion", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: cratetest.Manifest("foo", "1.0.1", nil)}), `package.version is "1.0.1"`},
			// workspace-inherited version (not normalized)
			{"ManifestInherited", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: "[package]\nname = \"foo\"\nversion.workspace = true\n"}), "package.version must be a string"},
			// links in Cargo.toml but not in metadata
			{"LinksMismatch", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Links: "z"}), `package.links is "z" but the publish metadata says absent`},
			// rust-version in Cargo.toml but not in metadata
			{"RustVersionMismatch", cratetest.Build("foo", "1.0.0", &cratetest.Opts{RustVersion: "1.70"}), `package.rust-version is "1.70" but the publish metadata says absent`},
			// deeply nested inline tables (slow to parse)
			{"ManifestDeep", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: manifest + "x = " + strings.Repeat("{a=", 17) + "1" + strings.Repeat("}", 17)}), "nested more than 16 levels deep"},
			// too many inline tables (slow to parse)
			{"ManifestTables", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: manifest + "x = [" + strings.Repeat("{},", 10001) + "]\n"}), "it has more than 10000 inline tables"},
			// too many dots (slow to parse)
			{"ManifestDots", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: manifest + strings.Repeat("[a.b]\n", 20001)}), "it has more than 20000 dots outside strings"},
			// long dotted key (slow to parse)
			{"ManifestDotted", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: manifest + strings.Repeat("a.", 17) + "b = 1\n"}), "a dotted key has more than 17 parts"},
		}
		for _, tt := range tests {
			_, err := crate.CheckCrate(tt.data, &meta, crate.DefaultLimits())
			requireInvalid(t, err, tt.want, tt.name)
		}
	})

	t.Run("RejectedMetadata", func(t *testing.T) {
		t.Parallel()

		// The prefix comes from the metadata, so unsafe metadata is refused
		// before the tarball is looked at.
		_, err := crate.CheckCrate(cratetest.Build("foo", "1.0.0", nil), nil, crate.DefaultLimits())
		requireInvalid(t, err, "invalid publish metadata: missing")
		bad := cratetest.Metadata("../x", "1.0.0")
		_, err = crate.CheckCrate(cratetest.Build("foo", "1.0.0", nil), &bad, crate.DefaultLimits())
		requireInvalid(t, err, "invalid crate name")
		bad = cratetest.Metadata("foo", "1.0.0/../..")
		_, err = crate.CheckCrate(cratetest.Build("foo", "1.0.0", nil), &bad, crate.DefaultLimits())
		requireInvalid(t, err, "invalid version")
	})
}
