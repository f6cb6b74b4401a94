// Package uie2e is Wharf's browser acceptance test: a real OpenID provider
// with a login form (internal/oidctest), the registry with its web UI and
// identity layer wired as `wharf serve` wires them, headless Chromium
// (chromedp) for every page, and the real cargo for publishing. It has tests
// only.
package uie2e
