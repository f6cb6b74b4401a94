package storage

import (
	"fmt"
	"strings"
)

// MaxKeyLen is the longest key, in bytes, that ValidateKey accepts.
const MaxKeyLen = 1024

// ValidateKey reports whether key is a valid object key, with an error
// wrapping ErrInvalidKey if not. A valid key
//
//   - is non-empty and at most MaxKeyLen bytes;
//   - is a '/'-separated list of non-empty segments (no leading, trailing or
//     doubled '/');
//   - has segments made only of ASCII letters, digits, '.', '_' and '-';
//   - has no "." or ".." segment.
//
// These rules keep keys portable across backends and guarantee that a key
// maps to a path inside a filesystem root.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: key is %d bytes, more than %d", ErrInvalidKey, len(key), MaxKeyLen)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := validateSegment(seg); err != nil {
			return fmt.Errorf("%w: key %q: %s", ErrInvalidKey, key, err)
		}
	}
	return nil
}

// ValidatePrefix reports whether prefix is a valid List prefix, with an error
// wrapping ErrInvalidKey if not. The empty prefix is valid. Every segment
// before the last '/' must be a valid key segment; the last (partial)
// segment may be empty or any run of key characters.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxKeyLen {
		return fmt.Errorf("%w: prefix is %d bytes, more than %d", ErrInvalidKey, len(prefix), MaxKeyLen)
	}
	dir, partial := SplitPrefix(prefix)
	if dir != "" {
		for seg := range strings.SplitSeq(strings.TrimSuffix(dir, "/"), "/") {
			if err := validateSegment(seg); err != nil {
				return fmt.Errorf("%w: prefix %q: %s", ErrInvalidKey, prefix, err)
			}
		}
	}
	for i := range len(partial) {
		if !isKeyChar(partial[i]) {
			return fmt.Errorf("%w: prefix %q: byte %q not allowed", ErrInvalidKey, prefix, partial[i])
		}
	}
	return nil
}

// SplitPrefix splits a List prefix after its last '/': "crates/ab" gives
// ("crates/", "ab"), "crates/" gives ("crates/", ""), "cr" gives ("", "cr").
func SplitPrefix(prefix string) (dir, partial string) {
	i := strings.LastIndexByte(prefix, '/')
	return prefix[:i+1], prefix[i+1:]
}

// IsValidSegment reports whether name is a valid key segment. Backends that
// walk a directory tree use it to skip names that cannot be keys (such as
// their own temporary files).
func IsValidSegment(name string) bool {
	return validateSegment(name) == nil
}

func validateSegment(seg string) error {
	switch seg {
	case "":
		return fmt.Errorf("empty segment")
	case ".", "..":
		return fmt.Errorf("%q segment not allowed", seg)
	}
	for i := range len(seg) {
		if !isKeyChar(seg[i]) {
			return fmt.Errorf("byte %q not allowed", seg[i])
		}
	}
	return nil
}

func isKeyChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}
