// Package zitadeltest drives Wharf's OIDC login end to end against a real
// OpenID provider with a login form (zitadel's example OP, started once per
// test binary by internal/oidctest). It has tests only.
package zitadeltest
