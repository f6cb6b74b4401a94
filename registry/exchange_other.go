//go:build !linux

package registry

// exchangeDirs cannot swap atomically on this OS.
func exchangeDirs(a, b string) error { return errNoExchange }
