// Package storagetest is the conformance suite every storage.Store backend
// runs from its own test:
//
//	func TestStore(t *testing.T) {
//		t.Parallel()
//		storagetest.Run(t, func(t *testing.T) storage.Store { return memory.New() })
//	}
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
)

// testBundle is what every conformance subtest starts from.
type testBundle struct {
	ctx   context.Context
	start time.Time
	store storage.Store
}

// Run runs the conformance suite against stores made by newStore, which is
// called once per subtest and must return an empty store that no other
// subtest uses. Subtests run in parallel; Run returns before they finish,
// and the parent's Cleanup functions run after all of them.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{ctx: t.Context(), start: time.Now(), store: newStore(t)}
	}

	tests := []struct {
		name string
		fn   func(t *testing.T, b *testBundle)
	}{
		{"ConcurrentPuts", testConcurrentPuts},
		{"ContextCanceled", testContextCanceled},
		{"ContextCanceledDuringPut", testContextCanceledDuringPut},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"LargeObject", testLargeObject},
		{"List", testList},
		{"ListCallbackError", testListCallbackError},
		{"Missing", testMissing},
		{"Overwrite", testOverwrite},
		{"OverwriteWhileReading", testOverwriteWhileReading},
		{"PutOpenRoundTrip", testPutOpenRoundTrip},
		{"SizeMismatch", testSizeMismatch},
		{"ZeroByte", testZeroByte},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, setup(t))
		})
	}
}

func testDelete(t *testing.T, b *testBundle) {
	put(t, b, "del/a", []byte("a"))
	put(t, b, "del/b", []byte("b"))

	require.NoError(t, b.store.Delete(b.ctx, "del/a"))
	_, err := b.store.Stat(b.ctx, "del/a")
	require.ErrorIs(t, err, storage.ErrNotFound)

	// Idempotent, also for keys that never existed.
	require.NoError(t, b.store.Delete(b.ctx, "del/a"))
	require.NoError(t, b.store.Delete(b.ctx, "never/existed/at-all"))

	// The sibling survives; deleting the last object of a "directory"
	// leaves the store able to reuse the names.
	requireContent(t, b, "del/b", []byte("b"))
	require.NoError(t, b.store.Delete(b.ctx, "del/b"))
	require.Empty(t, listKeys(t, b, ""))
	put(t, b, "del", []byte("now a file"))
	requireContent(t, b, "del", []byte("now a file"))
}

func testLargeObject(t *testing.T, b *testBundle) {
	data := randomBytes(12<<20, 1)

	// Seekable reader.
	put(t, b, "large/seekable.bin", data)
	requireContent(t, b, "large/seekable.bin", data)

	// Plain reader: the backend has to stream or buffer it itself.
	err := b.store.Put(b.ctx, "large/stream.bin", onlyReader{bytes.NewReader(data)}, int64(len(data)))
	require.NoError(t, err)
	requireContent(t, b, "large/stream.bin", data)
}

func testMissing(t *testing.T, b *testBundle) {
	put(t, b, "dir/object", []byte("x"))

	for _, key := range []string{"missing", "dir/missing", "missing/deeper/key", "dir", "dir/object/below"} {
		_, err := b.store.Stat(b.ctx, key)
		require.ErrorIs(t, err, storage.ErrNotFound, "Stat(%q)", key)

		rc, _, err := b.store.Open(b.ctx, key)
		require.ErrorIs(t, err, storage.ErrNotFound, "Open(%q)", key)
		require.Nil(t, rc)
	}
}

func testOverwrite(t *testing.T, b *testBundle) {
	put(t, b, "over/write", []byte("the first, longer version"))
	put(t, b, "over/write", []byte("v2"))

	requireContent(t, b, "over/write", []byte("v2"))
	info, err := b.store.Stat(b.ctx, "over/write")
	require.NoError(t, err)
	require.Equal(t, int64(2), info.Size)
	require.Equal(t, []string{"over/write"}, listKeys(t, b, ""))
}

func testPutOpenRoundTrip(t *testing.T, b *testBundle) {
	data := randomBytes(100<<10, 2)
	put(t, b, "round/trip.bin", data)

	rc, info, err := b.store.Open(b.ctx, "round/trip.bin")
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.True(t, bytes.Equal(data, got), "content differs")
	require.Equal(t, "round/trip.bin", info.Key)
	require.Equal(t, int64(len(data)), info.Size)
	requireRecent(t, b, info.ModTime)

	stat, err := b.store.Stat(b.ctx, "round/trip.bin")
	require.NoError(t, err)
	require.Equal(t, "round/trip.bin", stat.Key)
	require.Equal(t, int64(len(data)), stat.Size)
	requireRecent(t, b, stat.ModTime)

	// Put reads from the reader's current position, not its start.
	r := bytes.NewReader([]byte("skip:keep"))
	_, err = r.Seek(5, io.SeekStart)
	require.NoError(t, err)
	require.NoError(t, b.store.Put(b.ctx, "round/offset", r, 4))
	requireContent(t, b, "round/offset", []byte("keep"))

	// Every key character is usable.
	odd := "Round/Trip_-.9/a..b/-/_/.x"
	put(t, b, odd, []byte("odd"))
	requireContent(t, b, odd, []byte("odd"))
}

func testSizeMismatch(t *testing.T, b *testBundle) {
	put(t, b, "size/existing", []byte("keep me"))

	cases := []struct {
		name string
		data string
		size int64
	}{
		{"Short", "12345", 10},
		{"Long", "12345", 3},
		{"Negative", "", -1},
	}
	for _, tc := range cases {
		for _, seekable := range []bool{true, false} {
			var r io.Reader = bytes.NewReader([]byte(tc.data))
			if !seekable {
				r = onlyReader{r}
			}
			err := b.store.Put(b.ctx, "size/new", r, tc.size)
			require.ErrorIs(t, err, storage.ErrSizeMismatch, "%s seekable=%v", tc.name, seekable)

			r = bytes.NewReader([]byte(tc.data))
			if !seekable {
				r = onlyReader{r}
			}
			err = b.store.Put(b.ctx, "size/existing", r, tc.size)
			require.ErrorIs(t, err, storage.ErrSizeMismatch, "%s seekable=%v", tc.name, seekable)
		}
	}
	require.Equal(t, []string{"size/existing"}, listKeys(t, b, "size/"))
	requireContent(t, b, "size/existing", []byte("keep me"))
}

func testZeroByte(t *testing.T, b *testBundle) {
	require.NoError(t, b.store.Put(b.ctx, "zero/empty", bytes.NewReader(nil), 0))
	require.NoError(t, b.store.Put(b.ctx, "zero/empty-stream", onlyReader{bytes.NewReader(nil)}, 0))

	for _, key := range []string{"zero/empty", "zero/empty-stream"} {
		requireContent(t, b, key, []byte{})
		info, err := b.store.Stat(b.ctx, key)
		require.NoError(t, err)
		require.Equal(t, int64(0), info.Size)
	}
	infos := listInfos(t, b, "zero/")
	require.Len(t, infos, 2)
	require.Equal(t, int64(0), infos[0].Size)
}

// put stores data under key from a seekable reader.
func put(t *testing.T, b *testBundle, key string, data []byte) {
	t.Helper()
	require.NoError(t, b.store.Put(b.ctx, key, bytes.NewReader(data), int64(len(data))))
}

// requireContent opens key and checks its bytes (by SHA-256, to keep
// failure output short) and Info.
func requireContent(t *testing.T, b *testBundle, key string, want []byte) {
	t.Helper()
	rc, info, err := b.store.Open(b.ctx, key)
	require.NoError(t, err)
	defer rc.Close()
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, len(want), len(got), "length of %q", key)
	require.Equal(t, digest(want), digest(got), "content of %q", key)
	require.Equal(t, key, info.Key)
	require.Equal(t, int64(len(want)), info.Size, "Info.Size of %q", key)
}

func requireRecent(t *testing.T, b *testBundle, modTime time.Time) {
	t.Helper()
	// S3 has one-second granularity; allow for clock steps either way.
	require.WithinRange(t, modTime, b.start.Add(-time.Minute), time.Now().Add(time.Minute))
}

func digest(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	p := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	return p
}

// onlyReader hides every method but Read (io.Seeker, io.WriterTo, …).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

var errStopList = errors.New("storagetest: stop listing")
