package crate

import (
	"fmt"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Shape limits applied before the TOML parser runs. The parser's cost grows
// with the square of the nesting depth and of dotted-key length (a 1 MiB
// manifest of nested inline tables takes hours), and even within those
// limits each inline table and dotted key is expensive (seconds for 1 MiB),
// while real manifests nest 3 or 4 levels deep and have a few hundred
// inline tables (one per dependency) and dotted keys at most.
const (
	maxTOMLDepth        = 16
	maxTOMLKeyPathLen   = 16
	maxTOMLInlineTables = 10_000
	maxTOMLDots         = 20_000
)

// checkManifest parses the Cargo.toml of a .crate file and compares it with
// the publish metadata. It returns `package.rust-version` ("" if absent).
func checkManifest(data []byte, m *Metadata) (string, error) {
	if !utf8.Valid(data) {
		return "", invalid("Cargo.toml", "", "not valid UTF-8")
	}
	if err := checkTOMLShape(data); err != nil {
		return "", err
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return "", invalidCause("Cargo.toml", "", "not valid TOML: "+err.Error(), err)
	}
	pkg, ok := doc["package"].(map[string]any)
	if !ok {
		// Manifests older than the [package] table used [project].
		if pkg, ok = doc["project"].(map[string]any); !ok {
			return "", invalid("Cargo.toml", "", "it has no [package] table")
		}
	}

	name, err := manifestString(pkg, "name")
	if err != nil {
		return "", err
	}
	if name == nil || *name != m.Name {
		return "", mismatch("name", name, &m.Name)
	}
	version, err := manifestString(pkg, "version")
	if err != nil {
		return "", err
	}
	if version == nil || *version != m.Vers {
		return "", mismatch("version", version, &m.Vers)
	}
	links, err := manifestString(pkg, "links")
	if err != nil {
		return "", err
	}
	if !equalPtr(links, m.Links) {
		return "", mismatch("links", links, m.Links)
	}
	rustVersion, err := manifestString(pkg, "rust-version")
	if err != nil {
		return "", err
	}
	if !equalPtr(rustVersion, m.RustVersion) {
		return "", mismatch("rust-version", rustVersion, m.RustVersion)
	}
	if rustVersion == nil {
		return "", nil
	}
	return *rustVersion, nil
}

// manifestString returns package.<key> when it is a string, nil when absent.
func manifestString(pkg map[string]any, key string) (*string, error) {
	v, ok := pkg[key]
	if !ok {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, invalid("Cargo.toml", "", fmt.Sprintf("package.%s must be a string (the .crate must contain the normalized manifest written by cargo package)", key))
	}
	return &s, nil
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func mismatch(key string, manifest, meta *string) error {
	show := func(s *string) string {
		if s == nil {
			return "absent"
		}
		return fmt.Sprintf("%q", *s)
	}
	return invalid("Cargo.toml", "", fmt.Sprintf("package.%s is %s but the publish metadata says %s; they must match", key, show(manifest), show(meta)))
}

// checkTOMLShape rejects TOML whose shape would make parsing slow: more than
// maxTOMLDepth open brackets or braces, more than maxTOMLKeyPathLen dots
// between two separators, or more than maxTOMLInlineTables braces or
// maxTOMLDots dots in all. Strings and comments are skipped, so their content
// never counts.
func checkTOMLShape(data []byte) error {
	depth, dots := 0, 0
	totalTables, totalDots := 0, 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			dots = 0
		case '"', '\'':
			i = skipTOMLString(data, i)
		case '[', '{':
			if c == '{' {
				totalTables++
				if totalTables > maxTOMLInlineTables {
					return invalid("Cargo.toml", "", fmt.Sprintf("it has more than %d inline tables", maxTOMLInlineTables))
				}
			}
			depth++
			dots = 0
			if depth > maxTOMLDepth {
				return invalid("Cargo.toml", "", fmt.Sprintf("arrays, tables or inline tables are nested more than %d levels deep", maxTOMLDepth))
			}
		case ']', '}':
			depth--
			dots = 0
		case '=', ',', '\n':
			dots = 0
		case '.':
			totalDots++
			if totalDots > maxTOMLDots {
				return invalid("Cargo.toml", "", fmt.Sprintf("it has more than %d dots outside strings", maxTOMLDots))
			}
			dots++
			if dots > maxTOMLKeyPathLen {
				return invalid("Cargo.toml", "", fmt.Sprintf("a dotted key has more than %d parts", maxTOMLKeyPathLen+1))
			}
		}
	}
	return nil
}

// skipTOMLString returns the index of the last byte of the string starting
// at data[i] (one of the four TOML string forms), or len(data) if it is not
// closed.
func skipTOMLString(data []byte, i int) int {
	q := data[i]
	multi := i+2 < len(data) && data[i+1] == q && data[i+2] == q
	if multi {
		for j := i + 3; j+2 < len(data); j++ {
			if q == '"' && data[j] == '\\' {
				j++
				continue
			}
			if data[j] == q && data[j+1] == q && data[j+2] == q {
				// Up to two more quotes may belong to the content.
				for j+3 < len(data) && data[j+3] == q {
					j++
				}
				return j + 2
			}
		}
		return len(data)
	}
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			if q == '"' {
				j++
			}
		case q, '\n':
			return j
		}
	}
	return len(data)
}
