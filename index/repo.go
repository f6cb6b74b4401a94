package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Signature is the author and committer of every commit.
type Signature struct {
	Name  string
	Email string
}

// Config configures a Repo.
type Config struct {
	// Dir is the bare repository directory; created if missing.
	Dir string
	// Branch is the branch HEAD points at; default "main".
	Branch string
	// Author is the author and committer of every commit (REGISTRY_GIT_USER_NAME
	// and REGISTRY_GIT_USER_EMAIL); default "Wharf" <wharf@localhost>.
	Author Signature
	// ConfigJSON is the content of config.json in the root commit. Required.
	ConfigJSON []byte
	// RootTime is the time of the root commit. It must be the same on every
	// replica; the zero value means the Unix epoch.
	RootTime time.Time
	// Logger receives repairs and pushes; nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, errors.New("index config: Dir is required")
	}
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return c, fmt.Errorf("index config: Dir: %w", err)
	}
	c.Dir = abs
	if c.Branch == "" {
		c.Branch = "main"
	}
	if err := plumbing.NewBranchReferenceName(c.Branch).Validate(); err != nil {
		return c, fmt.Errorf("index config: Branch %q: %w", c.Branch, err)
	}
	if c.Author.Name == "" {
		c.Author.Name = "Wharf"
	}
	if c.Author.Email == "" {
		c.Author.Email = "wharf@localhost"
	}
	if strings.ContainsAny(c.Author.Name+c.Author.Email, "<>\n\x00") {
		return c, fmt.Errorf("index config: Author %q <%s>: must not contain '<', '>', newline or NUL", c.Author.Name, c.Author.Email)
	}
	if len(c.ConfigJSON) == 0 {
		return c, errors.New("index config: ConfigJSON is required")
	}
	if c.RootTime.IsZero() {
		c.RootTime = time.Unix(0, 0)
	}
	c.RootTime = time.Unix(c.RootTime.Unix(), 0).UTC()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Repo is a local bare repository holding the git index, derived from the
// database's change log. It is safe for concurrent use: a mutex serialises
// writers within the process and the branch is moved with compare-and-swap.
type Repo struct {
	cfg    Config
	branch plumbing.ReferenceName
	logger *slog.Logger

	// packMu is held shared by Push (which reads the object files through its
	// own storage) and exclusively by Repack and Reset (which replace them).
	// Lock order: packMu, then mu.
	packMu sync.RWMutex
	mu     sync.Mutex
	st     *filesystem.Storage // guarded by mu
}

// Open opens the repository in cfg.Dir, creating it with its root commit if
// missing. A directory that is not a valid repository of this index (not a
// git repository, HEAD or the branch broken, missing objects, a root commit
// built from another config) is logged and discarded — a git repository is
// emptied in place, anything else moved aside to "<Dir>.broken-<time>" — and
// a fresh repository is created, whose Head is 0: the caller then replays
// the change log.
func Open(cfg Config) (*Repo, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Repo{cfg: cfg, branch: plumbing.NewBranchReferenceName(cfg.Branch), logger: cfg.Logger}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func newStorage(dir string) *filesystem.Storage {
	return filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
}

// Apply commits changes, one commit per change, and moves the branch to the
// last one. The changes must continue exactly from Head()+1, in order;
// otherwise Apply returns ErrGap and writes nothing. A change that can never
// be applied returns ErrInvalidChange. On error the branch does not move.
func (r *Repo) Apply(ctx context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	head, seq, err := r.head()
	if err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	for i := range changes {
		if want := seq + 1 + int64(i); changes[i].Seq != want {
			return fmt.Errorf("apply change %d at position %d: head is %d, want %d: %w", changes[i].Seq, i, seq, want, ErrGap)
		}
	}
	for i := range changes {
		if err := changes[i].validate(); err != nil {
			return fmt.Errorf("apply changes: %w", err)
		}
	}

	parent, err := object.GetCommit(r.st, head)
	if err != nil {
		return fmt.Errorf("apply changes: read head commit %s: %w", head, err)
	}
	// Small batches are written as loose objects, large ones as packs.
	var s storer.EncodedObjectStorer = r.st
	var batch *packBatch
	if len(changes) >= packMinChanges {
		batch = newPackBatch(r.st, r.cfg.Dir)
		s = batch
	}
	tree, tip := parent.TreeHash, head
	for i := range changes {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("apply changes: %w", err)
		}
		c := &changes[i]
		if tree, err = applyToTree(s, tree, c); err != nil {
			return fmt.Errorf("apply changes: %w", err)
		}
		if tip, err = writeCommit(s, tree, tip, r.cfg.Author, c.Time, c.commitMessage()); err != nil {
			return fmt.Errorf("apply change %d: %w", c.Seq, err)
		}
		if batch != nil && ((i+1)%packMaxChanges == 0 || i == len(changes)-1) {
			if err := batch.flush(ctx); err != nil {
				return fmt.Errorf("apply changes: %w", err)
			}
		}
	}
	if err := r.casBranch(head, tip); err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	last := changes[len(changes)-1].Seq
	r.logger.Debug("git index updated", slog.Int64("seq", last), slog.String("commit", tip.String()), slog.Int("changes", len(changes)))
	return nil
}

// Dir returns the repository directory (absolute).
func (r *Repo) Dir() string { return r.cfg.Dir }

// Head returns the sequence number of the branch's commit (0 for the root
// commit) and its hash.
func (r *Repo) Head() (int64, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, seq, err := r.head()
	if err != nil {
		return 0, "", err
	}
	return seq, h.String(), nil
}

func (r *Repo) head() (plumbing.Hash, int64, error) {
	ref, err := r.st.Reference(r.branch)
	if err != nil {
		return plumbing.ZeroHash, 0, fmt.Errorf("read %s: %w", r.branch, err)
	}
	c, err := object.GetCommit(r.st, ref.Hash())
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// go-git caches the list of packs; someone else (git gc) may have
		// repacked.
		r.st.Reindex()
		c, err = object.GetCommit(r.st, ref.Hash())
	}
	if err != nil {
		return plumbing.ZeroHash, 0, fmt.Errorf("read head commit %s: %w", ref.Hash(), err)
	}
	seq, err := parseSeq(c.Message)
	if err != nil {
		return plumbing.ZeroHash, 0, fmt.Errorf("head commit %s: %w", ref.Hash(), err)
	}
	return ref.Hash(), seq, nil
}

// Reset empties the repository and re-creates its root commit (used by
// `wharf index rebuild`): afterwards Head is 0 and the caller replays the
// change log. Clients fetching meanwhile may see errors.
func (r *Repo) Reset() error {
	r.packMu.Lock()
	defer r.packMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeStorage()
	if err := clearDir(r.cfg.Dir); err != nil {
		return fmt.Errorf("reset git index: %w", err)
	}
	if err := r.initialise(); err != nil {
		return fmt.Errorf("reset git index: %w", err)
	}
	r.logger.Info("git index reset", slog.String("dir", r.cfg.Dir))
	return nil
}

func (r *Repo) closeStorage() {
	if r.st != nil {
		// Without KeepDescriptors Close has nothing to release; ignore.
		_ = r.st.Close()
		r.st = nil
	}
}
