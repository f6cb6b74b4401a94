package crate

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits bounds what a publish may upload. A zero or negative field means
// the DefaultLimits value for that field.
type Limits struct {
	// MaxCrateSize bounds the compressed .crate file, in bytes.
	MaxCrateSize int64
	// MaxMetadataSize bounds the publish JSON (which includes the README
	// text), in bytes.
	MaxMetadataSize int64
	// MaxUnpackedSize bounds the whole decompressed tar stream, in bytes;
	// decompression stops as soon as it is exceeded.
	MaxUnpackedSize int64
	// MaxFileSize bounds each file in the tarball, in bytes; checked from
	// the tar header before any of the file is decompressed.
	MaxFileSize int64
	// MaxFiles bounds the number of tar entries.
	MaxFiles int
}

// DefaultLimits returns limits that accept every crate cargo accepts from
// crates.io: a 10 MiB .crate (crates.io's upload limit), 1 MiB of JSON,
// 512 MiB unpacked (cargo's own unpack limit), 256 MiB per file and 50,000
// entries.
func DefaultLimits() Limits {
	return Limits{
		MaxCrateSize:    10 << 20,
		MaxMetadataSize: 1 << 20,
		MaxUnpackedSize: 512 << 20,
		MaxFileSize:     256 << 20,
		MaxFiles:        50_000,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxCrateSize <= 0 {
		l.MaxCrateSize = d.MaxCrateSize
	}
	if l.MaxMetadataSize <= 0 {
		l.MaxMetadataSize = d.MaxMetadataSize
	}
	if l.MaxUnpackedSize <= 0 {
		l.MaxUnpackedSize = d.MaxUnpackedSize
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	return l
}

// Publish is a decoded `cargo publish` request body.
type Publish struct {
	// Meta is the decoded metadata; call Meta.Validate before trusting it.
	Meta Metadata
	// RawMeta is the JSON exactly as received.
	RawMeta []byte
	// Crate is the .crate file exactly as received; its SHA-256 is the index
	// cksum.
	Crate []byte
}

// ParsePublish reads a publish body: a u32 little-endian JSON length, the
// JSON metadata, a u32 little-endian .crate length, the .crate bytes, and
// nothing after. A length over the limit is rejected with ErrTooLarge before
// anything is allocated for it; a truncated body, trailing bytes or JSON that
// does not decode are ErrInvalid. Errors of r itself (for instance
// *http.MaxBytesError) are wrapped, not replaced.
//
// ParsePublish only decodes; Metadata.Validate and CheckCrate validate.
func ParsePublish(r io.Reader, lim Limits) (*Publish, error) {
	lim = lim.withDefaults()
	raw, err := readFrame(r, "JSON metadata", lim.MaxMetadataSize)
	if err != nil {
		return nil, err
	}
	var meta Metadata
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, invalidCause("publish metadata", "", "not valid JSON: "+err.Error(), err)
	}
	crateBytes, err := readFrame(r, ".crate file", lim.MaxCrateSize)
	if err != nil {
		return nil, err
	}
	if len(crateBytes) == 0 {
		return nil, invalid("publish body", "", "the .crate file is empty")
	}
	var one [1]byte
	switch n, err := io.ReadFull(r, one[:]); {
	case n > 0:
		return nil, invalid("publish body", "", "unexpected bytes after the .crate file")
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("read end of publish body: %w", err)
	}
	return &Publish{Meta: meta, RawMeta: raw, Crate: crateBytes}, nil
}

// readFrame reads one length-prefixed part of the publish body.
func readFrame(r io.Reader, what string, limit int64) ([]byte, error) {
	var hdr [4]byte
	switch n, err := io.ReadFull(r, hdr[:]); {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, invalid("publish body", "", fmt.Sprintf("truncated: it ends after %d of the 4 bytes of the %s length", n, what))
	default:
		return nil, fmt.Errorf("read %s length: %w", what, err)
	}
	size := int64(binary.LittleEndian.Uint32(hdr[:]))
	if size > limit {
		return nil, tooLarge("publish body", fmt.Sprintf("the %s is %s, more than the limit of %s", what, formatSize(size), formatSize(limit)))
	}
	// ReadAll grows the buffer as data arrives, so a length that lies about a
	// short body does not allocate the full size up front.
	buf, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(buf)) < size {
		return nil, invalid("publish body", "", fmt.Sprintf("truncated: it ends after %d of the %d bytes of the %s", len(buf), size, what))
	}
	return buf, nil
}
