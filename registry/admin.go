package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/semver"
	"github.com/wharfhq/wharf/store"
)

// requireAdmin allows administrators acting through a session or a token
// that can write.
func requireAdmin(p *auth.Principal) error {
	if p == nil {
		return errorf(ErrUnauthenticated, "administration requires signing in")
	}
	if !p.ActsAsAdmin() {
		return errorf(ErrForbidden, "administration requires the admin role")
	}
	return nil
}

// AdminListCrates lists every crate, including those whose versions were all
// removed, ordered by name, with the total count (admin only).
func (s *Service) AdminListCrates(ctx context.Context, p *auth.Principal, limit, offset int) ([]store.CrateListAllRow, int64, error) {
	if err := requireAdmin(p); err != nil {
		return nil, 0, err
	}
	total, err := s.store.CrateCountAll(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count crates: %w", err)
	}
	rows, err := s.store.CrateListAll(ctx, store.CrateListAllParams{Lim: int64(limit), Off: int64(offset)})
	if err != nil {
		return nil, 0, fmt.Errorf("list crates: %w", err)
	}
	return rows, total, nil
}

// AdminListUsers lists the users, without the built-in service user (admin
// only).
func (s *Service) AdminListUsers(ctx context.Context, p *auth.Principal) ([]store.User, error) {
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	users, err := s.store.UserList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := users[:0]
	for _, u := range users {
		if !u.IsService {
			out = append(out, u)
		}
	}
	return out, nil
}

// lockManagedCrate locks crate name for a management change by p: owners
// (with the change-owners scope) and administrators.
func (s *Service) lockManagedCrate(ctx context.Context, tx store.Tx, p *auth.Principal, name string) (store.Crate, error) {
	if p == nil {
		return store.Crate{}, errorf(ErrUnauthenticated, "managing a crate requires a token or a session")
	}
	if !p.Has(auth.ScopeChangeOwners) {
		return store.Crate{}, errorf(ErrForbidden, "this token cannot manage crates")
	}
	if !p.CoversCrate(name) {
		return store.Crate{}, errorf(ErrForbidden, "this token is limited to crates matching %q", p.CratePattern)
	}
	c, err := tx.CrateLockByKey(ctx, crate.NameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return store.Crate{}, errorf(ErrNotFound, "crate %s does not exist", name)
	}
	if err != nil {
		return store.Crate{}, fmt.Errorf("lock crate %s: %w", name, err)
	}
	if err := requireCovers(p, c); err != nil {
		return store.Crate{}, err
	}
	if err := s.requireOwner(ctx, tx, p, c); err != nil {
		return store.Crate{}, err
	}
	return c, nil
}

// SetCrateDeprecated marks a crate deprecated or not (owners and admins).
// The flag is shown on the crate page; the index is unchanged.
func (s *Service) SetCrateDeprecated(ctx context.Context, p *auth.Principal, name string, deprecated bool) error {
	return s.store.Tx(ctx, func(tx store.Tx) error {
		c, err := s.lockManagedCrate(ctx, tx, p, name)
		if err != nil {
			return err
		}
		if err := tx.CrateSetDeprecated(ctx, store.CrateSetDeprecatedParams{
			ID: c.ID, Deprecated: deprecated, UpdatedAt: s.now().UTC(),
		}); err != nil {
			return fmt.Errorf("set deprecated on %s: %w", c.Name, err)
		}
		s.logger.InfoContext(ctx, "crate deprecation changed", slog.String("crate", c.Name),
			slog.Bool("deprecated", deprecated), slog.String("user", p.Login))
		return nil
	})
}

// SetAllowVersionRemoval allows or forbids the complete removal of versions
// of a crate (owners and admins; removal itself is an admin action).
func (s *Service) SetAllowVersionRemoval(ctx context.Context, p *auth.Principal, name string, allow bool) error {
	return s.store.Tx(ctx, func(tx store.Tx) error {
		c, err := s.lockManagedCrate(ctx, tx, p, name)
		if err != nil {
			return err
		}
		if err := tx.CrateSetAllowVersionRemoval(ctx, store.CrateSetAllowVersionRemovalParams{
			ID: c.ID, AllowVersionRemoval: allow, UpdatedAt: s.now().UTC(),
		}); err != nil {
			return fmt.Errorf("set allow_version_removal on %s: %w", c.Name, err)
		}
		s.logger.InfoContext(ctx, "crate version removal policy changed", slog.String("crate", c.Name),
			slog.Bool("allow", allow), slog.String("user", p.Login))
		return nil
	})
}

// RemoveVersion deletes a version completely (admins only, and only when
// the crate allows it). In one transaction: the version row goes, a
// tombstone keeps the version from ever being published again, the sparse
// index file is rewritten and the change is logged for the git index. The
// .crate blob, no longer referenced, is freed by the blob_gc job.
func (s *Service) RemoveVersion(ctx context.Context, p *auth.Principal, name, version string) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	vers, err := semver.ParseVersion(version)
	if err != nil {
		return errorf(ErrNotFound, "crate %s has no version %q", name, version)
	}
	return s.store.Tx(ctx, func(tx store.Tx) error {
		c, err := tx.CrateLockByKey(ctx, crate.NameKey(name))
		if errors.Is(err, store.ErrNotFound) {
			return errorf(ErrNotFound, "crate %s does not exist", name)
		}
		if err != nil {
			return fmt.Errorf("lock crate %s: %w", name, err)
		}
		if !c.AllowVersionRemoval {
			return errorf(ErrConflict, "crate %s does not allow version removal: allow it first", c.Name)
		}
		v, err := tx.VersionGet(ctx, store.VersionGetParams{CrateID: c.ID, VersionKey: vers.Key()})
		if errors.Is(err, store.ErrNotFound) {
			return errorf(ErrNotFound, "crate %s has no version %s", c.Name, version)
		}
		if err != nil {
			return fmt.Errorf("get %s@%s: %w", c.Name, version, err)
		}
		now := s.now().UTC().Truncate(1e9)
		actor := p.UserID
		if err := tx.TombstoneInsert(ctx, store.TombstoneInsertParams{
			CrateID: c.ID, VersionKey: v.VersionKey, Version: v.Version, Checksum: v.Checksum,
			RemovedBy: &actor, RemovedAt: now,
		}); err != nil {
			return fmt.Errorf("record removal of %s@%s: %w", c.Name, v.Version, err)
		}
		if _, err := tx.VersionDelete(ctx, v.ID); err != nil {
			return fmt.Errorf("delete %s@%s: %w", c.Name, v.Version, err)
		}
		if _, err := s.refreshCrate(ctx, tx, c, nil, now, fmt.Sprintf("Remove %s %s", c.Name, v.Version)); err != nil {
			return err
		}
		s.logger.InfoContext(ctx, "version removed", slog.String("crate", c.Name), slog.String("version", v.Version),
			slog.String("user", p.Login))
		if err := tx.Enqueue(ctx, jobs.CrateReconcileArgs{NameKey: c.NameKey}, nil); err != nil {
			return err
		}
		return tx.Enqueue(ctx, jobs.BlobGCArgs{}, nil)
	})
}

// checkTombstone refuses to publish a version that was removed.
func checkTombstone(ctx context.Context, q store.Queries, c store.Crate, vers semver.Version) error {
	n, err := q.TombstoneIs(ctx, store.TombstoneIsParams{CrateID: c.ID, VersionKey: vers.Key()})
	if err != nil {
		return fmt.Errorf("look up removed versions of %s: %w", c.Name, err)
	}
	if n > 0 {
		return errorf(ErrConflict, "crate %s version %s was removed from this registry and cannot be published again: publish a new version",
			c.Name, vers.String())
	}
	return nil
}

// userForAdmin returns the user named login for a change by actor;
// administrators cannot change their own roles or status, and the service
// user is managed on the registry tokens page.
func (s *Service) userForAdmin(ctx context.Context, q store.Queries, actor *auth.Principal, login string) (store.User, error) {
	if err := requireAdmin(actor); err != nil {
		return store.User{}, err
	}
	u, err := q.UserGetByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, errorf(ErrNotFound, "user %s does not exist", login)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("get user %s: %w", login, err)
	}
	if u.IsService {
		return store.User{}, errorf(ErrBadRequest, "%s is the built-in owner of registry tokens and cannot be changed", login)
	}
	if u.ID == actor.UserID {
		return store.User{}, errorf(ErrBadRequest, "administrators cannot change their own roles or deactivate themselves")
	}
	return u, nil
}

// AdminSetUserActive deactivates (active=false) or reactivates a user for
// an administrator (the web admin pages): SetUserActive with the checks of
// userForAdmin. Deactivation revokes the user's sessions at once.
func (s *Service) AdminSetUserActive(ctx context.Context, actor *auth.Principal, login string, active bool) error {
	u, err := s.userForAdmin(ctx, s.store, actor, login)
	if err != nil {
		return err
	}
	if err := s.SetUserActive(ctx, u.ID, active); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "user status changed", slog.String("login", login), slog.Bool("active", active),
		slog.String("user", actor.Login))
	return nil
}

// AdminSetUserRoles sets the admin and read-only roles of a user for an
// administrator: SetUserRoles with the checks of userForAdmin. An
// administrator cannot be read-only.
func (s *Service) AdminSetUserRoles(ctx context.Context, actor *auth.Principal, login string, r Roles) error {
	if r.Admin && r.ReadOnly {
		return errorf(ErrBadRequest, "an administrator cannot be read-only")
	}
	u, err := s.userForAdmin(ctx, s.store, actor, login)
	if err != nil {
		return err
	}
	if err := s.SetUserRoles(ctx, u.ID, r); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "user roles changed", slog.String("login", login), slog.Bool("admin", r.Admin),
		slog.Bool("read_only", r.ReadOnly), slog.String("user", actor.Login))
	return nil
}
