package crate

import (
	"bytes"
	"encoding/json"
	"strings"
)

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
