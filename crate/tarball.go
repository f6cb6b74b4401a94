package crate

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/wharfhq/wharf/semver"
)

// MaxReadmeSize bounds the README returned by CheckCrate; a larger README is
// not returned (the publish still succeeds).
const MaxReadmeSize = 1 << 20

// maxManifestSize bounds the Cargo.toml that CheckCrate parses.
const maxManifestSize = 1 << 20

// maxPathLength bounds entry paths and symlink targets, which also bounds the
// memory used to detect duplicate paths.
const maxPathLength = 1024

// defaultReadmes are tried in order when the metadata names no README file
// or the named file is not in the tarball.
var defaultReadmes = []string{"README.md", "README", "readme.md", "README.txt"}

// Contents is what CheckCrate learned from a valid .crate file.
type Contents struct {
	// Readme is the README text (at most MaxReadmeSize bytes), nil if none.
	Readme []byte
	// ReadmePath is the README's path relative to the package root.
	ReadmePath string
	// ManifestRustVersion is `package.rust-version` of the Cargo.toml, "" if
	// absent.
	ManifestRustVersion string
	// Files counts the tar entries.
	Files int
	// UnpackedSize is the size of the decompressed tar stream in bytes.
	UnpackedSize int64
}

// CheckCrate validates a .crate file against its publish metadata before
// anything is extracted from it, and returns its README and facts about it.
//
// The file must be a single gzip stream of a tar archive (ustar, pax or GNU)
// whose every entry lies below "<name>-<vers>/" (the metadata name with its
// original case and the full version). Entries must be regular files,
// directories, or symlinks whose target is relative and has no ".."
// component (so no chain of links can leave the package); absolute paths,
// ".." or "." components, empty components, backslashes, NUL and control
// characters, invalid UTF-8, duplicate paths, hard links, devices, FIFOs and
// sparse files are rejected. Sizes are checked from the tar headers before
// data is decompressed, and the decompressed stream is cut off at
// lim.MaxUnpackedSize, so a decompression bomb costs at most that much work.
//
// "<name>-<vers>/Cargo.toml" must exist and parse as TOML, and its package
// name, version, links and rust-version must equal the metadata's.
func CheckCrate(data []byte, m *Metadata, lim Limits) (*Contents, error) {
	lim = lim.withDefaults()
	if m == nil {
		return nil, invalid("publish metadata", "", "missing")
	}
	// The prefix is built from the metadata, so it must be safe first.
	if err := validateIdent("crate name", m.Name, false); err != nil {
		return nil, err
	}
	if _, err := semver.ParseVersion(m.Vers); err != nil {
		return nil, invalidCause("version", m.Vers, semverReason(err), err)
	}
	if int64(len(data)) > lim.MaxCrateSize {
		return nil, tooLarge(".crate file", fmt.Sprintf("it is %s, more than the limit of %s", formatSize(int64(len(data))), formatSize(lim.MaxCrateSize)))
	}
	src := bytes.NewReader(data)
	gz, err := gzip.NewReader(src)
	if err != nil {
		return nil, invalidCause(".crate file", "", "not a gzip-compressed tarball (cargo package produces one): "+err.Error(), err)
	}
	gz.Multistream(false)
	counted := &limitedReader{r: gz, left: lim.MaxUnpackedSize}

	c := checker{
		lim:     lim,
		prefix:  m.Name + "-" + m.Vers + "/",
		seen:    map[string]bool{},
		wanted:  readmeCandidates(m),
		found:   map[string][]byte{},
		counted: counted,
	}
	tr := tar.NewReader(counted)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, c.streamError(counted, "reading the tar archive", err)
		}
		if err := c.entry(hdr, tr); err != nil {
			if counted.exceeded {
				return nil, c.unpackedTooLarge()
			}
			return nil, err
		}
	}
	// The rest of the gzip stream must be valid too (and stays under the cap).
	if _, err := io.Copy(io.Discard, counted); err != nil {
		return nil, c.streamError(counted, "reading the end of the gzip stream", err)
	}
	if src.Len() > 0 {
		return nil, invalid(".crate file", "", "unexpected data after the gzip stream")
	}

	if c.manifest == nil {
		return nil, invalid(".crate file", "", fmt.Sprintf("%sCargo.toml is missing; the tarball must contain the package's manifest", c.prefix))
	}
	rustVersion, err := checkManifest(c.manifest, m)
	if err != nil {
		return nil, err
	}
	out := &Contents{
		ManifestRustVersion: rustVersion,
		Files:               c.files,
		UnpackedSize:        lim.MaxUnpackedSize - counted.left,
	}
	for _, p := range c.wanted {
		if b, ok := c.found[p]; ok {
			out.Readme, out.ReadmePath = b, p
			break
		}
	}
	return out, nil
}

// readmeCandidates lists README paths (relative to the package root) in
// order of preference: the metadata's readme_file (or, for a README outside
// the package, which cargo copies to the root, its base name), then the
// usual names.
func readmeCandidates(m *Metadata) []string {
	var out []string
	if m.ReadmeFile != nil && *m.ReadmeFile != "" {
		p := strings.ReplaceAll(*m.ReadmeFile, "\\", "/")
		if clean := path.Clean(p); !path.IsAbs(clean) && clean != ".." && !strings.HasPrefix(clean, "../") && clean != "." {
			out = append(out, clean)
		}
		if base := path.Base(p); base != "." && base != ".." && base != "/" {
			out = append(out, base)
		}
	}
	return append(out, defaultReadmes...)
}

// limitedReader counts decompressed bytes and fails once more than left
// would be read.
type limitedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

var errUnpackLimit = errors.New("unpacked size limit reached")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Probe one byte: reaching the limit exactly is fine, going past it
		// is not.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, errUnpackLimit
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
