package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/semver"
	"github.com/wharfhq/wharf/store"
)

// SetYanked implements DELETE …/{version}/yank (yanked=true) and PUT
// …/{version}/unyank (yanked=false). The index line and file are rewritten
// in the same transaction. Repeating a yank is not an error.
func (s *Service) SetYanked(ctx context.Context, p *auth.Principal, name, version string, yanked bool) error {
	if p == nil {
		return errorf(ErrUnauthenticated, "yanking requires a token")
	}
	if !p.Has(auth.ScopeYank) {
		return errorf(ErrForbidden, "this token cannot yank or unyank")
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
		if err := requireCovers(p, c); err != nil {
			return err
		}
		if err := s.requireOwner(ctx, tx, p, c); err != nil {
			return err
		}
		v, err := tx.VersionGet(ctx, store.VersionGetParams{CrateID: c.ID, VersionKey: vers.Key()})
		if errors.Is(err, store.ErrNotFound) {
			return errorf(ErrNotFound, "crate %s has no version %s", c.Name, version)
		}
		if err != nil {
			return fmt.Errorf("get %s@%s: %w", c.Name, version, err)
		}
		if v.Yanked == yanked {
			return nil
		}
		var entry crate.IndexEntry
		if err := json.Unmarshal([]byte(v.IndexLine), &entry); err != nil {
			return fmt.Errorf("decode index line of %s@%s: %w", c.Name, v.Version, err)
		}
		entry.Yanked = yanked
		line, err := entry.Line()
		if err != nil {
			return fmt.Errorf("encode index line of %s@%s: %w", c.Name, v.Version, err)
		}
		if err := tx.VersionSetYanked(ctx, store.VersionSetYankedParams{ID: v.ID, Yanked: yanked, IndexLine: string(line)}); err != nil {
			return fmt.Errorf("set yanked on %s@%s: %w", c.Name, v.Version, err)
		}
		verb := "Unyank"
		if yanked {
			verb = "Yank"
		}
		if _, err := s.refreshCrate(ctx, tx, c, nil, s.now().UTC(), fmt.Sprintf("%s %s %s", verb, c.Name, v.Version)); err != nil {
			return err
		}
		s.logger.InfoContext(ctx, "yank changed", slog.String("crate", c.Name), slog.String("version", v.Version),
			slog.Bool("yanked", yanked), slog.String("user", p.Login))
		return tx.Enqueue(ctx, jobs.CrateReconcileArgs{NameKey: c.NameKey}, nil)
	})
}
