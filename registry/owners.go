package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/store"
)

// Owner is one crate owner as cargo lists it.
type Owner struct {
	ID    int64
	Login string
	Name  string
}

// Owners implements GET /api/v1/crates/{name}/owners.
func (s *Service) Owners(ctx context.Context, name string) ([]Owner, error) {
	c, err := s.store.CrateGetByKey(ctx, crate.NameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(ErrNotFound, "crate %s does not exist", name)
	}
	if err != nil {
		return nil, fmt.Errorf("get crate %s: %w", name, err)
	}
	users, err := s.store.OwnerList(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list owners of %s: %w", name, err)
	}
	out := make([]Owner, len(users))
	for i, u := range users {
		out[i] = Owner{ID: u.ID, Login: u.Login, Name: u.Name}
	}
	return out, nil
}

// ChangeOwners implements PUT (add=true) and DELETE (add=false) on
// /api/v1/crates/{name}/owners. Users are named by login. The last owner
// cannot be removed. It returns the message cargo prints.
func (s *Service) ChangeOwners(ctx context.Context, p *auth.Principal, name string, logins []string, add bool) (string, error) {
	if p == nil {
		return "", errorf(ErrUnauthenticated, "changing owners requires a token")
	}
	if !p.Has(auth.ScopeChangeOwners) {
		return "", errorf(ErrForbidden, "this token cannot change owners")
	}
	if len(logins) == 0 {
		return "", errorf(ErrBadRequest, "no users given")
	}
	var msg string
	err := s.store.Tx(ctx, func(tx store.Tx) error {
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
		var done []string
		for _, login := range logins {
			u, err := tx.UserGetByLogin(ctx, strings.TrimSpace(login))
			if errors.Is(err, store.ErrNotFound) {
				return errorf(ErrNotFound, "user %s does not exist", login)
			}
			if err != nil {
				return fmt.Errorf("get user %s: %w", login, err)
			}
			if add {
				if !u.IsActive {
					return errorf(ErrBadRequest, "user %s is deactivated", login)
				}
				if err := tx.OwnerAdd(ctx, store.OwnerAddParams{CrateID: c.ID, UserID: u.ID}); err != nil {
					return fmt.Errorf("add owner %s to %s: %w", login, c.Name, err)
				}
			} else {
				n, err := tx.OwnerRemove(ctx, store.OwnerRemoveParams{CrateID: c.ID, UserID: u.ID})
				if err != nil {
					return fmt.Errorf("remove owner %s from %s: %w", login, c.Name, err)
				}
				if n == 0 {
					return errorf(ErrNotFound, "user %s is not an owner of %s", login, c.Name)
				}
			}
			done = append(done, u.Login)
		}
		if !add {
			left, err := tx.OwnerList(ctx, c.ID)
			if err != nil {
				return fmt.Errorf("list owners of %s: %w", c.Name, err)
			}
			if len(left) == 0 {
				return errorf(ErrBadRequest, "cannot remove every owner of crate %s", c.Name)
			}
		}
		verb := "added as owner(s) of"
		if !add {
			verb = "removed from the owners of"
		}
		msg = fmt.Sprintf("user(s) %s %s crate %s", strings.Join(done, ", "), verb, c.Name)
		return nil
	})
	if err != nil {
		return "", err
	}
	s.logger.InfoContext(ctx, "owners changed", slog.String("crate", name), slog.Bool("add", add),
		slog.String("users", strings.Join(logins, ",")), slog.String("user", p.Login))
	return msg, nil
}
