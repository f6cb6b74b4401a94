package index

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// rootSubject is the subject of the root commit (sequence number 0).
const rootSubject = "Initialize index"

// writeBlob stores content as a blob and returns its hash.
func writeBlob(s storer.EncodedObjectStorer, content []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	return h, nil
}

// writeTree stores a tree with entries sorted in git order.
func writeTree(s storer.EncodedObjectStorer, entries []object.TreeEntry) (plumbing.Hash, error) {
	slices.SortFunc(entries, func(a, b object.TreeEntry) int {
		return strings.Compare(treeSortKey(a), treeSortKey(b))
	})
	t := &object.Tree{Entries: entries}
	obj := s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store tree: %w", err)
	}
	return h, nil
}

// treeSortKey is git's tree ordering: byte order of names, where a
// directory sorts as if its name ended in '/'.
func treeSortKey(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

// setPath returns the hash of tree (zero = no tree yet) after setting the
// file at segs to blob (zero = delete it). The result is zero when the tree
// became empty, since git stores no empty subtrees.
func setPath(s storer.EncodedObjectStorer, tree plumbing.Hash, segs []string, blob plumbing.Hash) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !tree.IsZero() {
		t, err := object.GetTree(s, tree)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", tree, err)
		}
		entries = slices.Clone(t.Entries)
	}
	name := segs[0]
	i := slices.IndexFunc(entries, func(e object.TreeEntry) bool { return e.Name == name })
	remove := func() {
		if i >= 0 {
			entries = slices.Delete(entries, i, i+1)
		}
	}
	put := func(e object.TreeEntry) {
		if i >= 0 {
			entries[i] = e
		} else {
			entries = append(entries, e)
		}
	}

	if len(segs) == 1 {
		if i >= 0 && entries[i].Mode == filemode.Dir {
			return plumbing.ZeroHash, fmt.Errorf("%q is a directory: %w", name, ErrInvalidChange)
		}
		if blob.IsZero() {
			remove()
		} else {
			put(object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: blob})
		}
	} else {
		var sub plumbing.Hash
		if i >= 0 {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%q is a file: %w", name, ErrInvalidChange)
			}
			sub = entries[i].Hash
		}
		newSub, err := setPath(s, sub, segs[1:], blob)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if newSub.IsZero() {
			remove()
		} else {
			put(object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: newSub})
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	return writeTree(s, entries)
}

// applyToTree returns the root tree after applying c to tree.
func applyToTree(s storer.EncodedObjectStorer, tree plumbing.Hash, c *Change) (plumbing.Hash, error) {
	var blob plumbing.Hash
	if len(c.Content) > 0 {
		var err error
		if blob, err = writeBlob(s, c.Content); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	newTree, err := setPath(s, tree, strings.Split(c.Path, "/"), blob)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("change %d: path %s: %w", c.Seq, c.Path, err)
	}
	if newTree.IsZero() {
		// Cannot happen while config.json stays, but keep the history valid.
		return writeTree(s, nil)
	}
	return newTree, nil
}

// writeCommit stores a commit whose author and committer are sig at t (UTC,
// whole seconds) and returns its hash.
func writeCommit(s storer.EncodedObjectStorer, tree plumbing.Hash, parent plumbing.Hash, sig Signature, t time.Time, msg string) (plumbing.Hash, error) {
	when := time.Unix(t.Unix(), 0).UTC()
	gs := object.Signature{Name: sig.Name, Email: sig.Email, When: when}
	c := &object.Commit{Author: gs, Committer: gs, Message: msg, TreeHash: tree}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	obj := s.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store commit: %w", err)
	}
	return h, nil
}

// writeRoot stores the root commit: config.json only, sequence number 0.
func writeRoot(s storer.EncodedObjectStorer, cfg *Config) (plumbing.Hash, error) {
	c := &Change{Path: ConfigPath, Content: cfg.ConfigJSON}
	tree, err := applyToTree(s, plumbing.ZeroHash, c)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("root commit: %w", err)
	}
	h, err := writeCommit(s, tree, plumbing.ZeroHash, cfg.Author, cfg.RootTime, formatMessage(rootSubject, 0))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("root commit: %w", err)
	}
	return h, nil
}

// checkTree makes sure every object below tree is present.
func checkTree(s storer.EncodedObjectStorer, tree plumbing.Hash) error {
	t, err := object.GetTree(s, tree)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", tree, err)
	}
	for _, e := range t.Entries {
		if e.Mode == filemode.Dir {
			if err := checkTree(s, e.Hash); err != nil {
				return err
			}
			continue
		}
		if err := s.HasEncodedObject(e.Hash); err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				return fmt.Errorf("blob %s (%s) in tree %s: %w", e.Hash, e.Name, tree, err)
			}
			return fmt.Errorf("look up blob %s: %w", e.Hash, err)
		}
	}
	return nil
}
