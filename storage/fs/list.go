package fs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/storage"
)

// List walks the directory tree under prefix in lexical key order.
//
// A plain directory walk is not in key order: '-' and '.' sort before '/',
// so key "a-b" comes before "a/c" although directory "a" comes before file
// "a-b". Sorting each directory's entries by name for files and name+"/"
// for directories gives exactly the order of the full keys.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.Info) error) error {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("fs list %q: %w", prefix, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fs list %q: %w", prefix, err)
	}
	dir, _ := storage.SplitPrefix(prefix)
	err := s.walk(ctx, strings.TrimSuffix(dir, "/"), prefix, fn)
	if fnErr, ok := errors.AsType[*callbackError](err); ok {
		return fnErr.err
	}
	if err != nil {
		return fmt.Errorf("fs list %q: %w", prefix, err)
	}
	return nil
}

type listEntry struct {
	entry   iofs.DirEntry
	key     string
	sortKey string
}

// walk lists directory dir (a key prefix without trailing '/', "" for the
// root) and recurses into subdirectories that can hold keys under prefix.
func (s *Store) walk(ctx context.Context, dir, prefix string, fn func(storage.Info) error) error {
	entries, err := s.readDir(dir)
	if err != nil {
		return err
	}
	items := make([]listEntry, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !storage.IsValidSegment(name) {
			continue // temporary file or a name no key can have
		}
		key := name
		if dir != "" {
			key = dir + "/" + name
		}
		switch {
		case e.IsDir():
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				items = append(items, listEntry{entry: e, key: key, sortKey: name + "/"})
			}
		case e.Type().IsRegular():
			if strings.HasPrefix(key, prefix) {
				items = append(items, listEntry{entry: e, key: key, sortKey: name})
			}
		}
	}
	slices.SortFunc(items, func(a, b listEntry) int { return strings.Compare(a.sortKey, b.sortKey) })
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if it.entry.IsDir() {
			if err := s.walk(ctx, it.key, prefix, fn); err != nil {
				return err
			}
			continue
		}
		fi, err := it.entry.Info()
		if isNotExist(err) {
			continue // deleted since the directory was read
		}
		if err != nil {
			return err
		}
		if err := fn(info(it.key, fi)); err != nil {
			return &callbackError{err: err}
		}
	}
	return nil
}

func (s *Store) readDir(dir string) ([]iofs.DirEntry, error) {
	name := "."
	if dir != "" {
		name = filepath.FromSlash(dir)
	}
	d, err := s.root.Open(name)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if isNotExist(err) || errors.Is(err, iofs.ErrInvalid) {
		return nil, nil // removed meanwhile, or not a directory
	}
	return entries, err
}

// callbackError carries an error returned by List's fn out of the walk so
// that List can return it unwrapped.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
