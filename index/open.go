package index

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// open opens, repairs or creates the repository. Called with no lock held,
// before r is shared.
func (r *Repo) open() error {
	dir := r.cfg.Dir
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return r.initialise()
	case err != nil:
		return fmt.Errorf("open git index %s: %w", dir, err)
	case !info.IsDir():
		return r.repair(errors.New("not a directory"))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("open git index %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return r.initialise()
	}
	r.removeStaleLock()
	missingBranch, err := r.verify()
	if err != nil {
		return r.repair(err)
	}
	r.st = newStorage(dir)
	if missingBranch {
		// A repository initialised without its root commit (crash in
		// between): add it.
		return r.writeRootCommit()
	}
	return nil
}

// verify checks the repository in r.cfg.Dir: HEAD points at the branch,
// the branch's commits form one chain with trailers counting down to a root
// commit equal to the one this config builds, and the head commit's tree is
// complete. missingBranch reports a valid repository without any commit.
// A panic in the git library on damaged files is turned into an error.
func (r *Repo) verify() (missingBranch bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic while reading repository: %v", p)
		}
	}()
	st := newStorage(r.cfg.Dir)
	if _, err := git.Open(st, nil); err != nil {
		return false, fmt.Errorf("open repository: %w", err)
	}
	cfg, err := st.Config()
	if err != nil {
		return false, fmt.Errorf("read config: %w", err)
	}
	if !cfg.Core.IsBare {
		return false, errors.New("not a bare repository")
	}
	head, err := st.Reference(plumbing.HEAD)
	if err != nil {
		return false, fmt.Errorf("read HEAD: %w", err)
	}
	if head.Type() != plumbing.SymbolicReference || head.Target() != r.branch {
		return false, fmt.Errorf("HEAD is %q, want a symbolic reference to %s", head.String(), r.branch)
	}
	ref, err := st.Reference(r.branch)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		// go-git also reports an empty ref file (a crash while writing it)
		// as missing.
		if _, statErr := os.Lstat(r.refPath(r.branch)); statErr == nil {
			return false, fmt.Errorf("%s is empty", r.branch)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", r.branch, err)
	}
	root, err := writeRoot(memory.NewStorage(), &r.cfg)
	if err != nil {
		return false, err
	}

	h, want := ref.Hash(), int64(-1)
	for {
		c, err := object.GetCommit(st, h)
		if err != nil {
			return false, fmt.Errorf("read commit %s: %w", h, err)
		}
		seq, err := parseSeq(c.Message)
		if err != nil {
			return false, fmt.Errorf("commit %s: %w", h, err)
		}
		if want >= 0 && seq != want {
			return false, fmt.Errorf("commit %s has change %d, want %d", h, seq, want)
		}
		if want < 0 {
			if err := checkTree(st, c.TreeHash); err != nil {
				return false, fmt.Errorf("head commit %s: %w", h, err)
			}
		}
		if seq == 0 {
			if h != root {
				return false, fmt.Errorf("root commit is %s, this config builds %s", h, root)
			}
			return false, nil
		}
		if len(c.ParentHashes) != 1 {
			return false, fmt.Errorf("commit %s (change %d) has %d parents", h, seq, len(c.ParentHashes))
		}
		h, want = c.ParentHashes[0], seq-1
	}
}

// repair logs why the repository is unusable, discards it and creates a
// fresh one.
func (r *Repo) repair(cause error) error {
	dir := r.cfg.Dir
	if looksLikeGitDir(dir) {
		r.logger.Warn("git index repository is broken; emptying and re-creating it",
			slog.String("dir", dir), slog.String("error", cause.Error()))
		if err := clearDir(dir); err != nil {
			return fmt.Errorf("repair git index %s: %w", dir, err)
		}
	} else {
		aside := dir + ".broken-" + time.Now().UTC().Format("20060102T150405.000000000Z")
		r.logger.Warn("git index directory is not a git repository; moving it aside and re-creating it",
			slog.String("dir", dir), slog.String("moved_to", aside), slog.String("error", cause.Error()))
		if err := os.Rename(dir, aside); err != nil {
			return fmt.Errorf("repair git index: move %s aside: %w", dir, err)
		}
	}
	return r.initialise()
}

// initialise creates a bare repository with HEAD pointing at the branch and
// the root commit, in a missing or empty directory.
func (r *Repo) initialise() error {
	if err := os.MkdirAll(r.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("create git index %s: %w", r.cfg.Dir, err)
	}
	st := newStorage(r.cfg.Dir)
	if _, err := git.InitWithOptions(st, nil, git.InitOptions{DefaultBranch: r.branch}); err != nil {
		return fmt.Errorf("init git index %s: %w", r.cfg.Dir, err)
	}
	r.st = st
	return r.writeRootCommit()
}

func (r *Repo) writeRootCommit() error {
	root, err := writeRoot(r.st, &r.cfg)
	if err != nil {
		return err
	}
	if err := r.casBranch(plumbing.ZeroHash, root); err != nil {
		return fmt.Errorf("create %s: %w", r.branch, err)
	}
	return nil
}

// removeStaleLock removes a branch lock file left by a writer that crashed
// between creating and renaming it. Its age does not matter: each replica's
// repository is written only by that replica's process, which has not
// written yet, so any lock found now is left over — also right after the
// crash, when a supervisor restarts the replica at once (keeping a fresh lock
// would fail every later Apply with ErrRefChanged).
func (r *Repo) removeStaleLock() {
	lock := r.refPath(r.branch) + ".lock"
	if _, err := os.Lstat(lock); err != nil {
		return
	}
	if err := os.Remove(lock); err != nil {
		r.logger.Warn("cannot remove stale git index lock", slog.String("path", lock), slog.String("error", err.Error()))
		return
	}
	r.logger.Warn("removed stale git index lock", slog.String("path", lock))
}

// looksLikeGitDir reports whether dir has any of a git directory's
// landmarks, so that emptying it cannot destroy unrelated data.
func looksLikeGitDir(dir string) bool {
	for _, name := range []string{"HEAD", "objects", "refs", "packed-refs"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// clearDir removes everything inside dir but keeps dir itself (it may be a
// mount point).
func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("remove %s: %w", e.Name(), err)
		}
	}
	return nil
}
