package semver

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxComparators is the largest number of comma-separated comparators a
// requirement may have (the Rust semver crate's limit).
const MaxComparators = 32

// Op is a comparator operator.
type Op int

// The operators of Cargo version requirements.
const (
	OpCaret     Op = iota // ^1.2.3, and a bare 1.2.3
	OpExact               // =1.2.3
	OpGreater             // >1.2.3
	OpGreaterEq           // >=1.2.3
	OpLess                // <1.2.3
	OpLessEq              // <=1.2.3
	OpTilde               // ~1.2.3
	OpWildcard            // 1.*, 1.2.* (also x and X)
)

// String returns the operator as written in a requirement ("" for
// OpWildcard, whose "*" is printed in place of the missing component).
func (o Op) String() string {
	switch o {
	case OpExact:
		return "="
	case OpGreater:
		return ">"
	case OpGreaterEq:
		return ">="
	case OpLess:
		return "<"
	case OpLessEq:
		return "<="
	case OpTilde:
		return "~"
	case OpWildcard:
		return ""
	default:
		return "^"
	}
}

// Comparator is one operator and (possibly partial) version of a
// requirement. Build metadata written in a requirement is dropped, as cargo
// does.
type Comparator struct {
	Op       Op
	Major    uint64
	Minor    uint64
	Patch    uint64
	HasMinor bool
	HasPatch bool
	// Pre is the pre-release; only possible when HasPatch.
	Pre string
}

// String formats c the way the Rust semver crate does ("^1.2", ">=1.0.0-rc.1",
// "1.*").
func (c Comparator) String() string {
	var b strings.Builder
	b.WriteString(c.Op.String())
	b.WriteString(strconv.FormatUint(c.Major, 10))
	switch {
	case c.HasMinor:
		b.WriteString("." + strconv.FormatUint(c.Minor, 10))
		switch {
		case c.HasPatch:
			b.WriteString("." + strconv.FormatUint(c.Patch, 10))
			if c.Pre != "" {
				b.WriteString("-" + c.Pre)
			}
		case c.Op == OpWildcard:
			b.WriteString(".*")
		}
	case c.Op == OpWildcard:
		b.WriteString(".*")
	}
	return b.String()
}

// Req is a Cargo version requirement: comparators joined by commas, all of
// which must match. The zero Req is "*" and matches every release.
type Req struct {
	comparators []Comparator
}

// ParseReq parses a Cargo version requirement with the strict grammar of the
// Rust semver crate: operators < <= > >= ^ ~ = or none (caret); wildcards *,
// x, X as a whole requirement or as the minor/patch component (1.*, 1.2.x);
// only commas join comparators; spaces are allowed around operators and
// commas; at most 32 comparators. It rejects ||, hyphen ranges,
// space-separated comparators, "v" prefixes, leading zeros, != and ~>, a bare
// wildcard together with other comparators, anything after a wildcard
// component, and pre-release or build metadata on a partial version.
func ParseReq(s string) (Req, error) {
	p := parser{s: s}
	p.skipSpaces()
	if ch, ok := p.wildcard(); ok {
		p.skipSpaces()
		switch {
		case p.done():
			return Req{}, nil
		case p.peek() == ',':
			return Req{}, reqError(s, wildcardNotAlone(ch))
		default:
			return Req{}, reqError(s, "unexpected character after wildcard in version req")
		}
	}

	var cs []Comparator
	for {
		start := p.i
		c, pos, err := p.comparator()
		if err != "" {
			// A wildcard in a later comparator gets the clearer message.
			q := parser{s: s, i: start}
			if ch, ok := q.wildcard(); ok {
				q.skipSpaces()
				if q.done() || q.peek() == ',' {
					err = wildcardNotAlone(ch)
				}
			}
			return Req{}, reqError(s, err)
		}
		cs = append(cs, c)
		if p.done() {
			return Req{comparators: cs}, nil
		}
		if !p.eat(',') {
			return Req{}, reqError(s, fmt.Sprintf("expected comma after %s, found %s", pos, p.quoteNext()))
		}
		p.skipSpaces()
		if len(cs) == MaxComparators {
			return Req{}, reqError(s, "excessive number of version comparators")
		}
	}
}

func reqError(s, reason string) error {
	return &Error{Input: s, Kind: "version requirement", Reason: reason}
}

func wildcardNotAlone(ch byte) string {
	return fmt.Sprintf("wildcard req (%c) must be the only comparator in the version req", ch)
}

// comparator parses one comparator and the spaces after it. pos is the last
// part that was parsed, for the "expected comma" message.
func (p *parser) comparator() (Comparator, position, string) {
	var c Comparator
	start := p.i
	c.Op, p.i = parseOp(p.s, p.i)
	defaultOp := p.i == start
	p.skipSpaces()

	pos := posMajor
	var err string
	if c.Major, err = p.number(pos); err != "" {
		return c, pos, err
	}
	hasWildcard := false
	if p.eat('.') {
		pos = posMinor
		if _, ok := p.wildcard(); ok {
			hasWildcard = true
			if defaultOp {
				c.Op = OpWildcard
			}
		} else {
			if c.Minor, err = p.number(pos); err != "" {
				return c, pos, err
			}
			c.HasMinor = true
		}
	}
	if p.eat('.') {
		pos = posPatch
		if _, ok := p.wildcard(); ok {
			if defaultOp {
				c.Op = OpWildcard
			}
		} else if hasWildcard {
			return c, pos, "unexpected character after wildcard in version req"
		} else {
			if c.Patch, err = p.number(pos); err != "" {
				return c, pos, err
			}
			c.HasPatch = true
		}
	}
	if c.HasPatch && p.eat('-') {
		pos = posPre
		if c.Pre, err = p.identifier(pos); err != "" {
			return c, pos, err
		}
	}
	if c.HasPatch && p.eat('+') {
		pos = posBuild
		if _, err = p.identifier(pos); err != "" {
			return c, pos, err
		}
	}
	p.skipSpaces()
	return c, pos, ""
}

// parseOp reads an operator at s[i:] and returns it with the index after it.
func parseOp(s string, i int) (Op, int) {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, ">="):
		return OpGreaterEq, i + 2
	case strings.HasPrefix(rest, "<="):
		return OpLessEq, i + 2
	case strings.HasPrefix(rest, "="):
		return OpExact, i + 1
	case strings.HasPrefix(rest, ">"):
		return OpGreater, i + 1
	case strings.HasPrefix(rest, "<"):
		return OpLess, i + 1
	case strings.HasPrefix(rest, "~"):
		return OpTilde, i + 1
	case strings.HasPrefix(rest, "^"):
		return OpCaret, i + 1
	}
	return OpCaret, i
}

// Comparators returns a copy of the comparators; none means "*".
func (r Req) Comparators() []Comparator {
	return append([]Comparator(nil), r.comparators...)
}

// String formats r canonically, the way the Rust semver crate does: "*" for
// no comparators, otherwise comparators joined by ", ". ParseReq(r.String())
// yields an equal requirement.
func (r Req) String() string {
	if len(r.comparators) == 0 {
		return "*"
	}
	parts := make([]string, len(r.comparators))
	for i, c := range r.comparators {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}
