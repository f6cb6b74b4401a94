// Package auth holds Wharf's credential formats: API token generation and
// hashing, parsing of the Authorization header (raw token, Bearer, Basic) and
// the authenticated Principal with its scopes.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// TokenPrefix starts every Wharf token so leaked tokens are easy to grep.
const TokenPrefix = "wharf_"

// ErrMalformed is returned for an Authorization header that cannot be parsed.
var ErrMalformed = errors.New("malformed authorization header")

// NewToken returns a fresh random secret (shown once) and its hash (stored).
func NewToken() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret), nil
}

// HashToken is the at-rest form of a token: hex SHA-256. Tokens carry 256
// bits of entropy, so a fast hash is enough; lookups go by hash, so no
// secret-dependent comparison happens in Go.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// DisplayPrefix is the non-secret part of a token shown in listings.
func DisplayPrefix(secret string) string {
	if len(secret) > len(TokenPrefix)+6 {
		return secret[:len(TokenPrefix)+6]
	}
	return secret
}

// Credential is what an Authorization header carried.
type Credential struct {
	Secret string
	Login  string // set for Basic credentials
}

// ParseAuthorization accepts the raw token (what cargo sends), "Bearer
// <token>" and "Basic base64(login:token)" (Cratery compatibility). An empty
// header returns ok=false and no error.
func ParseAuthorization(h string) (Credential, bool, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return Credential{}, false, nil
	}
	scheme, rest, hasSpace := strings.Cut(h, " ")
	switch {
	case hasSpace && strings.EqualFold(scheme, "Bearer"):
		tok := strings.TrimSpace(rest)
		if tok == "" {
			return Credential{}, false, ErrMalformed
		}
		return Credential{Secret: tok}, true, nil
	case hasSpace && strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return Credential{}, false, ErrMalformed
		}
		login, secret, ok := strings.Cut(string(raw), ":")
		if !ok || secret == "" {
			return Credential{}, false, ErrMalformed
		}
		return Credential{Secret: secret, Login: login}, true, nil
	case hasSpace, strings.EqualFold(h, "Bearer"), strings.EqualFold(h, "Basic"):
		return Credential{}, false, ErrMalformed
	}
	return Credential{Secret: h}, true, nil
}
