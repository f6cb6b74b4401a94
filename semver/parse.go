package semver

import (
	"fmt"
	"unicode/utf8"
)

// position names the part of a version being parsed, for error messages.
type position int

const (
	posMajor position = iota
	posMinor
	posPatch
	posPre
	posBuild
)

func (p position) String() string {
	switch p {
	case posMajor:
		return "major version number"
	case posMinor:
		return "minor version number"
	case posPatch:
		return "patch version number"
	case posPre:
		return "pre-release identifier"
	default:
		return "build metadata"
	}
}

// parser is a cursor over the input. Its methods return an error reason as a
// string ("" = ok) so that callers can wrap it with the kind of input.
type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

// eat consumes c if it is next.
func (p *parser) eat(c byte) bool {
	if !p.done() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) skipSpaces() {
	for !p.done() && p.s[p.i] == ' ' {
		p.i++
	}
}

// quoteNext quotes the next (possibly multi-byte) character.
func (p *parser) quoteNext() string {
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return fmt.Sprintf("%q", r)
}

// number parses a numeric identifier without leading zeros that fits in a
// uint64.
func (p *parser) number(pos position) (uint64, string) {
	start := p.i
	var v uint64
	for !p.done() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if v == 0 && p.i > start {
			return 0, "invalid leading zero in " + pos.String()
		}
		d := uint64(p.s[p.i] - '0')
		if v > (^uint64(0)-d)/10 {
			return 0, fmt.Sprintf("value of %s exceeds u64::MAX", pos)
		}
		v = v*10 + d
		p.i++
	}
	if p.i > start {
		return v, ""
	}
	if p.done() {
		return 0, "unexpected end of input while parsing " + pos.String()
	}
	return 0, fmt.Sprintf("unexpected character %s while parsing %s", p.quoteNext(), pos)
}

// dot consumes the '.' that must follow the component at pos.
func (p *parser) dot(pos position) string {
	if p.eat('.') {
		return ""
	}
	if p.done() {
		return "unexpected end of input while parsing " + pos.String()
	}
	return fmt.Sprintf("unexpected character %s after %s", p.quoteNext(), pos)
}

// identifier parses a non-empty dot-separated pre-release or build
// identifier made of [0-9A-Za-z-]. Numeric pre-release segments must not
// have leading zeros; build segments may.
func (p *parser) identifier(pos position) (string, string) {
	start := p.i
	segStart := p.i
	nonDigit := false
	for {
		c := p.peek()
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '-':
			nonDigit = true
			p.i++
			continue
		case c >= '0' && c <= '9':
			p.i++
			continue
		}
		// Boundary: end of input, '.', or any other character.
		seg := p.s[segStart:p.i]
		if seg == "" {
			return "", "empty identifier segment in " + pos.String()
		}
		if pos == posPre && len(seg) > 1 && !nonDigit && seg[0] == '0' {
			return "", "invalid leading zero in " + pos.String()
		}
		if !p.eat('.') {
			return p.s[start:p.i], ""
		}
		segStart = p.i
		nonDigit = false
	}
}

// wildcard consumes a '*', 'x' or 'X'.
func (p *parser) wildcard() (byte, bool) {
	switch c := p.peek(); c {
	case '*', 'x', 'X':
		p.i++
		return c, true
	}
	return 0, false
}
