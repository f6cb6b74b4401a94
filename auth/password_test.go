package auth

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPassword(t *testing.T) {
	t.Parallel()

	t.Run("HashAndVerify", func(t *testing.T) {
		t.Parallel()
		h, err := HashPassword("correct horse battery")
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
		ok, err := VerifyPassword(h, "correct horse battery")
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = VerifyPassword(h, "correct horse batterY")
		require.NoError(t, err)
		require.False(t, ok)
		h2, err := HashPassword("correct horse battery")
		require.NoError(t, err)
		require.NotEqual(t, h, h2, "salted")
	})

	t.Run("LengthRules", func(t *testing.T) {
		t.Parallel()
		_, err := HashPassword("short")
		require.ErrorContains(t, err, "at least")
		_, err = HashPassword(strings.Repeat("x", MaxPasswordLen+1))
		require.ErrorContains(t, err, "at most")
	})

	t.Run("Malformed", func(t *testing.T) {
		t.Parallel()
		for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=19$m=0,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA"} {
			_, err := VerifyPassword(h, "whatever-password")
			require.ErrorIs(t, err, ErrBadPasswordHash, h)
		}
	})
}
