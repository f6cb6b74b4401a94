package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/store"
)

// seedBatchVersions bounds the versions written per transaction.
const seedBatchVersions = 5000

// blobWriters is how many .crate files are written at once: the fs backend
// syncs every file and its directory, so writing in parallel overlaps the
// disk flushes.
const blobWriters = 8

// seeded describes what was written: per crate, its index path, the ETag
// Wharf serves and the size of the index file; per version, a download path.
type seeded struct {
	crates    []seededCrate
	downloads []seededDownload
	indexSize sizeStats
	// took is the seeding time: blobs and rows, not the read-back/export.
	took time.Duration
}

type seededDownload struct {
	path string // /api/v1/crates/<name>/<vers>/download
	size int
}

type seededCrate struct {
	path string // URL path: /index/<index path>
	etag string // Wharf's ETag (quoted SHA-256 hex of the file)
	size int
}

// seed stores one small real .crate per crate (built by cratetest for the
// crate's first version; every version of the crate points to it) and writes
// the rows in batched transactions with registry.Seed. When export is not
// empty, every index file is also written below export/index/, byte for
// byte as Wharf serves it.
func seed(ctx context.Context, reg *registry.Service, st store.Store, blobs storage.Store, ownerID int64, p *plan, export string) (*seeded, error) {
	start := time.Now()
	data, sums := buildBlobs(p)
	// The blobs are written while the rows are: both are mostly waiting on
	// the disk.
	blobErr := make(chan error, 1)
	go func() { blobErr <- putBlobs(ctx, blobs, data, sums) }()
	out, err := seedRows(ctx, reg, ownerID, p, data, sums)
	if err = errors.Join(err, <-blobErr); err != nil {
		return nil, err
	}
	out.took = time.Since(start)
	lengths := make([]int, 0, len(p.crates))
	for i := range p.crates {
		path := crate.IndexPath(p.crates[i].name)
		f, err := st.IndexFileGet(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("read back index file %s: %w", path, err)
		}
		if export != "" {
			if err := writeExport(export, path, f.Content); err != nil {
				return nil, err
			}
		}
		out.crates = append(out.crates, seededCrate{path: "/index/" + path, etag: f.Etag, size: len(f.Content)})
		lengths = append(lengths, len(f.Content))
	}
	out.indexSize = newSizeStats(lengths)
	return out, nil
}

// seedRows writes the rows with registry.Seed in transactions of about
// seedBatchVersions versions.
func seedRows(ctx context.Context, reg *registry.Service, ownerID int64, p *plan, data [][]byte, sums []string) (*seeded, error) {
	out := &seeded{crates: make([]seededCrate, 0, len(p.crates)), downloads: make([]seededDownload, 0, p.versions)}
	var batch [][]registry.SeedVersion
	batchVersions := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := reg.Seed(ctx, ownerID, batch)
		batch, batchVersions = batch[:0], 0
		return err
	}
	for i := range p.crates {
		c := &p.crates[i]
		versions := make([]registry.SeedVersion, c.versions)
		for j := range versions {
			vers := versionString(j)
			versions[j] = registry.SeedVersion{Meta: c.metadata(vers), Checksum: sums[i], Size: int64(len(data[i]))}
			out.downloads = append(out.downloads, seededDownload{
				path: "/api/v1/crates/" + c.name + "/" + vers + "/download", size: len(data[i]),
			})
		}
		batch = append(batch, versions)
		batchVersions += len(versions)
		if batchVersions >= seedBatchVersions {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// buildBlobs builds one .crate per crate (cratetest, the crate's first
// version) and returns the files and their checksums.
func buildBlobs(p *plan) ([][]byte, []string) {
	data := make([][]byte, len(p.crates))
	sums := make([]string, len(p.crates))
	for i := range p.crates {
		data[i] = cratetest.Build(p.crates[i].name, versionString(0), nil)
		sum := sha256.Sum256(data[i])
		sums[i] = hex.EncodeToString(sum[:])
	}
	return data, sums
}

// putBlobs stores the built .crate files, blobWriters at a time.
func putBlobs(ctx context.Context, blobs storage.Store, data [][]byte, sums []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	errs := make([]error, blobWriters)
	var wg sync.WaitGroup
	for w := range blobWriters {
		wg.Go(func() {
			for i := range work {
				if errs[w] != nil {
					continue // drain
				}
				errs[w] = blobs.Put(ctx, storage.CrateKey(sums[i]), bytes.NewReader(data[i]), int64(len(data[i])))
				if errs[w] != nil {
					cancel()
				}
			}
		})
	}
	for i := range data {
		work <- i
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

func writeExport(root, path string, content []byte) error {
	name := filepath.Join(root, "index", filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		return err
	}
	return os.WriteFile(name, content, 0o600)
}
