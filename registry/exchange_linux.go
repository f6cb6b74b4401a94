package registry

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeDirs atomically swaps the directories a and b (both must exist)
// with renameat2(RENAME_EXCHANGE). It returns errNoExchange when b is
// missing or the file system cannot exchange.
func exchangeDirs(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return errNoExchange
	}
	return err
}
