package crate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
)

func TestCheckCrateLimits(t *testing.T) {
	t.Parallel()

	meta := cratetest.Metadata("foo", "1.0.0")

	t.Run("Bomb1GiB", func(t *testing.T) {
		t.Parallel()

		// 1 GiB of zeros in one file, ~1.3 MB compressed: stopped at the
		// tar header, before decompressing the file.
		bomb := cratetest.Bomb("foo", "1.0.0", 1<<30, 1)
		require.Less(t, len(bomb), 2<<20)
		start := time.Now()
		_, err := crate.CheckCrate(bomb, &meta, crate.DefaultLimits())
		requireTooLarge(t, err, "foo-1.0.0/zeros-0.bin is 1024 MiB, more than the per-file limit of 256 MiB")
		require.Less(t, time.Since(start), 2*time.Second)
	})

	t.Run("BombManyFiles", func(t *testing.T) {
		t.Parallel()

		// 1 GiB in 16 files of 64 MiB, each under the per-file limit: stopped
		// once the declared sizes exceed the unpacked limit.
		bomb := cratetest.Bomb("foo", "1.0.0", 1<<30, 16)
		_, err := crate.CheckCrate(bomb, &meta, crate.DefaultLimits())
		requireTooLarge(t, err, "it unpacks to more than 512 MiB (possible decompression bomb)")
	})

	t.Run("ExactLimitIsFine", func(t *testing.T) {
		t.Parallel()

		data := cratetest.Build("foo", "1.0.0", nil)
		c, err := crate.CheckCrate(data, &meta, crate.DefaultLimits())
		require.NoError(t, err)
		_, err = crate.CheckCrate(data, &meta, crate.Limits{MaxUnpackedSize: c.UnpackedSize, MaxCrateSize: int64(len(data)), MaxFiles: c.Files})
		require.NoError(t, err)
		_, err = crate.CheckCrate(data, &meta, crate.Limits{MaxUnpackedSize: c.UnpackedSize - 1})
		requireTooLarge(t, err, "it unpacks to more than")
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		manyFiles := map[string]string{}
		for i := range 20 {
			manyFiles[strings.Repeat("f", i+1)+".rs"] = "\n"
		}
		tests := []struct {
			name string
			data []byte
			lim  crate.Limits
			want string
		}{
			// compressed size
			{"CrateSize", cratetest.Build("foo", "1.0.0", nil), crate.Limits{MaxCrateSize: 100}, ".crate file too large: it is"},
			// per-file size
			{"FileSize", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Files: map[string]string{"big.bin": strings.Repeat("x", 5000)}}), crate.Limits{MaxFileSize: 4096}, "foo-1.0.0/big.bin is 5000 bytes, more than the per-file limit of 4 KiB"},
			// total unpacked size by declared sizes
			{"Unpacked", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Files: map[string]string{"a.bin": strings.Repeat("x", 6000), "b.bin": strings.Repeat("x", 6000)}}), crate.Limits{MaxUnpackedSize: 10000}, "it unpacks to more than 10000 bytes"},
			// total unpacked size hit inside tar headers and padding
			{"UnpackedHeaders", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Files: manyFiles}), crate.Limits{MaxUnpackedSize: 4096}, "it unpacks to more than 4 KiB"},
			// too many entries
			{"Files", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Files: manyFiles}), crate.Limits{MaxFiles: 10}, "it has more than 10 entries"},
			// huge Cargo.toml
			{"Manifest", cratetest.Build("foo", "1.0.0", &cratetest.Opts{Manifest: cratetest.Manifest("foo", "1.0.0", nil) + "# " + strings.Repeat("x", 1<<20)}), crate.Limits{}, "foo-1.0.0/Cargo.toml is"},
		}
		for _, tt := range tests {
			_, err := crate.CheckCrate(tt.data, &meta, tt.lim)
			requireTooLarge(t, err, tt.want, tt.name)
		}
	})
}

func TestCheckCrateReadme(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name       string
		readmeFile *string
		files      map[string]string
		wantPath   string
		wantText   string
	}{
		// no README at all
		{"None", nil, nil, "", ""},
		// README.md by default
		{"Default", nil, map[string]string{"README.md": "md"}, "README.md", "md"},
		// README.md preferred over README
		{"DefaultOrder", nil, map[string]string{"README": "plain", "README.md": "md"}, "README.md", "md"},
		// README when no README.md
		{"Plain", nil, map[string]string{"README": "plain", "README.txt": "txt"}, "README", "plain"},
		// lowercase readme.md
		{"Lower", nil, map[string]string{"readme.md": "lower"}, "readme.md", "lower"},
		// README.txt last
		{"Txt", nil, map[string]string{"README.txt": "txt"}, "README.txt", "txt"},
		// only at the package root
		{"NotNested", nil, map[string]string{"docs/README.md": "nested"}, "", ""},
		// readme_file wins
		{"ReadmeFile", ptr("docs/INTRO.md"), map[string]string{"docs/INTRO.md": "intro", "README.md": "md"}, "docs/INTRO.md", "intro"},
		// readme_file outside the package was copied to the root
		{"ReadmeFileOutside", ptr("../README.md"), map[string]string{"README.md": "copied"}, "README.md", "copied"},
		// readme_file missing from the tarball: fall back to defaults
		{"ReadmeFileMissing", ptr("NOPE.md"), map[string]string{"README": "plain"}, "README", "plain"},
		// readme_file with ./ prefix
		{"ReadmeFileDot", ptr("./docs/R.md"), map[string]string{"docs/R.md": "r"}, "docs/R.md", "r"},
		// oversized README is not returned
		{"TooLarge", nil, map[string]string{"README.md": strings.Repeat("x", crate.MaxReadmeSize+1)}, "", ""},
		// oversized README falls back to the next candidate
		{"TooLargeFallback", nil, map[string]string{"README.md": strings.Repeat("x", crate.MaxReadmeSize+1), "README": "small"}, "README", "small"},
	}
	for _, tt := range tests {
		meta := cratetest.Metadata("foo", "1.0.0")
		meta.ReadmeFile = tt.readmeFile
		data := cratetest.Build("foo", "1.0.0", &cratetest.Opts{Files: tt.files})
		c, err := crate.CheckCrate(data, &meta, crate.DefaultLimits())
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.wantPath, c.ReadmePath, tt.name)
		if tt.wantText == "" {
			require.Nil(t, c.Readme, tt.name)
		} else {
			require.Equal(t, tt.wantText, string(c.Readme), tt.name)
		}
	}
}
