package crate

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/wharfhq/wharf/semver"
)

// Limits on free-text metadata, generous enough for every real crate.
const (
	MaxKeywords          = 5
	MaxKeywordLength     = 20
	MaxCategories        = 5
	MaxDescriptionLength = 8 << 10
	maxURLLength         = 2048
	maxShortFieldLength  = 1024
)

// Metadata is the JSON part of a publish request, as built by cargo's
// `prepare_transmit`. Unknown fields are ignored and missing fields are zero.
type Metadata struct {
	Name          string              `json:"name"`
	Vers          string              `json:"vers"`
	Deps          []Dep               `json:"deps"`
	Features      map[string][]string `json:"features"`
	Authors       []string            `json:"authors"`
	Description   *string             `json:"description"`
	Documentation *string             `json:"documentation"`
	Homepage      *string             `json:"homepage"`
	// Readme is the README text; ReadmeFile its path relative to the
	// package root.
	Readme      *string                      `json:"readme"`
	ReadmeFile  *string                      `json:"readme_file"`
	Keywords    []string                     `json:"keywords"`
	Categories  []string                     `json:"categories"`
	License     *string                      `json:"license"`
	LicenseFile *string                      `json:"license_file"`
	Repository  *string                      `json:"repository"`
	Badges      map[string]map[string]string `json:"badges"`
	Links       *string                      `json:"links"`
	RustVersion *string                      `json:"rust_version"`
}

// Dep is one dependency in the publish JSON. Name is the real package name;
// ExplicitNameInToml is the alias when the dependency is renamed.
type Dep struct {
	Name               string   `json:"name"`
	VersionReq         string   `json:"version_req"`
	Features           []string `json:"features"`
	Optional           bool     `json:"optional"`
	DefaultFeatures    bool     `json:"default_features"`
	Target             *string  `json:"target"`
	Kind               string   `json:"kind"`
	Registry           *string  `json:"registry"`
	ExplicitNameInToml *string  `json:"explicit_name_in_toml"`
	// Artifact, BindepTarget and Lib belong to the unstable artifact
	// dependencies (-Zbindeps) and are passed through.
	Artifact     []string `json:"artifact,omitempty"`
	BindepTarget *string  `json:"bindep_target,omitempty"`
	Lib          bool     `json:"lib,omitempty"`
}

// IndexName is the name the dependent uses for d, which is also the name
// features refer to: the alias when renamed, otherwise the package name.
func (d Dep) IndexName() string {
	if d.ExplicitNameInToml != nil {
		return *d.ExplicitNameInToml
	}
	return d.Name
}

// Validate checks the metadata of a publish: crate name rules, a strict
// SemVer version, every dependency, the feature map, links, rust_version,
// keywords, categories, URLs and text sizes. It returns the first problem as
// a *ValidationError.
func (m *Metadata) Validate() error {
	if m == nil {
		return invalid("publish metadata", "", "missing")
	}
	if err := ValidateName(m.Name); err != nil {
		return err
	}
	if _, err := semver.ParseVersion(m.Vers); err != nil {
		return invalidCause("version", m.Vers, semverReason(err)+" (versions must be strict SemVer, like 1.2.3 or 1.0.0-beta.1)", err)
	}
	for i := range m.Deps {
		if err := m.Deps[i].validate(); err != nil {
			return err
		}
	}
	if err := validateFeatures(m.Features, m.Deps); err != nil {
		return err
	}
	if m.Links != nil && strings.TrimSpace(*m.Links) == "" {
		return invalid("links", *m.Links, "must not be empty when set")
	}
	if m.RustVersion != nil {
		if err := semver.ValidRustVersion(*m.RustVersion); err != nil {
			return invalidCause("rust-version", *m.RustVersion, semverReason(err), err)
		}
	}
	if err := validateKeywords(m.Keywords); err != nil {
		return err
	}
	if len(m.Categories) > MaxCategories {
		return invalid("categories", "", fmt.Sprintf("expected at most %d categories per crate, got %d", MaxCategories, len(m.Categories)))
	}
	for _, c := range m.Categories {
		if err := validateText("category", c, maxShortFieldLength); err != nil {
			return err
		}
	}
	if m.Description != nil && len(*m.Description) > MaxDescriptionLength {
		return invalid("description", "", fmt.Sprintf("must be at most %d bytes long, got %d", MaxDescriptionLength, len(*m.Description)))
	}
	for _, u := range []struct {
		field string
		value *string
	}{{"homepage", m.Homepage}, {"documentation", m.Documentation}, {"repository", m.Repository}} {
		if u.value != nil {
			if err := validateURL(u.field, *u.value); err != nil {
				return err
			}
		}
	}
	for _, f := range []struct {
		field string
		value *string
	}{{"license", m.License}, {"license-file", m.LicenseFile}, {"readme_file", m.ReadmeFile}} {
		if f.value != nil {
			if err := validateText(f.field, *f.value, maxShortFieldLength); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d Dep) validate() error {
	if err := validateIdent("dependency name", d.Name, true); err != nil {
		return err
	}
	if d.ExplicitNameInToml != nil {
		if err := validateIdent(fmt.Sprintf("dependency %q renamed to", d.Name), *d.ExplicitNameInToml, true); err != nil {
			return err
		}
	}
	field := fmt.Sprintf("dependency %q", d.IndexName())
	if _, err := semver.ParseReq(d.VersionReq); err != nil {
		return invalidCause(field+" version requirement", d.VersionReq, semverReason(err), err)
	}
	switch d.Kind {
	case "", "normal", "dev", "build":
	default:
		return invalid(field+" kind", d.Kind, `must be "normal", "dev" or "build"`)
	}
	if d.Target != nil {
		if err := validateText(field+" target", *d.Target, maxShortFieldLength); err != nil {
			return err
		}
	}
	if d.Registry != nil {
		if err := validateText(field+" registry", *d.Registry, maxURLLength); err != nil {
			return err
		}
	}
	for _, f := range d.Features {
		if err := validateFeatureSyntax(field+" feature", f); err != nil {
			return err
		}
	}
	return nil
}

func validateKeywords(keywords []string) error {
	if len(keywords) > MaxKeywords {
		return invalid("keywords", "", fmt.Sprintf("expected at most %d keywords per crate, got %d", MaxKeywords, len(keywords)))
	}
	for _, k := range keywords {
		switch {
		case k == "":
			return invalid("keyword", "", "must not be empty")
		case len(k) > MaxKeywordLength:
			return invalid("keyword", k, fmt.Sprintf("must be at most %d characters long", MaxKeywordLength))
		case !isAlnum(k[0]):
			return invalid("keyword", k, "must start with an ASCII letter or digit")
		}
		for i := 1; i < len(k); i++ {
			if c := k[i]; !isAlnum(c) && c != '_' && c != '-' && c != '+' {
				return invalid("keyword", k, "must contain only ASCII letters, digits, '_', '-' and '+'")
			}
		}
	}
	return nil
}

// validateText checks a short free-text field: not blank, bounded, valid
// UTF-8 without control characters.
func validateText(field, s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return invalid(field, s, "must not be empty when set")
	case len(s) > max:
		return invalid(field, "", fmt.Sprintf("must be at most %d bytes long", max))
	case !utf8.ValidString(s):
		return invalid(field, s, "must be valid UTF-8")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid(field, s, "must not contain control characters")
	}
	return nil
}

func validateURL(field, s string) error {
	if err := validateText(field, s, maxURLLength); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, s, "must be an absolute URL beginning with http:// or https://")
	}
	return nil
}

// semverReason extracts the short reason of a semver parse error.
func semverReason(err error) string {
	var se *semver.Error
	if errors.As(err, &se) {
		return se.Reason
	}
	return err.Error()
}
