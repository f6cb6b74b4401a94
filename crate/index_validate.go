package crate

import (
	"fmt"
	"sort"
	"time"

	"github.com/wharfhq/wharf/semver"
)

// MaxIndexVersion is the highest index schema version ("v") written or
// accepted: 1 = base, 2 = features2, 3 = artifact dependencies.
const MaxIndexVersion = 3

// ValidateEntry checks what cargo needs to parse an index line; cargo
// silently skips a line it cannot parse, so every line is checked before it
// is written. It checks the required fields (name, vers, cksum), a strict
// SemVer vers, a cksum of 64 lowercase hex digits, every dependency's name,
// requirement and kind, the feature map's names and value syntax, v (≥ 2 when features2 is used),
// the exact pubtime format and a bare rust_version.
func ValidateEntry(e IndexEntry) error {
	if err := validateIdent("index entry name", e.Name, false); err != nil {
		return err
	}
	if _, err := semver.ParseVersion(e.Vers); err != nil {
		return invalidCause("index entry version", e.Vers, semverReason(err), err)
	}
	if !isSHA256Hex(e.Cksum) {
		return invalid("index entry cksum", e.Cksum, "must be the SHA-256 of the .crate file as 64 lowercase hex digits")
	}
	for _, d := range e.Deps {
		if err := validateIndexDep(d); err != nil {
			return err
		}
	}
	for _, fm := range []map[string][]string{e.Features, e.Features2} {
		if err := validateFeatureSyntaxMap(fm); err != nil {
			return err
		}
	}
	if e.V < 0 || e.V > MaxIndexVersion {
		return invalid("index entry v", fmt.Sprint(e.V), fmt.Sprintf("must be between 1 and %d", MaxIndexVersion))
	}
	if len(e.Features2) > 0 && e.V < 2 {
		return invalid("index entry v", fmt.Sprint(e.V), "must be at least 2 when features2 is set")
	}
	if e.Links != nil && *e.Links == "" {
		return invalid("index entry links", "", "must not be empty when set")
	}
	if e.RustVersion != nil {
		if err := semver.ValidRustVersion(*e.RustVersion); err != nil {
			return invalidCause("index entry rust_version", *e.RustVersion, semverReason(err), err)
		}
	}
	if e.Pubtime != "" {
		t, err := time.Parse(PubtimeLayout, e.Pubtime)
		if err != nil || t.Format(PubtimeLayout) != e.Pubtime {
			return invalid("index entry pubtime", e.Pubtime, "must be a UTC time formatted exactly as YYYY-MM-DDTHH:MM:SSZ")
		}
	}
	return nil
}

func validateIndexDep(d IndexDep) error {
	if err := validateIdent("index entry dependency name", d.Name, true); err != nil {
		return err
	}
	field := fmt.Sprintf("index entry dependency %q", d.Name)
	if _, err := semver.ParseReq(d.Req); err != nil {
		return invalidCause(field+" req", d.Req, semverReason(err), err)
	}
	switch d.Kind {
	case "", "normal", "dev", "build":
	default:
		return invalid(field+" kind", d.Kind, `must be "normal", "dev" or "build"`)
	}
	if d.Package != nil {
		if err := validateIdent(field+" package", *d.Package, true); err != nil {
			return err
		}
	}
	// Dependency feature lists are not checked: cargo parses them without
	// validation, and crates.io still serves lines from 2014 with
	// "features":[""].
	return nil
}

// validateFeatureSyntaxMap checks feature names and the syntax of their
// values, in sorted order for a deterministic first error.
func validateFeatureSyntaxMap(features map[string][]string) error {
	names := make([]string, 0, len(features))
	for name := range features {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := validateFeatureName("index entry feature name", name); err != nil {
			return err
		}
		for _, v := range features[name] {
			if err := validateFeatureSyntax(fmt.Sprintf("index entry feature %q value", name), v); err != nil {
				return err
			}
		}
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
