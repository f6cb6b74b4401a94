package crate

import (
	"fmt"
	"strings"
)

// MaxNameLength is the longest crate name accepted (crates.io's limit).
const MaxNameLength = 64

// reservedNames cannot be published. Keys are in NameKey form and names are
// compared by NameKey, so "Proc-Macro" and "crates-io" are reserved too.
//
//   - Windows device names: a directory with such a name cannot be created
//     on Windows, so the crate could not be unpacked or cached there.
//   - The sysroot crates (std, core, alloc, proc_macro, test,
//     compiler_builtins): `extern crate` and `--extern` would be ambiguous.
//   - Names of the toolchain and the registry itself (rust, rustc, rustdoc,
//     cargo, crates, crates-io), which would mislead users.
//
// crates.io reserves a longer historical list (ast, debug, driver, ...); a
// private registry does not need those, so they stay available.
var reservedNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range []string{
		"nul", "con", "prn", "aux",
		"com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
		"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
		"std", "core", "alloc", "proc_macro", "test", "compiler_builtins",
		"rust", "rustc", "rustdoc", "cargo", "crates", "crates_io",
	} {
		m[n] = true
	}
	return m
}()

// ValidateName checks a crate name against the crates.io rules: not empty,
// at most 64 characters, ASCII only, starting with a letter, made of
// letters, digits, '-' and '_', and not reserved.
func ValidateName(name string) error {
	if err := validateIdent("crate name", name, false); err != nil {
		return err
	}
	if reservedNames[NameKey(name)] {
		return invalid("crate name", name, "the name is reserved (Windows device names, Rust sysroot and toolchain names); choose another name")
	}
	return nil
}

// validateIdent checks the shared character rules of crate names and
// dependency names. Dependency names (and their aliases) may start with '_',
// as cargo allows; crate names to publish must start with a letter.
func validateIdent(field, name string, allowUnderscoreStart bool) error {
	if name == "" {
		return invalid(field, "", "must not be empty")
	}
	if len(name) > MaxNameLength {
		return invalid(field, name, fmt.Sprintf("must be at most %d characters long", MaxNameLength))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 {
			return invalid(field, name, "must contain only ASCII characters")
		}
		if !isAlnum(c) && c != '-' && c != '_' {
			return invalid(field, name, fmt.Sprintf("invalid character %q: only letters, digits, '-' and '_' are allowed", c))
		}
	}
	switch c := name[0]; {
	case isAlpha(c):
	case c == '_' && allowUnderscoreStart:
	case isDigit(c):
		return invalid(field, name, "must not start with a digit")
	case allowUnderscoreStart:
		return invalid(field, name, "must start with an ASCII letter or '_'")
	default:
		return invalid(field, name, "must start with an ASCII letter")
	}
	return nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// NameKey returns the uniqueness key of a crate name: lowercase with '-'
// replaced by '_'. Two crates whose keys are equal cannot coexist.
func NameKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "-", "_")
}

// IndexPath returns the path of a crate's index file below the index root,
// computed from the lowercased name: "1/a", "2/ab", "3/f/foo",
// "my/cr/mycrate".
func IndexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 0:
		return ""
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

// ParseIndexPath is the inverse of IndexPath for request paths. p is the raw,
// still-escaped path below the index root (e.g. "3/f/foo"). It returns the
// lowercased crate name only when p is exactly IndexPath(name) for a valid,
// lowercase crate name; anything else ("../x", "%2e%2e/x", "3/f/../../x",
// backslashes, absolute paths, empty segments, NUL, upper case, a name in
// the wrong directory) is an error, which callers answer with 404.
func ParseIndexPath(p string) (string, error) {
	// The longest valid path is "ab/cd/" + 64 characters.
	if p == "" || len(p) > MaxNameLength+6 {
		return "", invalid("index path", p, "not an index file path")
	}
	if strings.ContainsAny(p, "%\\\x00") || strings.HasPrefix(p, "/") {
		return "", invalid("index path", p, "not an index file path")
	}
	name := p[strings.LastIndexByte(p, '/')+1:]
	if name != strings.ToLower(name) {
		return "", invalid("index path", p, "index paths are lowercase")
	}
	if err := ValidateName(name); err != nil {
		return "", invalid("index path", p, "not an index file path ("+err.Error()+")")
	}
	if IndexPath(name) != p {
		return "", invalid("index path", p, "not an index file path")
	}
	return name, nil
}
