package index

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrRefChanged is returned when the branch moved under a writer: another
// process updated the repository (or holds its lock) concurrently.
var ErrRefChanged = errors.New("git index branch changed concurrently")

func (r *Repo) refPath(name plumbing.ReferenceName) string {
	return filepath.Join(r.cfg.Dir, filepath.FromSlash(name.String()))
}

// casBranch moves the branch from old (zero: must not exist) to new, the way
// git does: take "<ref>.lock" with O_EXCL, check the current value, write
// the new one and rename the lock over the ref. Readers (git upload-pack)
// see either the old or the new value, never a truncated file, and real git
// honours the same lock.
//
// go-git's Storer.CheckAndSetReference is not used: it truncates and
// rewrites the ref file in place under flock, which git ignores, so a
// concurrent git-upload-pack can read an empty ref.
func (r *Repo) casBranch(old, new plumbing.Hash) (err error) {
	path := r.refPath(r.branch)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("move %s: %w", r.branch, err)
	}
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("move %s: %s exists: %w", r.branch, lock, ErrRefChanged)
	}
	if err != nil {
		return fmt.Errorf("move %s: %w", r.branch, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = f.Close()
			_ = os.Remove(lock)
		}
	}()

	var cur plumbing.Hash
	ref, err := r.st.Reference(r.branch)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
	case err != nil:
		return fmt.Errorf("move %s: read current value: %w", r.branch, err)
	default:
		cur = ref.Hash()
	}
	if cur != old {
		return fmt.Errorf("move %s from %s to %s: it is at %s: %w", r.branch, old, new, cur, ErrRefChanged)
	}
	if _, err := f.WriteString(new.String() + "\n"); err != nil {
		return fmt.Errorf("move %s: write lock: %w", r.branch, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("move %s: sync lock: %w", r.branch, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("move %s: close lock: %w", r.branch, err)
	}
	if err := os.Rename(lock, path); err != nil {
		return fmt.Errorf("move %s: rename lock: %w", r.branch, err)
	}
	renamed = true
	return nil
}
