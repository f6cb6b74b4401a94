package registry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/storage"
)

func TestSeed(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		ctx     context.Context
		s       *testserver.Server
		ownerID int64
		// versions of "seeded" pointing to one stored .crate
		versions []registry.SeedVersion
	}

	setup := func(t *testing.T, engine string) *testBundle {
		t.Helper()
		ctx := context.Background()
		s := testserver.Start(t, engine, nil)
		data := cratetest.Build("seeded", "1.0.0", nil)
		sum := sha256.Sum256(data)
		cksum := hex.EncodeToString(sum[:])
		require.NoError(t, s.Blobs.Put(ctx, storage.CrateKey(cksum), bytes.NewReader(data), int64(len(data))))
		var versions []registry.SeedVersion
		for _, v := range []string{"1.0.0", "1.1.0", "2.0.0-rc.1"} {
			versions = append(versions, registry.SeedVersion{Meta: cratetest.Metadata("seeded", v), Checksum: cksum, Size: int64(len(data))})
		}
		return &testBundle{ctx: ctx, s: s, ownerID: admin(t, s).UserID, versions: versions}
	}

	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("ExistingVersionConflicts", func(t *testing.T) {
			t.Parallel()
			bundle := setup(t, engine)
			require.NoError(t, bundle.s.Registry.Seed(bundle.ctx, bundle.ownerID, [][]registry.SeedVersion{bundle.versions[:1]}))
			err := bundle.s.Registry.Seed(bundle.ctx, bundle.ownerID, [][]registry.SeedVersion{bundle.versions})
			require.ErrorIs(t, err, registry.ErrConflict)
			f, err := bundle.s.Registry.IndexFile(bundle.ctx, "seeded")
			require.NoError(t, err)
			require.Equal(t, 1, bytes.Count(f.Content, []byte("\n")), "the failed batch rolled back")
		})

		t.Run("RendersIndexLikePublish", func(t *testing.T) {
			t.Parallel()
			bundle := setup(t, engine)
			reg := bundle.s.Registry
			require.NoError(t, reg.Seed(bundle.ctx, bundle.ownerID, [][]registry.SeedVersion{bundle.versions}))

			f, err := reg.IndexFile(bundle.ctx, "seeded")
			require.NoError(t, err)
			sum := sha256.Sum256(f.Content)
			require.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, f.ETag)
			lines := strings.Split(strings.TrimSuffix(string(f.Content), "\n"), "\n")
			require.Len(t, lines, 3)
			for i, line := range lines {
				var e crate.IndexEntry
				require.NoError(t, json.Unmarshal([]byte(line), &e))
				require.NoError(t, crate.ValidateEntry(e))
				require.Equal(t, bundle.versions[i].Meta.Vers, e.Vers)
				require.Equal(t, bundle.versions[i].Checksum, e.Cksum)
			}

			// Re-deriving the file from the rows changes nothing.
			require.NoError(t, reg.ReconcileCrate(bundle.ctx, crate.NameKey("seeded")))
			again, err := reg.IndexFile(bundle.ctx, "seeded")
			require.NoError(t, err)
			require.Equal(t, f.ETag, again.ETag)

			// Seeded versions download, and the owner publishes on top.
			d, err := reg.Download(bundle.ctx, "seeded", "1.1.0")
			require.NoError(t, err)
			got, err := io.ReadAll(d.Body)
			require.NoError(t, d.Body.Close())
			require.NoError(t, err)
			require.Len(t, got, int(bundle.versions[1].Size))
			publish(t, bundle.s, "seeded", "2.0.0")
			f, err = reg.IndexFile(bundle.ctx, "seeded")
			require.NoError(t, err)
			require.Equal(t, 4, bytes.Count(f.Content, []byte("\n")))
		})
	})
}
