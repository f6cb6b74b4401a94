package cratetest

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
)

// valid returns the entries of a minimal valid crate, for hostile variants
// that add one bad entry to an otherwise acceptable tarball.
func valid(name, vers string) []Entry {
	root := name + "-" + vers + "/"
	return []Entry{
		File(root+"Cargo.toml", Manifest(name, vers, nil)),
		File(root+"src/lib.rs", "pub fn hello() {}\n"),
	}
}

// Traversal is a crate with an entry "<name>-<vers>/../../evil" that would be
// written outside the extraction directory.
func Traversal(name, vers string) []byte {
	return BuildRaw(append(valid(name, vers), File(name+"-"+vers+"/../../evil", "pwned\n")))
}

// AbsolutePath is a crate with an entry "/tmp/evil".
func AbsolutePath(name, vers string) []byte {
	return BuildRaw(append(valid(name, vers), File("/tmp/evil", "pwned\n")))
}

// OutsidePrefix is a crate with an entry outside "<name>-<vers>/".
func OutsidePrefix(name, vers string) []byte {
	return BuildRaw(append(valid(name, vers), File("other-1.0.0/src/lib.rs", "\n")))
}

// SymlinkEscape is a crate with a symlink "<name>-<vers>/escape" pointing to
// "../../../etc", outside the package.
func SymlinkEscape(name, vers string) []byte {
	return BuildRaw(append(valid(name, vers), Link(name+"-"+vers+"/escape", "../../../etc", tar.TypeSymlink)))
}

// SymlinkAbsolute is a crate with a symlink to "/etc/passwd".
func SymlinkAbsolute(name, vers string) []byte {
	return BuildRaw(append(valid(name, vers), Link(name+"-"+vers+"/passwd", "/etc/passwd", tar.TypeSymlink)))
}

// Hardlink is a crate with a hard link "<name>-<vers>/passwd" to
// "/etc/passwd".
func Hardlink(name, vers string) []byte {
	return BuildRaw(append(valid(name, vers), Link(name+"-"+vers+"/passwd", "/etc/passwd", tar.TypeLink)))
}

// Link returns a symlink or hard-link entry.
func Link(name, target string, typeflag byte) Entry {
	return Entry{Header: tar.Header{Name: name, Linkname: target, Typeflag: typeflag, Mode: 0o777, ModTime: ModTime}}
}

// Bomb is a valid crate plus parts files of zeros totalling size bytes: with
// size = 1 GiB and parts = 1 it is about 1.3 MB compressed. Every file is
// below "<name>-<vers>/", so only size limits stop it.
func Bomb(name, vers string, size int64, parts int) []byte {
	if parts < 1 {
		parts = 1
	}
	entries := valid(name, vers)
	for i := range parts {
		n := size / int64(parts)
		if i == parts-1 {
			n = size - n*int64(parts-1)
		}
		entries = append(entries, Entry{Header: tar.Header{
			Name:     fmt.Sprintf("%s-%s/zeros-%d.bin", name, vers, i),
			Typeflag: tar.TypeReg,
			Mode:     0o644,
			Size:     n,
			ModTime:  ModTime,
		}})
	}
	return buildRaw(entries, gzip.BestSpeed)
}
