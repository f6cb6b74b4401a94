package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/jobs"
	"github.com/wharfhq/wharf/store"
)

// GitIndexConfig configures this replica's git index repository, derived
// from the index change log.
type GitIndexConfig struct {
	Repo *index.Repo
	// Config reopens the repository when it changed under us (e.g. a
	// `wharf index rebuild` swapped the directory).
	Config index.Config
	// Remote, when set, is pushed after every sync by the index_sync job.
	Remote *index.RemoteConfig
}

// gitIndex keeps a local git repository in step with the change log.
type gitIndex struct {
	repo   *index.Repo
	cfg    index.Config
	remote *index.RemoteConfig
	store  store.Store
	logger *slog.Logger
	mu     sync.Mutex // one sync at a time per replica
	// applied counts changes since the last repack; every repackEvery the
	// loose objects and delta-less packs are repacked.
	applied int
	// pushed is the head of the last SyncIndexRepo run on this replica that
	// caught up with the log (and pushed it, when there is a remote).
	pushed atomic.Int64
}

const repackEvery = 1000

// EnableGitIndex attaches a git index; call before serving.
func (s *Service) EnableGitIndex(cfg GitIndexConfig) {
	s.git = &gitIndex{repo: cfg.Repo, cfg: cfg.Config, remote: cfg.Remote, store: s.store, logger: s.logger}
}

// SyncIndexRepo brings this replica's git index repository up to date with
// the index change log and pushes it to the remote mirror when configured.
// Without a git index it does nothing.
func (s *Service) SyncIndexRepo(ctx context.Context) error {
	if s.git == nil {
		return nil
	}
	// Loop until nothing new arrived while pushing: a change committed
	// during this run had its own index_sync job coalesced into this one.
	for range 10 {
		head, err := s.git.sync(ctx)
		if err != nil {
			return err
		}
		if s.git.remote != nil {
			if err := s.git.repo.Push(ctx, *s.git.remote); err != nil {
				return fmt.Errorf("push git index to %s: %w", s.git.remote.URL, err)
			}
		}
		latest, err := s.store.IndexChangeMaxSeq(ctx)
		if err != nil {
			return fmt.Errorf("read index change log: %w", err)
		}
		if latest == head {
			s.git.pushed.Store(head)
			return nil
		}
	}
	return nil
}

// RecheckIndexSync is called once River has marked an index_sync job run by
// this replica completed. Until then River counted that job as a duplicate
// (unique jobs include running ones), so a change committed after the job's
// last look at the log enqueued nothing: when the log is ahead of what the
// job pushed, enqueue another job rather than wait for RunMirrorLoop. Taking
// the change-log lock orders this check after the commit of every such
// change. Without a remote there is nothing to push: the local repository
// is synced before each fetch anyway.
func (s *Service) RecheckIndexSync(ctx context.Context) error {
	if s.git == nil || s.git.remote == nil {
		return nil
	}
	return s.store.Tx(ctx, func(tx store.Tx) error {
		if err := tx.IndexChangeLock(ctx); err != nil {
			return fmt.Errorf("lock index change log: %w", err)
		}
		maxSeq, err := tx.IndexChangeMaxSeq(ctx)
		if err != nil {
			return fmt.Errorf("read index change log: %w", err)
		}
		if maxSeq <= s.git.pushed.Load() {
			return nil
		}
		s.logger.DebugContext(ctx, "git index changed while index_sync ran; scheduling another",
			"log", maxSeq, "pushed", s.git.pushed.Load())
		return tx.Enqueue(ctx, jobs.IndexSyncArgs{}, nil)
	})
}

// SyncIndexRepoLocal brings the local git index up to date without pushing
// (used at start). It returns the head sequence number.
func (s *Service) SyncIndexRepoLocal(ctx context.Context) (int64, error) {
	if s.git == nil {
		return 0, nil
	}
	return s.git.sync(ctx)
}

// oldIndexGrace is how long RebuildGitIndex keeps a replaced repository:
// git upload-pack processes that started before the swap read from it.
const oldIndexGrace = 5 * time.Minute

// oldIndexTime names replaced repositories "<Dir>.old-<UTC time>".
const oldIndexTime = "20060102T150405.000000000Z"

// RebuildGitIndex recreates the git index repository at cfg.Dir from the
// change log (`wharf index rebuild`): it replays the log into a sibling
// directory and swaps it in, so a running server keeps serving. Commits are
// deterministic: the rebuilt history has the same hashes as before. It
// returns the head sequence number.
//
// The swap is atomic where the OS allows it (Linux: renameat2
// RENAME_EXCHANGE), so fetches never find the directory missing, and the
// replaced copy is kept as "<Dir>.old-<time>" for oldIndexGrace, so that
// fetches still reading from it complete; a later rebuild removes it.
func (s *Service) RebuildGitIndex(ctx context.Context, cfg index.Config) (int64, error) {
	final := cfg.Dir
	cfg.Dir = final + ".rebuild"
	if err := os.RemoveAll(cfg.Dir); err != nil {
		return 0, fmt.Errorf("clear %s: %w", cfg.Dir, err)
	}
	s.removeOldGitIndexes(ctx, final)
	repo, err := index.Open(cfg)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", cfg.Dir, err)
	}
	g := &gitIndex{repo: repo, store: s.store, logger: s.logger}
	head, err := g.sync(ctx)
	if err != nil {
		return 0, err
	}
	if err := repo.Repack(ctx); err != nil {
		s.logger.WarnContext(ctx, "repack rebuilt git index", "error", err)
	}
	old := final + ".old-" + s.now().UTC().Format(oldIndexTime)
	err = exchangeDirs(cfg.Dir, final)
	switch {
	case err == nil:
		// The replaced copy is now at cfg.Dir.
		if err := os.Rename(cfg.Dir, old); err != nil {
			return 0, fmt.Errorf("move the replaced git index aside: %w", err)
		}
	case errors.Is(err, errNoExchange):
		if err := os.Rename(final, old); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("move %s aside: %w", final, err)
		}
		if err := os.Rename(cfg.Dir, final); err != nil {
			return 0, fmt.Errorf("move rebuilt index into place: %w", err)
		}
	default:
		return 0, fmt.Errorf("swap rebuilt index into place: %w", err)
	}
	return head, nil
}

// errNoExchange means that two directories cannot be swapped atomically:
// the caller renames them one after the other.
var errNoExchange = errors.New("atomic directory exchange not available")

// removeOldGitIndexes removes the copies that earlier rebuilds replaced
// more than oldIndexGrace ago (and "<final>.old" from earlier versions).
func (s *Service) removeOldGitIndexes(ctx context.Context, final string) {
	entries, err := os.ReadDir(filepath.Dir(final))
	if err != nil {
		return
	}
	prefix := filepath.Base(final) + ".old"
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() {
			continue
		}
		if stamp, ok := strings.CutPrefix(rest, "-"); ok {
			t, err := time.Parse(oldIndexTime, stamp)
			if err != nil || s.now().Sub(t) < oldIndexGrace {
				continue
			}
		} else if rest != "" {
			continue
		}
		dir := filepath.Join(filepath.Dir(final), e.Name())
		if err := os.RemoveAll(dir); err != nil {
			s.logger.WarnContext(ctx, "remove replaced git index", "dir", dir, "error", err)
		}
	}
}

// GitHTTPHandler serves the git index over smart HTTP, syncing the local
// repository before each ref advertisement so every replica serves the
// latest history.
func (s *Service) GitHTTPHandler(prefix string) http.Handler {
	if s.git == nil {
		return nil
	}
	h := index.NewHTTPHandler(s.git.repo, prefix, s.logger)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if _, err := s.git.sync(r.Context()); err != nil {
				s.logger.ErrorContext(r.Context(), "sync git index before serving", "error", err)
				http.Error(w, "git index temporarily unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

const syncBatch = 500

// sync applies every logged change after the repository's head. A
// repository ahead of the log (database restored from backup) or out of
// step is rebuilt from scratch. It returns the head sequence number.
func (g *gitIndex) sync(ctx context.Context) (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	head, err := g.syncLocked(ctx)
	if err == nil || ctx.Err() != nil || g.cfg.Dir == "" {
		return head, err
	}
	// The directory may have been swapped by `wharf index rebuild`: reopen
	// (Open repairs a broken repository) and try once more.
	g.logger.WarnContext(ctx, "git index sync failed; reopening the repository", "error", err)
	repo, oerr := index.Open(g.cfg)
	if oerr != nil {
		return 0, fmt.Errorf("%w (reopen: %v)", err, oerr)
	}
	g.repo = repo
	return g.syncLocked(ctx)
}

func (g *gitIndex) syncLocked(ctx context.Context) (int64, error) {
	head, _, err := g.repo.Head()
	if err != nil {
		return 0, fmt.Errorf("read git index head: %w", err)
	}
	maxSeq, err := g.store.IndexChangeMaxSeq(ctx)
	if err != nil {
		return 0, fmt.Errorf("read index change log: %w", err)
	}
	if head == maxSeq {
		return head, nil
	}
	if head > maxSeq {
		g.logger.WarnContext(ctx, "git index is ahead of the database; rebuilding", "head", head, "log", maxSeq)
		if err := g.repo.Reset(); err != nil {
			return 0, fmt.Errorf("reset git index: %w", err)
		}
		head = 0
	}
	for head < maxSeq {
		rows, err := g.store.IndexChangeListAfter(ctx, store.IndexChangeListAfterParams{After: head, Lim: syncBatch})
		if err != nil {
			return 0, fmt.Errorf("list index changes after %d: %w", head, err)
		}
		if len(rows) == 0 {
			break
		}
		changes := make([]index.Change, len(rows))
		for i, row := range rows {
			changes[i] = index.Change{Seq: row.Seq, Path: row.Path, Content: row.Content, Message: row.Message, Time: row.CreatedAt}
		}
		err = g.repo.Apply(ctx, changes)
		if errors.Is(err, index.ErrGap) && head == 0 {
			// Replaying from scratch hit a gap: the log itself is broken.
			return 0, fmt.Errorf("index change log is not contiguous: %w", err)
		}
		if errors.Is(err, index.ErrGap) {
			g.logger.WarnContext(ctx, "git index out of step with the change log; rebuilding", "error", err)
			if err := g.repo.Reset(); err != nil {
				return 0, fmt.Errorf("reset git index: %w", err)
			}
			head = 0
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("apply index changes: %w", err)
		}
		head = rows[len(rows)-1].Seq
		g.applied += len(rows)
	}
	if g.applied >= repackEvery {
		g.applied = 0
		if err := g.repo.Repack(ctx); err != nil {
			g.logger.WarnContext(ctx, "repack git index", "error", err)
		}
	}
	return head, nil
}

// RunMirrorLoop syncs and pushes the git index every interval until ctx
// ends. The index_sync job pushes after each change; this loop is the safety
// net for changes whose job was coalesced into one already running, or
// stuck after a crash. Histories are identical on every replica, so several
// replicas pushing the same commits is harmless.
func (s *Service) RunMirrorLoop(ctx context.Context, interval time.Duration) {
	if s.git == nil || s.git.remote == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.SyncIndexRepo(ctx); err != nil && ctx.Err() == nil {
				s.logger.WarnContext(ctx, "periodic git mirror push failed; will retry", "error", err)
			}
		}
	}
}
