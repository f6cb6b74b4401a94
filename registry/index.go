package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/semver"
	"github.com/wharfhq/wharf/store"
)

// IndexFile is one rendered sparse-index file.
type IndexFile struct {
	Content  []byte
	ETag     string // strong, quoted
	Modified time.Time
}

// IndexFile returns the rendered index file for the lowercase crate name
// (path computed by the caller with crate.ParseIndexPath).
func (s *Service) IndexFile(ctx context.Context, name string) (*IndexFile, error) {
	row, err := s.store.IndexFileGet(ctx, crate.IndexPath(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get index file %s: %w", name, err)
	}
	if len(row.Content) == 0 {
		// Every version was removed: for cargo the crate does not exist.
		return nil, ErrNotFound
	}
	return &IndexFile{Content: row.Content, ETag: row.Etag, Modified: row.UpdatedAt}, nil
}

// IndexFileMeta returns only the ETag and modification time (cheap 304s).
func (s *Service) IndexFileMeta(ctx context.Context, name string) (*IndexFile, error) {
	row, err := s.store.IndexFileMeta(ctx, crate.IndexPath(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get index file meta %s: %w", name, err)
	}
	return &IndexFile{ETag: row.Etag, Modified: row.UpdatedAt}, nil
}

func etagOf(content []byte) string {
	sum := sha256.Sum256(content)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// maxVersion is the highest non-yanked version, preferring stable releases
// over pre-releases; "" when every version is yanked.
func maxVersion(versions []store.VersionListByCrateRow) string {
	var best, bestPre *semver.Version
	var bestStr, bestPreStr string
	for _, v := range versions {
		if v.Yanked {
			continue
		}
		pv, err := semver.ParseVersion(v.Version)
		if err != nil {
			continue
		}
		if pv.IsPrerelease() {
			if bestPre == nil || pv.Compare(*bestPre) > 0 {
				bestPre, bestPreStr = &pv, v.Version
			}
			continue
		}
		if best == nil || pv.Compare(*best) > 0 {
			best, bestStr = &pv, v.Version
		}
	}
	if best != nil {
		return bestStr
	}
	return bestPreStr
}

// refreshCrate re-renders the crate's index file and summary from its version
// rows inside tx. It is idempotent: running it twice writes the same bytes.
func (s *Service) refreshCrate(ctx context.Context, tx store.Tx, c store.Crate, description *string, now time.Time, message string) (changed bool, err error) {
	versions, err := tx.VersionListByCrate(ctx, c.ID)
	if err != nil {
		return false, fmt.Errorf("list versions of %s: %w", c.Name, err)
	}
	lines := make([][]byte, len(versions))
	for i, v := range versions {
		lines[i] = []byte(v.IndexLine)
	}
	content := crate.BuildIndexFile(lines)
	etag := etagOf(content)
	current, err := tx.IndexFileMeta(ctx, c.IndexPath)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("get index file of %s: %w", c.Name, err)
	}
	if err != nil || current.Etag != etag {
		changed = true
		if err := tx.IndexFileUpsert(ctx, store.IndexFileUpsertParams{
			CrateID: c.ID, Path: c.IndexPath, Content: content, Etag: etag, UpdatedAt: now,
		}); err != nil {
			return false, fmt.Errorf("write index file of %s: %w", c.Name, err)
		}
		if err := s.logIndexChange(ctx, tx, c.IndexPath, content, message, now); err != nil {
			return false, err
		}
	}
	var maxPtr *string
	if m := maxVersion(versions); m != "" {
		maxPtr = &m
	}
	if description == nil {
		description = c.Description
	}
	if err := tx.CrateUpdateSummary(ctx, store.CrateUpdateSummaryParams{
		ID: c.ID, Description: description, MaxVersion: maxPtr, UpdatedAt: now,
	}); err != nil {
		return false, fmt.Errorf("update summary of %s: %w", c.Name, err)
	}
	return changed, nil
}

// ReconcileCrate re-derives the crate's index file and summary from the
// database (the crate_reconcile job). Missing crates are not an error.
func (s *Service) ReconcileCrate(ctx context.Context, nameKey string) error {
	return s.store.Tx(ctx, func(tx store.Tx) error {
		c, err := tx.CrateLockByKey(ctx, nameKey)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lock crate %s: %w", nameKey, err)
		}
		changed, err := s.refreshCrate(ctx, tx, c, nil, s.now().UTC(), "Reconcile "+c.Name)
		if changed {
			s.logger.WarnContext(ctx, "reconcile rewrote an index file", "crate", c.Name)
		}
		return err
	})
}

// logIndexChange appends to the index change log (the git index's source)
// and enqueues the job that commits it. The global lock keeps sequence
// numbers committed in order.
func (s *Service) logIndexChange(ctx context.Context, tx store.Tx, path string, content []byte, message string, now time.Time) error {
	if err := tx.IndexChangeLock(ctx); err != nil {
		return fmt.Errorf("lock index change log: %w", err)
	}
	if _, err := tx.IndexChangeInsert(ctx, store.IndexChangeInsertParams{
		Path: path, Content: content, Message: message, CreatedAt: now.Truncate(time.Second),
	}); err != nil {
		return fmt.Errorf("log index change of %s: %w", path, err)
	}
	return tx.Enqueue(ctx, jobs.IndexSyncArgs{}, nil)
}

// EnsureIndexConfig logs config.json as an index change when it differs
// from the last logged content (first start, or a new public URL).
func (s *Service) EnsureIndexConfig(ctx context.Context, content []byte) error {
	return s.store.Tx(ctx, func(tx store.Tx) error {
		if err := tx.IndexChangeLock(ctx); err != nil {
			return fmt.Errorf("lock index change log: %w", err)
		}
		last, err := tx.IndexChangeLastForPath(ctx, "config.json")
		if err == nil && bytes.Equal(last.Content, content) {
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("get logged config.json: %w", err)
		}
		return s.logIndexChange(ctx, tx, "config.json", content, "Update config.json", s.now().UTC())
	})
}
