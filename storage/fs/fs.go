// Package fs is a storage.Store on a local directory tree.
//
// Key "a/b/c" is the file <root>/a/b/c. Every access goes through an
// os.Root, so after ValidateKey has rejected "..", absolute and otherwise
// hostile keys, even a symlink placed under root cannot lead outside it.
// Put writes a temporary file next to the target, fsyncs it, renames it over
// the target and fsyncs the directory, so readers see the old or the new
// object and a crash leaves no partial object.
//
// Unlike S3, a key cannot be both an object and a "directory": with
// "a/b" stored, Put("a") fails, and vice versa. Key segments are also file
// names, so the filesystem's name limit (255 bytes on ext4) applies to each.
package fs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"

	"github.com/wharfhq/wharf/storage"
)

const (
	dirPerm  = 0o755
	filePerm = 0o644
	// tempMarker starts every temporary file name. '~' is not a key
	// character, so List skips these files and no key can collide with one.
	tempMarker = ".tmp~"
)

// Store is a storage.Store rooted at a directory. Call Close when done.
type Store struct {
	root *os.Root
}

var _ storage.Store = (*Store)(nil)

// New returns a Store on the directory root, creating it if needed.
func New(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("fs store: empty root directory")
	}
	if err := os.MkdirAll(root, dirPerm); err != nil {
		return nil, fmt.Errorf("fs store: create root: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("fs store: open root: %w", err)
	}
	return &Store{root: r}, nil
}

// Close releases the root directory handle.
func (s *Store) Close() error {
	return s.root.Close()
}

// Delete removes the object's file and then any directories it leaves empty.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("fs delete %q: %w", key, err)
	}
	name := filepath.FromSlash(key)
	fi, err := s.root.Lstat(name)
	if isNotExist(err) || err == nil && fi.IsDir() {
		return nil // no object under this key
	}
	if err != nil {
		return fmt.Errorf("fs delete %q: %w", key, err)
	}
	if err := s.root.Remove(name); err != nil && !isNotExist(err) {
		return fmt.Errorf("fs delete %q: %w", key, err)
	}
	// Prune empty parents. Remove fails on a non-empty directory, which is
	// where we stop; Put copes with a directory vanishing under it.
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if s.root.Remove(filepath.FromSlash(dir)) != nil {
			break
		}
	}
	return nil
}

// Open returns the object's file.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, storage.Info, error) {
	if err := check(ctx, key); err != nil {
		return nil, storage.Info{}, fmt.Errorf("fs open %q: %w", key, err)
	}
	f, err := s.root.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, storage.Info{}, fmt.Errorf("fs open %q: %w", key, notFound(err))
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = storage.ErrNotFound
	}
	if err != nil {
		_ = f.Close()
		return nil, storage.Info{}, fmt.Errorf("fs open %q: %w", key, err)
	}
	return f, info(key, fi), nil
}

// Put writes the object to a temporary file and renames it into place.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("fs put %q: %w", key, err)
	}
	name := filepath.FromSlash(key)
	tmp, tmpName, err := s.createTemp(name)
	if err != nil {
		return fmt.Errorf("fs put %q: %w", key, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = s.root.Remove(tmpName)
		}
	}()
	if err := storage.CopyExact(ctx, tmp, r, size); err != nil {
		return fmt.Errorf("fs put %q: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fs put %q: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("fs put %q: close: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fs put %q: %w", key, err)
	}
	if err := s.root.Rename(tmpName, name); err != nil {
		return fmt.Errorf("fs put %q: rename: %w", key, err)
	}
	committed = true
	if err := s.syncDir(filepath.Dir(name)); err != nil {
		return fmt.Errorf("fs put %q: sync directory: %w", key, err)
	}
	return nil
}

// Stat returns the object's size and modification time.
func (s *Store) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := check(ctx, key); err != nil {
		return storage.Info{}, fmt.Errorf("fs stat %q: %w", key, err)
	}
	fi, err := s.root.Stat(filepath.FromSlash(key))
	if err == nil && !fi.Mode().IsRegular() {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.Info{}, fmt.Errorf("fs stat %q: %w", key, notFound(err))
	}
	return info(key, fi), nil
}

// createTemp creates an empty temporary file beside name, creating the
// directory first. A concurrent Delete may prune that directory between the
// two steps, so it tries a few times.
func (s *Store) createTemp(name string) (*os.File, string, error) {
	dir := filepath.Dir(name)
	var err error
	for range 5 {
		if err = s.root.MkdirAll(dir, dirPerm); err != nil {
			continue
		}
		tmpName := filepath.Join(dir, tempMarker+rand.Text())
		var f *os.File
		f, err = s.root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			return f, tmpName, nil
		}
	}
	return nil, "", fmt.Errorf("create temporary file: %w", err)
}

func (s *Store) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func check(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

func info(key string, fi iofs.FileInfo) storage.Info {
	return storage.Info{Key: key, ModTime: fi.ModTime(), Size: fi.Size()}
}

// isNotExist reports whether err means nothing is at the path, including a
// path whose parent is a file ("a/b" when "a" is an object).
func isNotExist(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// notFound adds storage.ErrNotFound to err when it means the file is missing.
func notFound(err error) error {
	if isNotExist(err) {
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	}
	return err
}
