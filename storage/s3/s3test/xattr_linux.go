package s3test

import (
	"os"
	"path/filepath"
	"syscall"
)

// probeXattr checks that files in dir can carry user extended attributes,
// which versitygw's posix backend needs unless it runs with --sidecar.
func probeXattr(dir string) error {
	name := filepath.Join(dir, ".xattr-probe")
	if err := os.WriteFile(name, nil, 0o600); err != nil {
		return err
	}
	defer os.Remove(name)
	return syscall.Setxattr(name, "user.wharf-probe", []byte("1"), 0)
}
