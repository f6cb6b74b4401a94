// Package semver implements Cargo-flavoured semantic versions and version
// requirements.
//
// Parsing follows the grammar of the Rust semver crate (dtolnay/semver 1.0,
// src/parse.rs), which is what cargo and crates.io use, so every string this
// package accepts is accepted by cargo and vice versa. Matching follows the
// same crate's src/eval.rs: a bare version means caret, partial versions have
// Cargo's meaning (">1.2" is ">=1.3.0"), and a pre-release version only
// matches when a comparator with the same major.minor.patch has a
// pre-release. The package does no I/O.
package semver

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (with errors.Is) by every parse error of this
// package.
var ErrInvalid = errors.New("invalid semver")

// Error is a parse error. Reason is a short explanation in the wording of the
// Rust semver crate, e.g. "unexpected character 'x' while parsing minor
// version number".
type Error struct {
	// Input is the string that failed to parse.
	Input string
	// Kind names what was parsed: "version", "version requirement" or "rust
	// version".
	Kind string
	// Reason explains what is wrong.
	Reason string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Kind, e.Input, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Version is a strict SemVer 2.0 version: MAJOR.MINOR.PATCH[-PRE][+BUILD].
type Version struct {
	Major uint64
	Minor uint64
	Patch uint64
	// Pre is the dot-separated pre-release ("alpha.1"), empty for a release.
	Pre string
	// Build is the dot-separated build metadata, empty when absent. It is
	// ignored for precedence and matching.
	Build string
}

// ParseVersion parses a strict SemVer 2.0 version: no "v" prefix, no leading
// zeros in numeric components or numeric pre-release identifiers, no
// surrounding spaces, identifiers made of [0-9A-Za-z-].
func ParseVersion(s string) (Version, error) {
	fail := func(reason string) (Version, error) {
		return Version{}, &Error{Input: s, Kind: "version", Reason: reason}
	}
	if s == "" {
		return fail("empty string, expected a semver version")
	}

	var v Version
	p := parser{s: s}
	var err string
	if v.Major, err = p.number(posMajor); err != "" {
		return fail(err)
	}
	if err = p.dot(posMajor); err != "" {
		return fail(err)
	}
	if v.Minor, err = p.number(posMinor); err != "" {
		return fail(err)
	}
	if err = p.dot(posMinor); err != "" {
		return fail(err)
	}
	if v.Patch, err = p.number(posPatch); err != "" {
		return fail(err)
	}
	pos := posPatch
	if p.eat('-') {
		pos = posPre
		if v.Pre, err = p.identifier(posPre); err != "" {
			return fail(err)
		}
	}
	if p.eat('+') {
		pos = posBuild
		if v.Build, err = p.identifier(posBuild); err != "" {
			return fail(err)
		}
	}
	if !p.done() {
		return fail(fmt.Sprintf("unexpected character %s after %s", p.quoteNext(), pos))
	}
	return v, nil
}

// String returns the canonical form, including build metadata.
func (v Version) String() string {
	s := v.Key()
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// Key returns the canonical form without build metadata. Two versions with
// the same Key are the same version for the index ("1.0.7" and
// "1.0.7+extra" clash).
func (v Version) Key() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// IsPrerelease reports whether v has a pre-release part.
func (v Version) IsPrerelease() bool { return v.Pre != "" }

// Compare returns -1, 0 or +1 by SemVer precedence. Build metadata is
// ignored, so Compare returning 0 does not imply v == o.
func (v Version) Compare(o Version) int {
	if c := cmpUint(v.Major, o.Major); c != 0 {
		return c
	}
	if c := cmpUint(v.Minor, o.Minor); c != 0 {
		return c
	}
	if c := cmpUint(v.Patch, o.Patch); c != 0 {
		return c
	}
	return comparePre(v.Pre, o.Pre)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// comparePre orders pre-release strings by SemVer precedence: a release
// (empty pre) sorts after every pre-release; identifiers are compared one by
// one, numeric ones numerically and below alphanumeric ones, and a shorter
// list of equal identifiers sorts first.
func comparePre(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := compareIdent(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(as)), uint64(len(bs)))
}

func compareIdent(a, b string) int {
	an, bn := isNumeric(a), isNumeric(b)
	switch {
	case an && bn:
		// No leading zeros (or the identifier is in build metadata, which is
		// never compared), so a longer number is a bigger one. This also
		// works for numbers beyond uint64.
		if c := cmpUint(uint64(len(a)), uint64(len(b))); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

func isNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ValidRustVersion checks a minimum supported Rust version as cargo accepts
// it in `rust-version` and in the index `rust_version` field: a bare "1",
// "1.70" or "1.70.0", with no operator, pre-release or build metadata (and,
// stricter than cargo, no surrounding spaces).
func ValidRustVersion(s string) error {
	fail := func(reason string) error {
		return &Error{Input: s, Kind: "rust version", Reason: reason}
	}
	if s == "" {
		return fail("empty string, expected a version like \"1.70\"")
	}
	p := parser{s: s}
	for i, pos := range []position{posMajor, posMinor, posPatch} {
		if i > 0 && !p.eat('.') {
			break
		}
		if _, err := p.number(pos); err != "" {
			return fail(err)
		}
	}
	if p.done() {
		return nil
	}
	switch {
	case strings.HasPrefix(s[p.i:], "-"):
		return fail("unexpected pre-release, expected a version like \"1.70\"")
	case strings.HasPrefix(s[p.i:], "+"):
		return fail("unexpected build metadata, expected a version like \"1.70\"")
	}
	return fail(fmt.Sprintf("unexpected character %s, expected a version like \"1.70\"", p.quoteNext()))
}
