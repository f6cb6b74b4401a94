package auth

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	s1, h1, err := NewToken()
	require.NoError(t, err)
	s2, _, err := NewToken()
	require.NoError(t, err)
	require.NotEqual(t, s1, s2)
	require.Equal(t, HashToken(s1), h1)
	require.Len(t, h1, 64)
	require.Contains(t, s1, TokenPrefix)
}

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:wharf_x"))
	cases := []struct {
		name, header string
		want         Credential
		ok           bool
		err          bool
	}{
		{"empty", "", Credential{}, false, false},
		{"raw token as cargo sends it", "wharf_abc", Credential{Secret: "wharf_abc"}, true, false},
		{"bearer", "Bearer wharf_abc", Credential{Secret: "wharf_abc"}, true, false},
		{"bearer case-insensitive", "bearer wharf_abc", Credential{Secret: "wharf_abc"}, true, false},
		{"basic login:secret", basic, Credential{Secret: "wharf_x", Login: "alice"}, true, false},
		{"basic bad base64", "Basic !!!", Credential{}, false, true},
		{"basic without colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice")), Credential{}, false, true},
		{"empty bearer", "Bearer ", Credential{}, false, true},
		{"unknown scheme", "Digest abc", Credential{}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := ParseAuthorization(tc.header)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestPrincipalScopes(t *testing.T) {
	t.Parallel()
	ro := &Principal{Scopes: ReadOnlyScopes, IsAdmin: true}
	require.False(t, ro.CanWrite())
	require.False(t, ro.ActsAsAdmin(), "a read-only token of an admin is not admin")
	rw := &Principal{Scopes: WriteScopes}
	require.True(t, rw.Has(ScopeYank))
	require.False(t, rw.ActsAsAdmin())
	pat := &Principal{Scopes: WriteScopes, CratePattern: "acme-*"}
	require.True(t, pat.CoversCrate("acme-core"))
	require.True(t, pat.CoversCrate("ACME-core"))
	require.False(t, pat.CoversCrate("other"))
	var anon *Principal
	require.False(t, anon.Has(ScopeRead))
	require.Equal(t, WriteScopes, ParseScopes(FormatScopes(WriteScopes)))
}
