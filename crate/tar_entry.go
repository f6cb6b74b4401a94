package crate

import (
	"archive/tar"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// checker holds the state of CheckCrate while it walks the tar entries.
type checker struct {
	lim      Limits
	prefix   string          // "<name>-<vers>/"
	seen     map[string]bool // paths relative to the package root
	files    int
	manifest []byte
	wanted   []string          // README candidates, in order of preference
	found    map[string][]byte // README candidates present in the tarball
	counted  *limitedReader
}

// entry checks one tar entry and reads it when it is the manifest or a
// README candidate. r reads the entry's data.
func (c *checker) entry(hdr *tar.Header, r io.Reader) error {
	c.files++
	if c.files > c.lim.MaxFiles {
		return tooLarge(".crate file", fmt.Sprintf("it has more than %d entries", c.lim.MaxFiles))
	}

	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir, tar.TypeSymlink:
	case tar.TypeLink:
		return invalid(".crate entry", hdr.Name, "hard links are not allowed")
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return invalid(".crate entry", hdr.Name, "device files and FIFOs are not allowed")
	case tar.TypeGNUSparse:
		return invalid(".crate entry", hdr.Name, "sparse files are not allowed")
	case tar.TypeXGlobalHeader:
		return invalid(".crate file", "", "pax global headers are not allowed (cargo rejects them)")
	default:
		return invalid(".crate entry", hdr.Name, fmt.Sprintf("unsupported tar entry type %q", hdr.Typeflag))
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return invalid(".crate entry", hdr.Name, "sparse files are not allowed")
		}
	}

	rel, err := c.relPath(hdr.Name, hdr.Typeflag == tar.TypeDir)
	if err != nil {
		return err
	}
	if c.seen[rel] {
		return invalid(".crate entry", hdr.Name, "the path appears more than once in the tarball")
	}
	c.seen[rel] = true

	switch hdr.Typeflag {
	case tar.TypeDir:
		return nil
	case tar.TypeSymlink:
		return checkLinkTarget(hdr.Name, hdr.Linkname)
	}

	if hdr.Size > c.lim.MaxFileSize {
		return tooLarge(".crate file", fmt.Sprintf("%s is %s, more than the per-file limit of %s", hdr.Name, formatSize(hdr.Size), formatSize(c.lim.MaxFileSize)))
	}
	if hdr.Size > c.counted.left {
		return c.unpackedTooLarge()
	}
	switch {
	case rel == "Cargo.toml":
		if hdr.Size > maxManifestSize {
			return tooLarge(".crate file", fmt.Sprintf("%s is %s, more than the limit of %s", hdr.Name, formatSize(hdr.Size), formatSize(maxManifestSize)))
		}
		if c.manifest, err = io.ReadAll(r); err != nil {
			return c.streamError(c.counted, "reading "+hdr.Name, err)
		}
	case c.isReadmeCandidate(rel) && hdr.Size <= MaxReadmeSize:
		b, err := io.ReadAll(r)
		if err != nil {
			return c.streamError(c.counted, "reading "+hdr.Name, err)
		}
		c.found[rel] = b
	}
	return nil
}

// relPath checks an entry path and returns it relative to the package root
// ("" for the root directory itself).
func (c *checker) relPath(name string, isDir bool) (string, error) {
	if err := checkPathChars(".crate entry", name); err != nil {
		return "", err
	}
	if strings.HasPrefix(name, "/") {
		return "", invalid(".crate entry", name, "absolute paths are not allowed")
	}
	p := name
	if isDir {
		p = strings.TrimSuffix(p, "/")
		if p+"/" == c.prefix {
			return "", nil
		}
	}
	rel, ok := strings.CutPrefix(p, c.prefix)
	if !ok {
		return "", invalid(".crate entry", name, fmt.Sprintf("every path must start with %q (the crate name and version of the publish metadata)", c.prefix))
	}
	for _, part := range strings.Split(rel, "/") {
		switch part {
		case "":
			return "", invalid(".crate entry", name, "empty path components are not allowed")
		case ".", "..":
			return "", invalid(".crate entry", name, fmt.Sprintf("%q path components are not allowed", part))
		}
	}
	return rel, nil
}

// checkLinkTarget allows only symlinks that point down from their own
// directory: relative, without ".." components. Since every link then stays
// inside its directory, no chain of links can leave the package.
func checkLinkTarget(name, target string) error {
	if target == "" {
		return invalid(".crate entry", name, "symlink has an empty target")
	}
	if err := checkPathChars(".crate entry", target); err != nil {
		return err
	}
	if strings.HasPrefix(target, "/") {
		return invalid(".crate entry", name, fmt.Sprintf("symlink target %q is absolute; links must stay inside the package", target))
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			return invalid(".crate entry", name, fmt.Sprintf("symlink target %q contains \"..\"; links must stay inside the package", target))
		}
	}
	return nil
}

// checkPathChars rejects paths longer than maxPathLength, invalid UTF-8,
// control characters (including NUL) and backslashes.
func checkPathChars(field, p string) error {
	if len(p) > maxPathLength {
		return invalid(field, p[:64]+"...", fmt.Sprintf("paths must be at most %d bytes long", maxPathLength))
	}
	if !utf8.ValidString(p) {
		return invalid(field, strings.ToValidUTF8(p, "\uFFFD"), "the path is not valid UTF-8")
	}
	for _, r := range p {
		switch {
		case r < 0x20 || r == 0x7f:
			return invalid(field, p, "control characters are not allowed in paths")
		case r == '\\':
			return invalid(field, p, "backslashes are not allowed in paths")
		}
	}
	return nil
}

func (c *checker) isReadmeCandidate(rel string) bool {
	for _, w := range c.wanted {
		if w == rel {
			return true
		}
	}
	return false
}

// streamError reports an error of the gzip or tar layer.
func (c *checker) streamError(counted *limitedReader, doing string, err error) error {
	if counted.exceeded {
		return c.unpackedTooLarge()
	}
	return invalidCause(".crate file", "", fmt.Sprintf("corrupt or truncated archive while %s: %v", doing, err), err)
}

func (c *checker) unpackedTooLarge() error {
	return tooLarge(".crate file", fmt.Sprintf("it unpacks to more than %s (possible decompression bomb)", formatSize(c.lim.MaxUnpackedSize)))
}
