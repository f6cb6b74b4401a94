package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/semver"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/store"
)

// PublishResult is the outcome of a publish (cargo prints the warnings).
type PublishResult struct {
	Name     string
	Version  string
	Checksum string
	Warnings []string
}

// Publish implements PUT /api/v1/crates/new. Order: validate everything in
// memory, store the blob under its content hash (never overwriting anything),
// then one transaction writes the crate, version, owner, rendered index file
// and follow-up jobs. The index reflects the version when Publish returns.
func (s *Service) Publish(ctx context.Context, p *auth.Principal, body io.Reader) (*PublishResult, error) {
	if p == nil {
		return nil, errorf(ErrUnauthenticated, "publishing requires a token")
	}
	if !p.Has(auth.ScopePublishNew) && !p.Has(auth.ScopePublishUpdate) {
		return nil, errorf(ErrForbidden, "this token cannot publish (read-only)")
	}
	pub, err := crate.ParsePublish(body, s.limits)
	if err != nil {
		return nil, err
	}
	meta := &pub.Meta
	if err := meta.Validate(); err != nil {
		return nil, err
	}
	contents, err := crate.CheckCrate(pub.Crate, meta, s.limits)
	if err != nil {
		return nil, err
	}
	vers, err := semver.ParseVersion(meta.Vers)
	if err != nil {
		return nil, errorf(ErrBadRequest, "invalid version %q: %v", meta.Vers, err)
	}
	if !p.CoversCrate(meta.Name) {
		return nil, errorf(ErrForbidden, "this token is limited to crates matching %q and cannot publish %s", p.CratePattern, meta.Name)
	}
	key := crate.NameKey(meta.Name)
	// Cheap checks before the upload; repeated inside the transaction.
	if existing, err := s.store.CrateGetByKey(ctx, key); err == nil {
		if err := s.checkPublishExisting(ctx, s.store, p, existing, meta.Name, vers); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("look up crate %s: %w", meta.Name, err)
	}

	sum := sha256.Sum256(pub.Crate)
	cksum := hex.EncodeToString(sum[:])
	if err := s.blobs.Put(ctx, storage.CrateKey(cksum), bytes.NewReader(pub.Crate), int64(len(pub.Crate))); err != nil {
		return nil, fmt.Errorf("store %s-%s.crate: %w", meta.Name, meta.Vers, err)
	}

	now := s.now().UTC().Truncate(1e9)
	entry := crate.NewIndexEntry(meta, cksum, now)
	line, err := entry.Line()
	if err != nil {
		return nil, err
	}
	var readme *string
	if len(contents.Readme) > 0 {
		r := string(contents.Readme)
		readme = &r
	}
	err = s.store.Tx(ctx, func(tx store.Tx) error {
		c, created, err := s.lockOrCreateCrate(ctx, tx, meta, now)
		if err != nil {
			return err
		}
		if created {
			if !p.Has(auth.ScopePublishNew) {
				return errorf(ErrForbidden, "this token may only publish new versions of existing crates, not create %s", meta.Name)
			}
			if err := tx.OwnerAdd(ctx, store.OwnerAddParams{CrateID: c.ID, UserID: p.UserID}); err != nil {
				return fmt.Errorf("add owner of %s: %w", meta.Name, err)
			}
		} else if err := s.checkPublishExisting(ctx, tx, p, c, meta.Name, vers); err != nil {
			return err
		}
		publisher := p.UserID
		_, err = tx.VersionInsert(ctx, store.VersionInsertParams{
			CrateID: c.ID, Version: meta.Vers, VersionKey: vers.Key(), Checksum: cksum,
			Size: int64(len(pub.Crate)), IndexLine: string(line), Metadata: pub.RawMeta,
			Readme: readme, PublishedBy: &publisher, PublishedAt: now,
		})
		if errors.Is(err, store.ErrNotFound) {
			return errorf(ErrConflict, "crate %s version %s already exists", c.Name, meta.Vers)
		}
		if err != nil {
			return fmt.Errorf("insert %s@%s: %w", meta.Name, meta.Vers, err)
		}
		if _, err := s.refreshCrate(ctx, tx, c, meta.Description, now, fmt.Sprintf("Publish %s %s", c.Name, meta.Vers)); err != nil {
			return err
		}
		return tx.Enqueue(ctx, jobs.CrateReconcileArgs{NameKey: key}, nil)
	})
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "published", slog.String("crate", meta.Name), slog.String("version", meta.Vers),
		slog.String("user", p.Login))
	return &PublishResult{Name: meta.Name, Version: meta.Vers, Checksum: cksum}, nil
}

// lockOrCreateCrate returns the crate row locked for this transaction,
// inserting it when new.
func (s *Service) lockOrCreateCrate(ctx context.Context, tx store.Tx, meta *crate.Metadata, now time.Time) (store.Crate, bool, error) {
	key := crate.NameKey(meta.Name)
	c, err := tx.CrateInsert(ctx, store.CrateInsertParams{
		Name: meta.Name, NameKey: key, IndexPath: crate.IndexPath(meta.Name),
		Description: meta.Description, CreatedAt: now,
	})
	if err == nil {
		return c, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Crate{}, false, fmt.Errorf("insert crate %s: %w", meta.Name, err)
	}
	c, err = tx.CrateLockByKey(ctx, key)
	if err != nil {
		return store.Crate{}, false, fmt.Errorf("lock crate %s: %w", meta.Name, err)
	}
	return c, false, nil
}

// checkPublishExisting enforces the rules for a new version of an existing
// crate: same spelling, caller owns it (or is admin), version is new.
func (s *Service) checkPublishExisting(ctx context.Context, q store.Queries, p *auth.Principal, c store.Crate, name string, vers semver.Version) error {
	if c.Name != name {
		return errorf(ErrConflict, "crate name %s conflicts with the existing crate %s (names are unique ignoring case and -/_)", name, c.Name)
	}
	if !p.Has(auth.ScopePublishUpdate) {
		return errorf(ErrForbidden, "this token may only create new crates, not publish new versions of %s", c.Name)
	}
	if err := s.requireOwner(ctx, q, p, c); err != nil {
		return err
	}
	_, err := q.VersionGet(ctx, store.VersionGetParams{CrateID: c.ID, VersionKey: vers.Key()})
	if err == nil {
		return errorf(ErrConflict, "crate %s version %s already exists", c.Name, vers.String())
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("look up %s@%s: %w", c.Name, vers, err)
	}
	return checkTombstone(ctx, q, c, vers)
}

// requireCovers checks the token's crate pattern against the crate's
// canonical name. The name in a URL may be spelled differently (case, '-'
// for '_') and still reach the crate, so it must not decide: a token for
// "acme-*" may not act on crate acme_private by calling it acme-private.
func requireCovers(p *auth.Principal, c store.Crate) error {
	if !p.CoversCrate(c.Name) {
		return errorf(ErrForbidden, "this token is limited to crates matching %q and cannot act on %s", p.CratePattern, c.Name)
	}
	return nil
}

// requireOwner allows owners of c and admins.
func (s *Service) requireOwner(ctx context.Context, q store.Queries, p *auth.Principal, c store.Crate) error {
	if p.ActsAsAdmin() {
		return nil
	}
	n, err := q.OwnerIs(ctx, store.OwnerIsParams{CrateID: c.ID, UserID: p.UserID})
	if err != nil {
		return fmt.Errorf("check owners of %s: %w", c.Name, err)
	}
	if n == 0 {
		return errorf(ErrForbidden, "user %s is not an owner of crate %s", p.Login, c.Name)
	}
	return nil
}
