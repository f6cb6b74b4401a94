package crate

import (
	"fmt"
	"sort"
	"strings"
)

// validateFeatureName checks a feature name with cargo's rules restricted to
// ASCII: not empty, first character a letter, digit or '_', the rest
// letters, digits, '_', '-', '+' or '.'. (Cargo also allows non-ASCII
// Unicode XID characters; Wharf does not.)
func validateFeatureName(field, name string) error {
	if name == "" {
		return invalid(field, "", "must not be empty")
	}
	if len(name) > maxShortFieldLength {
		return invalid(field, "", fmt.Sprintf("must be at most %d bytes long", maxShortFieldLength))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 0x80:
			return invalid(field, name, "must contain only ASCII characters")
		case i == 0 && !isAlnum(c) && c != '_':
			return invalid(field, name, "must start with an ASCII letter, digit or '_'")
		case !isAlnum(c) && c != '_' && c != '-' && c != '+' && c != '.':
			return invalid(field, name, fmt.Sprintf("invalid character %q: only ASCII letters, digits, '_', '-', '+' and '.' are allowed", c))
		}
	}
	return nil
}

// featureValue is one parsed entry of a feature's list.
type featureValue struct {
	kind    featureKind
	dep     string // dependency name for dep:x, x/f and x?/f
	feature string // feature name for plain values, x/f and x?/f
}

type featureKind int

const (
	featurePlain   featureKind = iota // "std": another feature or an optional dependency
	featureDep                        // "dep:serde": enables an optional dependency
	featureDepFeat                    // "serde/std": enables the dependency and its feature
	featureWeak                       // "serde?/std": the feature, only if the dependency is enabled
)

// parseFeatureValue parses the syntax of a feature value (the same syntax is
// used by dependency feature lists): "feat", "dep:name", "name/feat" or
// "name?/feat".
func parseFeatureValue(field, s string) (featureValue, error) {
	if dep, feat, ok := strings.Cut(s, "/"); ok {
		if strings.HasPrefix(dep, "dep:") {
			return featureValue{}, invalid(field, s, "`dep:` cannot be combined with `/`; remove the `dep:` prefix")
		}
		if strings.Contains(feat, "/") {
			return featureValue{}, invalid(field, s, "multiple slashes are not allowed")
		}
		v := featureValue{kind: featureDepFeat, dep: dep, feature: feat}
		if d, weak := strings.CutSuffix(dep, "?"); weak {
			v.kind, v.dep = featureWeak, d
		}
		if err := validateIdent(field+" dependency", v.dep, true); err != nil {
			return featureValue{}, err
		}
		if err := validateFeatureName(field, v.feature); err != nil {
			return featureValue{}, err
		}
		return v, nil
	}
	if dep, ok := strings.CutPrefix(s, "dep:"); ok {
		if err := validateIdent(field+" dependency", dep, true); err != nil {
			return featureValue{}, err
		}
		return featureValue{kind: featureDep, dep: dep}, nil
	}
	if err := validateFeatureName(field, s); err != nil {
		return featureValue{}, err
	}
	return featureValue{kind: featurePlain, feature: s}, nil
}

// validateFeatureSyntax checks one value of a dependency's feature list.
func validateFeatureSyntax(field, s string) error {
	_, err := parseFeatureValue(field, s)
	return err
}

// validateFeatures checks the feature map the way cargo does when it builds
// a package's feature map: valid names and values; "dep:x" and "x?/f" need an
// optional dependency x; "x/f" needs a dependency x; a plain value is another
// feature or an optional dependency that still has its implicit feature (no
// "dep:x" anywhere). Dependencies are referred to by IndexName (the alias of
// a renamed dependency).
func validateFeatures(features map[string][]string, deps []Dep) error {
	isDep := map[string]bool{}
	isOptional := map[string]bool{}
	for _, d := range deps {
		isDep[d.IndexName()] = true
		isOptional[d.IndexName()] = isOptional[d.IndexName()] || d.Optional
	}

	// Sorted for a deterministic first error.
	names := make([]string, 0, len(features))
	for name := range features {
		names = append(names, name)
	}
	sort.Strings(names)

	parsed := make(map[string][]featureValue, len(features))
	hidden := map[string]bool{} // optional deps named with dep:, which lose the implicit feature
	for _, name := range names {
		if err := validateFeatureName("feature name", name); err != nil {
			return err
		}
		field := fmt.Sprintf("feature %q value", name)
		for _, s := range features[name] {
			v, err := parseFeatureValue(field, s)
			if err != nil {
				return err
			}
			parsed[name] = append(parsed[name], v)
			if v.kind == featureDep {
				hidden[v.dep] = true
			}
		}
	}

	for _, name := range names {
		field := fmt.Sprintf("feature %q value", name)
		for i, v := range parsed[name] {
			s := features[name][i]
			switch v.kind {
			case featureDep:
				if !isOptional[v.dep] {
					return invalid(field, s, fmt.Sprintf("%q is not an optional dependency", v.dep))
				}
			case featureWeak:
				if !isOptional[v.dep] {
					return invalid(field, s, fmt.Sprintf("%q is not an optional dependency; a `?` is only allowed for optional dependencies", v.dep))
				}
			case featureDepFeat:
				if !isDep[v.dep] {
					return invalid(field, s, fmt.Sprintf("%q is not a dependency", v.dep))
				}
			case featurePlain:
				if _, ok := features[v.feature]; ok {
					continue
				}
				if isOptional[v.feature] && !hidden[v.feature] {
					continue
				}
				if isOptional[v.feature] {
					return invalid(field, s, fmt.Sprintf("%q is an optional dependency without an implicit feature; use \"dep:%s\"", v.feature, v.feature))
				}
				return invalid(field, s, "it is neither a feature nor an optional dependency")
			}
		}
	}
	return nil
}
