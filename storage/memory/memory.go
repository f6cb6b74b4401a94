// Package memory is an in-memory storage.Store for tests and development.
// Objects live in a map guarded by a mutex; Put copies the data in, and
// readers share the stored bytes, which are never modified afterwards.
package memory

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/storage"
)

type object struct {
	data    []byte
	modTime time.Time
}

// Store is an in-memory storage.Store. The zero value is not usable; call New.
type Store struct {
	mu      sync.RWMutex
	now     func() time.Time
	objects map[string]object
}

var _ storage.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{now: time.Now, objects: make(map[string]object)}
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("memory delete %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, key)
	return nil
}

// List calls fn for each object under prefix in key order. It works on a
// snapshot taken when called, so fn may call the Store.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory list %q: %w", prefix, err)
	}
	if err := storage.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("memory list %q: %w", prefix, err)
	}
	s.mu.RLock()
	infos := make([]storage.Info, 0)
	for key, obj := range s.objects {
		if strings.HasPrefix(key, prefix) {
			infos = append(infos, info(key, obj))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(infos, func(a, b storage.Info) int { return strings.Compare(a.Key, b.Key) })
	for _, inf := range infos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memory list %q: %w", prefix, err)
		}
		if err := fn(inf); err != nil {
			return err
		}
	}
	return nil
}

// Open returns a reader over the object's bytes as they are now.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, storage.Info, error) {
	obj, err := s.get(ctx, key)
	if err != nil {
		return nil, storage.Info{}, fmt.Errorf("memory open %q: %w", key, err)
	}
	return io.NopCloser(bytes.NewReader(obj.data)), info(key, obj), nil
}

// Put reads size bytes from r and stores a copy under key.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := check(ctx, key); err != nil {
		return fmt.Errorf("memory put %q: %w", key, err)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(min(size, 64<<20)))
	}
	if err := storage.CopyExact(ctx, &buf, r, size); err != nil {
		return fmt.Errorf("memory put %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[key] = object{data: buf.Bytes(), modTime: s.now()}
	return nil
}

// Stat returns the object's Info.
func (s *Store) Stat(ctx context.Context, key string) (storage.Info, error) {
	obj, err := s.get(ctx, key)
	if err != nil {
		return storage.Info{}, fmt.Errorf("memory stat %q: %w", key, err)
	}
	return info(key, obj), nil
}

func (s *Store) get(ctx context.Context, key string) (object, error) {
	if err := check(ctx, key); err != nil {
		return object{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	obj, ok := s.objects[key]
	if !ok {
		return object{}, storage.ErrNotFound
	}
	return obj, nil
}

func check(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

func info(key string, obj object) storage.Info {
	return storage.Info{Key: key, ModTime: obj.modTime, Size: int64(len(obj.data))}
}
