package crate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
)

func TestIndexPath(t *testing.T) {
	t.Parallel()

	tests := []struct{ name, want string }{
		{"a", "1/a"},                   // one character
		{"ab", "2/ab"},                 // two characters
		{"foo", "3/f/foo"},             // three characters
		{"serde", "se/rd/serde"},       // four or more
		{"MyCrate", "my/cr/mycrate"},   // lowercased
		{"cfg-if", "cf/g-/cfg-if"},     // hyphen kept
		{"my_crate", "my/_c/my_crate"}, // underscore kept
		{"abcd", "ab/cd/abcd"},         // exactly four
		{"", ""},                       // empty
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, crate.IndexPath(tt.name), tt.name)
	}
}

func TestNameKey(t *testing.T) {
	t.Parallel()

	tests := []struct{ in, want string }{
		{"serde", "serde"},           // unchanged
		{"Serde_JSON", "serde_json"}, // lowercased
		{"cfg-if", "cfg_if"},         // hyphen becomes underscore
		{"My-Crate_x", "my_crate_x"}, // both
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, crate.NameKey(tt.in), tt.in)
	}
	// -/_ and case variants collide
	require.Equal(t, crate.NameKey("foo-bar"), crate.NameKey("FOO_bar"))
}

func TestParseIndexPath(t *testing.T) {
	t.Parallel()

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()

		tests := []struct{ path, name string }{
			{"1/a", "a"},                   // one character
			{"2/ab", "ab"},                 // two characters
			{"3/f/foo", "foo"},             // three characters
			{"my/cr/mycrate", "mycrate"},   // four or more
			{"cf/g-/cfg-if", "cfg-if"},     // hyphen
			{"my/_c/my_crate", "my_crate"}, // underscore
		}
		for _, tt := range tests {
			name, err := crate.ParseIndexPath(tt.path)
			require.NoError(t, err, tt.path)
			require.Equal(t, tt.name, name, tt.path)
			require.Equal(t, tt.path, crate.IndexPath(name))
		}
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		for _, p := range []string{
			"",                        // empty
			"config.json",             // not an index file (handled by the caller)
			"../x",                    // traversal
			"../../etc/passwd",        // traversal
			"%2e%2e/x",                // escaped traversal
			"3/f/%66oo",               // any escape
			"3/f/../../x",             // traversal inside
			"3/f/..",                  // dot-dot name
			"3\\f\\foo",               // backslashes
			"/3/f/foo",                // absolute
			"3//f/foo",                // empty segment
			"3/f/foo/",                // trailing slash
			"3/f/foo\x00",             // NUL
			"3/F/Foo",                 // upper case
			"My/Cr/MyCrate",           // upper case
			"3/g/foo",                 // wrong directory
			"2/foo",                   // wrong length directory
			"fo/o/foo",                // wrong layout
			"1/a/b",                   // extra segment
			"se/rd/serde/extra",       // extra segment
			"3/s/std",                 // reserved name
			"3/1/1ab",                 // invalid name
			"3/./foo",                 // dot segment
			"./3/f/foo",               // dot prefix
			"3/f/foo.json",            // dot in name
			"ca/fé/café",              // non-ASCII
			strings.Repeat("a/", 200), // long junk
		} {
			name, err := crate.ParseIndexPath(p)
			requireInvalid(t, err, "index path", p)
			require.Empty(t, name, p)
		}
	})
}

func TestValidateName(t *testing.T) {
	t.Parallel()

	t.Run("Accepted", func(t *testing.T) {
		t.Parallel()

		for _, name := range []string{
			"a",                           // one letter
			"serde",                       // plain
			"MyCrate",                     // mixed case
			"serde_json",                  // underscore
			"cfg-if",                      // hyphen
			"x86",                         // digits after the first letter
			"a-_-b",                       // mixed separators
			"z" + strings.Repeat("a", 63), // 64 characters
			"stdx",                        // starts like a reserved name
			"com10",                       // not a device name
			"testing",                     // not "test"
			"debug",                       // reserved on crates.io, fine here
		} {
			require.NoError(t, crate.ValidateName(name), name)
		}
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name string
			want string
		}{
			{"", `invalid crate name: must not be empty`},                          // empty
			{strings.Repeat("a", 65), "must be at most 64 characters long"},        // too long
			{"1x", `invalid crate name "1x": must not start with a digit`},         // digit first
			{"_foo", `invalid crate name "_foo": must start with an ASCII letter`}, // underscore first
			{"-foo", "must start with an ASCII letter"},                            // hyphen first
			{"foo.bar", `invalid character '.'`},                                   // dot
			{"foo bar", `invalid character ' '`},                                   // space
			{"foo/bar", `invalid character '/'`},                                   // slash
			{"../x", `invalid character '.'`},                                      // traversal
			{"café", "must contain only ASCII characters"},                         // non-ASCII
			{"foo\x00", `invalid character '\x00'`},                                // NUL
			{"nul", "the name is reserved"},                                        // Windows device
			{"CON", "the name is reserved"},                                        // device, any case
			{"com1", "the name is reserved"},                                       // COM port
			{"LPT9", "the name is reserved"},                                       // LPT port
			{"std", "the name is reserved"},                                        // sysroot
			{"Core", "the name is reserved"},                                       // sysroot, any case
			{"alloc", "the name is reserved"},                                      // sysroot
			{"proc-macro", "the name is reserved"},                                 // hyphen variant
			{"proc_macro", "the name is reserved"},                                 // underscore variant
			{"test", "the name is reserved"},                                       // sysroot
			{"compiler-builtins", "the name is reserved"},                          // sysroot
			{"rustc", "the name is reserved"},                                      // toolchain
			{"cargo", "the name is reserved"},                                      // toolchain
			{"crates-io", "the name is reserved"},                                  // registry
			{"Crates_IO", "the name is reserved"},                                  // registry, any form
		}
		for _, tt := range tests {
			requireInvalid(t, crate.ValidateName(tt.name), tt.want, tt.name)
		}
	})
}
