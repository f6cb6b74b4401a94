package semver

// Matches reports whether v satisfies every comparator of r, with Cargo's
// pre-release rule: a pre-release version matches only if some comparator
// has the same major.minor.patch and a pre-release of its own (">=1.0.0-alpha"
// matches "1.0.0-beta" but not "1.5.0-alpha"; "*" matches no pre-release).
// Build metadata is ignored.
func (r Req) Matches(v Version) bool {
	for _, c := range r.comparators {
		if !c.matches(v) {
			return false
		}
	}
	if v.Pre == "" {
		return true
	}
	for _, c := range r.comparators {
		if c.preCompatible(v) {
			return true
		}
	}
	return false
}

// Matches reports whether v satisfies the single comparator c, including the
// pre-release rule.
func (c Comparator) Matches(v Version) bool {
	return c.matches(v) && (v.Pre == "" || c.preCompatible(v))
}

func (c Comparator) preCompatible(v Version) bool {
	return c.Major == v.Major && c.HasMinor && c.Minor == v.Minor &&
		c.HasPatch && c.Patch == v.Patch && c.Pre != ""
}

// matches evaluates the operator alone, without the pre-release rule.
func (c Comparator) matches(v Version) bool {
	switch c.Op {
	case OpExact, OpWildcard:
		return c.exact(v)
	case OpGreater:
		return c.greater(v)
	case OpGreaterEq:
		return c.exact(v) || c.greater(v)
	case OpLess:
		return c.less(v)
	case OpLessEq:
		return c.exact(v) || c.less(v)
	case OpTilde:
		return c.tilde(v)
	default:
		return c.caret(v)
	}
}

// exact: every component that is present is equal, and so is the pre-release.
func (c Comparator) exact(v Version) bool {
	if v.Major != c.Major ||
		(c.HasMinor && v.Minor != c.Minor) ||
		(c.HasPatch && v.Patch != c.Patch) {
		return false
	}
	return v.Pre == c.Pre
}

// greater: v is above every version the partial comparator covers.
func (c Comparator) greater(v Version) bool {
	if v.Major != c.Major {
		return v.Major > c.Major
	}
	if !c.HasMinor {
		return false
	}
	if v.Minor != c.Minor {
		return v.Minor > c.Minor
	}
	if !c.HasPatch {
		return false
	}
	if v.Patch != c.Patch {
		return v.Patch > c.Patch
	}
	return comparePre(v.Pre, c.Pre) > 0
}

// less: v is below every version the partial comparator covers.
func (c Comparator) less(v Version) bool {
	if v.Major != c.Major {
		return v.Major < c.Major
	}
	if !c.HasMinor {
		return false
	}
	if v.Minor != c.Minor {
		return v.Minor < c.Minor
	}
	if !c.HasPatch {
		return false
	}
	if v.Patch != c.Patch {
		return v.Patch < c.Patch
	}
	return comparePre(v.Pre, c.Pre) < 0
}

// tilde: ~1.2.3 is >=1.2.3, <1.3.0; ~1.2 is 1.2.x; ~1 is 1.x.
func (c Comparator) tilde(v Version) bool {
	if v.Major != c.Major || (c.HasMinor && v.Minor != c.Minor) {
		return false
	}
	if c.HasPatch && v.Patch != c.Patch {
		return v.Patch > c.Patch
	}
	return comparePre(v.Pre, c.Pre) >= 0
}

// caret: the leftmost non-zero component must not change (^1.2.3 is <2.0.0,
// ^0.2.3 is <0.3.0, ^0.0.3 is <0.0.4, ^0.0 is <0.1.0, ^0 is <1.0.0).
func (c Comparator) caret(v Version) bool {
	if v.Major != c.Major {
		return false
	}
	if !c.HasMinor {
		return true
	}
	if !c.HasPatch {
		if c.Major > 0 {
			return v.Minor >= c.Minor
		}
		return v.Minor == c.Minor
	}
	switch {
	case c.Major > 0:
		if v.Minor != c.Minor {
			return v.Minor > c.Minor
		}
		if v.Patch != c.Patch {
			return v.Patch > c.Patch
		}
	case c.Minor > 0:
		if v.Minor != c.Minor {
			return false
		}
		if v.Patch != c.Patch {
			return v.Patch > c.Patch
		}
	default:
		if v.Minor != c.Minor || v.Patch != c.Patch {
			return false
		}
	}
	return comparePre(v.Pre, c.Pre) >= 0
}
