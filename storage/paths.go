package storage

import "strings"

// Key layout. Every object Wharf stores lives under one of these prefixes;
// nothing else may be written to a Store. Backends add their own root (the
// fs directory, the S3 Config.Root) in front of these keys.
//
//	crates/<sha256[0:2]>/<sha256>.crate
//	    A published .crate file, content addressed by the lowercase hex
//	    SHA-256 of its bytes (the index "cksum"). Publishing never overwrites
//	    a different file: the same key always holds the same bytes. The two
//	    hex-digit fan-out directory keeps directories small on the fs
//	    backend and spreads S3 key ranges. Blobs whose publish transaction
//	    rolled back are orphans; the blob_gc job lists crates/ and deletes
//	    keys no crate version references. Build keys with CrateKey.
//
//	readme/<sha256>.md
//	    Reserved: rendered READMEs, content addressed like crates.
//
//	docs/...
//	    Reserved: rustdoc output and build logs uploaded by doc workers.
const (
	// PrefixCrates holds .crate files; see CrateKey.
	PrefixCrates = "crates/"
	// PrefixReadme is reserved for rendered READMEs.
	PrefixReadme = "readme/"
	// PrefixDocs is reserved for documentation builds.
	PrefixDocs = "docs/"
)

// CrateKey returns the key of the .crate file whose SHA-256 digest is
// sha256hex: crates/<sha256hex[0:2]>/<sha256hex>.crate. The digest is
// lowercased; it should be the 64 hex digits of hex.EncodeToString. Anything
// else gives a key that ValidateKey may reject, never a path outside
// crates/ (a '/' or ".." in the input makes the key invalid).
func CrateKey(sha256hex string) string {
	h := strings.ToLower(sha256hex)
	fan := h
	if len(fan) > 2 {
		fan = fan[:2]
	}
	return PrefixCrates + fan + "/" + h + ".crate"
}
