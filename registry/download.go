package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/semver"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/store"
)

// Download is an open .crate file.
type Download struct {
	Body     io.ReadCloser
	Size     int64
	Checksum string
}

// Download implements GET /api/v1/crates/{name}/{version}/download. The
// stored bytes are returned untouched; the download is counted in memory and
// flushed in the background so counting never slows the response.
func (s *Service) Download(ctx context.Context, name, version string) (*Download, error) {
	vers, err := semver.ParseVersion(version)
	if err != nil {
		return nil, errorf(ErrNotFound, "crate %s has no version %q", name, version)
	}
	row, err := s.store.VersionForDownload(ctx, store.VersionForDownloadParams{NameKey: crate.NameKey(name), VersionKey: vers.Key()})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(ErrNotFound, "crate %s version %s does not exist", name, version)
	}
	if err != nil {
		return nil, fmt.Errorf("look up %s@%s: %w", name, version, err)
	}
	body, info, err := s.blobs.Open(ctx, storage.CrateKey(row.Checksum))
	if err != nil {
		return nil, fmt.Errorf("open %s-%s.crate: %w", name, version, err)
	}
	s.downloads.add(row.ID, row.CrateID, s.now())
	return &Download{Body: body, Size: info.Size, Checksum: row.Checksum}, nil
}

// FlushDownloads writes buffered download counts now.
func (s *Service) FlushDownloads(ctx context.Context) error { return s.downloads.flush(ctx) }

type dlKey struct {
	version, crate int64
	day            string
}

// downloadCounter buffers download counts per (version, day) and writes them
// periodically in one transaction.
type downloadCounter struct {
	svc      *Service
	mu       sync.Mutex
	counts   map[dlKey]int64
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func newDownloadCounter(svc *Service, interval time.Duration) *downloadCounter {
	d := &downloadCounter{svc: svc, counts: map[dlKey]int64{}, stop: make(chan struct{}), done: make(chan struct{})}
	go d.loop(interval)
	return d
}

func (d *downloadCounter) add(versionID, crateID int64, now time.Time) {
	k := dlKey{version: versionID, crate: crateID, day: now.UTC().Format(time.DateOnly)}
	d.mu.Lock()
	d.counts[k]++
	d.mu.Unlock()
}

func (d *downloadCounter) loop(interval time.Duration) {
	defer close(d.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval*4)
			if err := d.flush(ctx); err != nil {
				d.svc.logger.Error("flush download counts", "error", err)
			}
			cancel()
		}
	}
}

func (d *downloadCounter) flush(ctx context.Context) error {
	d.mu.Lock()
	batch := d.counts
	d.counts = map[dlKey]int64{}
	d.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	// Lock rows in one global order — crates by id, each crate before its
	// versions, as publish and yank do — so that flushes on several replicas
	// and concurrent yanks cannot deadlock (PostgreSQL).
	keys := slices.SortedFunc(maps.Keys(batch), func(a, b dlKey) int {
		return cmp.Or(cmp.Compare(a.crate, b.crate), cmp.Compare(a.version, b.version), strings.Compare(a.day, b.day))
	})
	err := d.svc.store.Tx(ctx, func(tx store.Tx) error {
		for i, k := range keys {
			if i == 0 || keys[i-1].crate != k.crate {
				var total int64
				for _, k2 := range keys[i:] {
					if k2.crate != k.crate {
						break
					}
					total += batch[k2]
				}
				if err := tx.CrateAddDownloads(ctx, store.CrateAddDownloadsParams{ID: k.crate, N: total}); err != nil {
					return err
				}
			}
			n := batch[k]
			if err := tx.VersionAddDownloads(ctx, store.VersionAddDownloadsParams{ID: k.version, N: n}); err != nil {
				return err
			}
			if err := tx.VersionDownloadsAdd(ctx, store.VersionDownloadsAddParams{VersionID: k.version, Day: k.day, N: n}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Put the counts back so a transient failure loses nothing.
		d.mu.Lock()
		for k, n := range batch {
			d.counts[k] += n
		}
		d.mu.Unlock()
		return fmt.Errorf("flush download counts: %w", err)
	}
	return nil
}

func (d *downloadCounter) close(ctx context.Context) error {
	d.stopOnce.Do(func() { close(d.stop) })
	<-d.done
	return d.flush(ctx)
}
