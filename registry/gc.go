package registry

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/wharfhq/wharf/storage"
)

// CollectGarbage deletes .crate blobs older than olderThan that no version
// references. Young blobs are kept: their publish may still be in flight.
func (s *Service) CollectGarbage(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := s.now().Add(-olderThan)
	var orphans []string
	err := s.blobs.List(ctx, "crates/", func(info storage.Info) error {
		if info.ModTime.After(cutoff) {
			return nil
		}
		sum := strings.TrimSuffix(path.Base(info.Key), ".crate")
		n, err := s.store.VersionChecksumInUse(ctx, sum)
		if err != nil {
			return err
		}
		if n == 0 {
			orphans = append(orphans, info.Key)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list blobs: %w", err)
	}
	for _, k := range orphans {
		if err := s.blobs.Delete(ctx, k); err != nil {
			return 0, fmt.Errorf("delete orphan blob %s: %w", k, err)
		}
		s.logger.InfoContext(ctx, "deleted orphan blob", "key", k)
	}
	return len(orphans), nil
}
