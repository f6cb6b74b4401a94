package crate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// PubtimeLayout is the only pubtime format cargo accepts: UTC, whole
// seconds, zero padded, 20 characters.
const PubtimeLayout = "2006-01-02T15:04:05Z"

// IndexDep is one dependency in an index line. Name is what the dependent's
// code uses (the alias when renamed) and Package the real package name of a
// renamed dependency.
type IndexDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	// Registry is nil for a dependency from this registry, else the other
	// registry's index URL.
	Registry     *string  `json:"registry"`
	Package      *string  `json:"package,omitempty"`
	Artifact     []string `json:"artifact,omitempty"`
	BindepTarget *string  `json:"bindep_target,omitempty"`
	Lib          bool     `json:"lib,omitempty"`
}

// IndexEntry is one line of a crate's index file (one version).
type IndexEntry struct {
	Name     string              `json:"name"`
	Vers     string              `json:"vers"`
	Deps     []IndexDep          `json:"deps"`
	Cksum    string              `json:"cksum"`
	Features map[string][]string `json:"features"`
	// Features2 holds the features that use "dep:" or "?/" syntax, which
	// cargo < 1.60 cannot read; cargo merges it into Features.
	Features2   map[string][]string `json:"features2,omitempty"`
	Yanked      bool                `json:"yanked"`
	Links       *string             `json:"links"`
	V           int                 `json:"v,omitempty"`
	RustVersion *string             `json:"rust_version,omitempty"`
	Pubtime     string              `json:"pubtime,omitempty"`
}

// NewIndexEntry builds the index line of a validated publish, following the
// crates.io mapping: a renamed dependency gets name = explicit_name_in_toml
// and package = the real name; version_req becomes req; an empty kind
// becomes "normal"; features that use "dep:" or "?/" move to features2 with
// v = 2, so cargo older than 1.60 still sees the rest. A dependency with
// artifact fields (unstable -Zbindeps) makes the line v = 3, which stable
// cargo skips, as it should. A zero pubtime is omitted.
func NewIndexEntry(m *Metadata, cksum string, pubtime time.Time) IndexEntry {
	e := IndexEntry{
		Name:        m.Name,
		Vers:        m.Vers,
		Deps:        make([]IndexDep, 0, len(m.Deps)),
		Cksum:       cksum,
		Features:    map[string][]string{},
		Links:       copyPtr(m.Links),
		RustVersion: copyPtr(m.RustVersion),
	}
	if !pubtime.IsZero() {
		e.Pubtime = FormatPubtime(pubtime)
	}
	artifacts := false
	for _, d := range m.Deps {
		dep := IndexDep{
			Name:            d.Name,
			Req:             d.VersionReq,
			Features:        append([]string{}, d.Features...),
			Optional:        d.Optional,
			DefaultFeatures: d.DefaultFeatures,
			Target:          copyPtr(d.Target),
			Kind:            d.Kind,
			Registry:        copyPtr(d.Registry),
			Artifact:        slices.Clone(d.Artifact),
			BindepTarget:    copyPtr(d.BindepTarget),
			Lib:             d.Lib,
		}
		if d.ExplicitNameInToml != nil {
			dep.Name = *d.ExplicitNameInToml
			dep.Package = copyPtr(&d.Name)
		}
		if dep.Kind == "" {
			dep.Kind = "normal"
		}
		artifacts = artifacts || len(d.Artifact) > 0 || d.BindepTarget != nil || d.Lib
		e.Deps = append(e.Deps, dep)
	}
	for name, values := range m.Features {
		values = append([]string{}, values...)
		if slices.ContainsFunc(values, usesNewFeatureSyntax) {
			if e.Features2 == nil {
				e.Features2 = map[string][]string{}
			}
			e.Features2[name] = values
		} else {
			e.Features[name] = values
		}
	}
	if e.Features2 != nil {
		e.V = 2
	}
	if artifacts {
		e.V = 3
	}
	return e
}

func usesNewFeatureSyntax(v string) bool {
	return strings.HasPrefix(v, "dep:") || strings.Contains(v, "?/")
}

func copyPtr(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// Line returns e as one compact JSON index line without the trailing
// newline. Output is deterministic (map keys sorted, fields in struct
// order), deps and features are never null, an empty dependency kind is
// written as "normal", and HTML characters are not escaped. e is validated with ValidateEntry first, because cargo silently
// ignores a line it cannot parse.
func (e IndexEntry) Line() ([]byte, error) {
	e.Deps = slices.Clone(e.Deps)
	if e.Deps == nil {
		e.Deps = []IndexDep{}
	}
	for i := range e.Deps {
		if e.Deps[i].Features == nil {
			e.Deps[i].Features = []string{}
		}
		if e.Deps[i].Kind == "" {
			e.Deps[i].Kind = "normal"
		}
	}
	if e.Features == nil {
		e.Features = map[string][]string{}
	}
	e.Features = nonNilValues(e.Features)
	e.Features2 = nonNilValues(e.Features2)
	if err := ValidateEntry(e); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("encode index entry %s@%s: %w", e.Name, e.Vers, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// nonNilValues returns m with every nil list replaced by an empty one.
func nonNilValues(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		if v == nil {
			out[k] = []string{}
		}
	}
	return out
}

// BuildIndexFile joins index lines into an index file: each line followed by
// "\n".
func BuildIndexFile(lines [][]byte) []byte {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	out := make([]byte, 0, n)
	for _, l := range lines {
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out
}

// FormatPubtime formats t for the index pubtime field.
func FormatPubtime(t time.Time) string {
	return t.UTC().Format(PubtimeLayout)
}

// RegistryConfig is the index's config.json.
type RegistryConfig struct {
	// DL is the download URL (template); without markers cargo appends
	// "/{crate}/{version}/download".
	DL string `json:"dl"`
	// API is the web API base URL, without a trailing slash.
	API string `json:"api,omitempty"`
	// AuthRequired makes cargo send the token on every request.
	AuthRequired bool `json:"auth-required"`
}

// ConfigJSON returns config.json for a registry served at publicURL (one
// trailing slash is stripped): dl = publicURL + "/api/v1/crates" (cargo
// appends "/{crate}/{version}/download") and api = publicURL. The output is
// compact JSON without a trailing newline and without HTML escaping.
func ConfigJSON(publicURL string, authRequired bool) []byte {
	base := strings.TrimSuffix(publicURL, "/")
	cfg := RegistryConfig{DL: base + "/api/v1/crates", API: base, AuthRequired: authRequired}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding a struct of strings and a bool cannot fail.
	_ = enc.Encode(cfg)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
