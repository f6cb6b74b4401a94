package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

const (
	// packMinChanges is the batch size from which Apply writes one pack
	// instead of loose objects: creating a file per object costs
	// milliseconds, which adds up when the change log is replayed.
	packMinChanges = 32
	// packMaxChanges bounds the objects Apply keeps in memory before
	// writing them out as a pack.
	packMaxChanges = 512
	// packWindow is the delta window for packs Apply writes. go-git's delta
	// search costs seconds per few hundred changes; Repack deltifies later.
	packWindow = 0
)

// packBatch collects the objects of a batch of changes in memory, on top
// of the repository's storage, and writes them out as packs through
// `git index-pack`, which makes the pack and its index appear atomically.
type packBatch struct {
	base   *filesystem.Storage
	gitDir string
	hashes []plumbing.Hash
	objs   map[plumbing.Hash]plumbing.EncodedObject
}

var _ storer.EncodedObjectStorer = (*packBatch)(nil)

func newPackBatch(base *filesystem.Storage, gitDir string) *packBatch {
	return &packBatch{base: base, gitDir: gitDir, objs: map[plumbing.Hash]plumbing.EncodedObject{}}
}

// flush writes the collected objects as one pack and forgets them.
func (b *packBatch) flush(ctx context.Context) error {
	if len(b.hashes) == 0 {
		return nil
	}
	var pack bytes.Buffer
	if _, err := packfile.NewEncoder(&pack, b, false).Encode(b.hashes, packWindow); err != nil {
		return fmt.Errorf("encode pack: %w", err)
	}
	cmd := gitCommand(ctx, b.gitDir, "index-pack", "--stdin")
	cmd.Stdin = &pack
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git index-pack: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	// go-git caches the list of packs.
	b.base.Reindex()
	b.hashes = b.hashes[:0]
	clear(b.objs)
	return nil
}

func (b *packBatch) AddAlternate(string) error {
	return errors.New("pack batch: alternates not supported")
}

func (b *packBatch) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, ok := b.objs[h]; ok {
		if t != plumbing.AnyObject && o.Type() != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return o, nil
	}
	return b.base.EncodedObject(t, h)
}

func (b *packBatch) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if o, ok := b.objs[h]; ok {
		return o.Size(), nil
	}
	return b.base.EncodedObjectSize(h)
}

func (b *packBatch) HasEncodedObject(h plumbing.Hash) error {
	if _, ok := b.objs[h]; ok {
		return nil
	}
	return b.base.HasEncodedObject(h)
}

func (b *packBatch) IterEncodedObjects(plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	return nil, errors.New("pack batch: iteration not supported")
}

func (b *packBatch) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

func (b *packBatch) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	h := o.Hash()
	if _, ok := b.objs[h]; !ok {
		b.objs[h] = o
		b.hashes = append(b.hashes, h)
	}
	return h, nil
}
