package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/semver"
	"github.com/wharfhq/wharf/store"
)

// SeedVersion is one version written by Seed: publish metadata and the
// .crate it points to, already stored under storage.CrateKey(Checksum).
type SeedVersion struct {
	Meta     crate.Metadata
	Checksum string // lowercase hex SHA-256 of the .crate
	Size     int64
}

// Seed writes crates straight into the database, as if ownerID had published
// every version in order: crate, owner and version rows, then each crate's
// index file rendered once by the publish path's renderer (refreshCrate, which
// also logs the index change). Each element of crates is one crate's
// versions, all with the same name. Everything is one transaction, so callers
// bound its size by batching.
//
// Seed is for benchmarks and bulk loads: metadata is validated but the .crate
// files are neither stored nor checked (the caller stores them first). Call
// it after the store's InitJobs: logging an index change enqueues a job.
func (s *Service) Seed(ctx context.Context, ownerID int64, crates [][]SeedVersion) error {
	now := s.now().UTC().Truncate(1e9)
	return s.store.Tx(ctx, func(tx store.Tx) error {
		for _, versions := range crates {
			if err := s.seedCrate(ctx, tx, ownerID, versions, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) seedCrate(ctx context.Context, tx store.Tx, ownerID int64, versions []SeedVersion, now time.Time) error {
	if len(versions) == 0 {
		return nil
	}
	first := &versions[0].Meta
	c, created, err := s.lockOrCreateCrate(ctx, tx, first, now)
	if err != nil {
		return err
	}
	if created {
		if err := tx.OwnerAdd(ctx, store.OwnerAddParams{CrateID: c.ID, UserID: ownerID}); err != nil {
			return fmt.Errorf("add owner of %s: %w", c.Name, err)
		}
	}
	for i := range versions {
		v := &versions[i]
		if err := s.seedVersion(ctx, tx, c, ownerID, v, now); err != nil {
			return err
		}
	}
	last := versions[len(versions)-1].Meta.Description
	_, err = s.refreshCrate(ctx, tx, c, last, now, fmt.Sprintf("Seed %s (%d versions)", c.Name, len(versions)))
	return err
}

func (s *Service) seedVersion(ctx context.Context, tx store.Tx, c store.Crate, ownerID int64, v *SeedVersion, now time.Time) error {
	meta := &v.Meta
	if meta.Name != c.Name {
		return errorf(ErrBadRequest, "seed: version %s of %s is named %s", meta.Vers, c.Name, meta.Name)
	}
	if err := meta.Validate(); err != nil {
		return err
	}
	vers, err := semver.ParseVersion(meta.Vers)
	if err != nil {
		return errorf(ErrBadRequest, "invalid version %q: %v", meta.Vers, err)
	}
	line, err := crate.NewIndexEntry(meta, v.Checksum, now).Line()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode metadata of %s@%s: %w", meta.Name, meta.Vers, err)
	}
	_, err = tx.VersionInsert(ctx, store.VersionInsertParams{
		CrateID: c.ID, Version: meta.Vers, VersionKey: vers.Key(), Checksum: v.Checksum, Size: v.Size,
		IndexLine: string(line), Metadata: raw, PublishedBy: &ownerID, PublishedAt: now,
	})
	if errors.Is(err, store.ErrNotFound) {
		return errorf(ErrConflict, "crate %s version %s already exists", c.Name, meta.Vers)
	}
	if err != nil {
		return fmt.Errorf("insert %s@%s: %w", meta.Name, meta.Vers, err)
	}
	return nil
}
