package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
)

func testConcurrentPuts(t *testing.T, b *testBundle) {
	const n = 16
	want := make(map[string][]byte, n)
	for i := range n {
		want[fmt.Sprintf("concurrent/k%02d", i)] = randomBytes(32<<10+i, uint64(100+i))
	}

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for key, data := range want {
		wg.Go(func() {
			errs <- b.store.Put(b.ctx, key, onlyReader{bytes.NewReader(data)}, int64(len(data)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	keys := listKeys(t, b, "concurrent/")
	require.Len(t, keys, n)
	for _, key := range keys {
		requireContent(t, b, key, want[key])
	}
}

func testContextCanceled(t *testing.T, b *testBundle) {
	put(t, b, "ctx/existing", []byte("x"))

	ctx, cancel := context.WithCancel(b.ctx)
	cancel()

	err := b.store.Put(ctx, "ctx/new", bytes.NewReader([]byte("x")), 1)
	require.ErrorIs(t, err, context.Canceled, "Put")
	_, _, err = b.store.Open(ctx, "ctx/existing")
	require.ErrorIs(t, err, context.Canceled, "Open")
	_, err = b.store.Stat(ctx, "ctx/existing")
	require.ErrorIs(t, err, context.Canceled, "Stat")
	err = b.store.Delete(ctx, "ctx/existing")
	require.ErrorIs(t, err, context.Canceled, "Delete")
	called := false
	err = b.store.List(ctx, "", func(storage.Info) error { called = true; return nil })
	require.ErrorIs(t, err, context.Canceled, "List")
	require.False(t, called, "List called fn with a canceled context")

	// Nothing happened.
	require.Equal(t, []string{"ctx/existing"}, listKeys(t, b, ""))
}

func testContextCanceledDuringPut(t *testing.T, b *testBundle) {
	old := []byte("old version")
	put(t, b, "ctx/obj", old)

	data := randomBytes(4<<20, 3)
	for _, key := range []string{"ctx/obj", "ctx/new"} {
		ctx, cancel := context.WithCancel(b.ctx)
		r := &cancelingReader{r: bytes.NewReader(data), after: 64 << 10, cancel: cancel}
		err := b.store.Put(ctx, key, r, int64(len(data)))
		cancel()
		require.ErrorIs(t, err, context.Canceled, "Put(%q)", key)
	}

	// The failed overwrite left the old object; the failed create left none.
	requireContent(t, b, "ctx/obj", old)
	_, err := b.store.Stat(b.ctx, "ctx/new")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testInvalidKeys(t *testing.T, b *testBundle) {
	invalid := []string{
		"",
		"../x",
		"..",
		".",
		"a/../b",
		"a/./b",
		"/abs",
		"a//b",
		"a/",
		`a\b`,
		`..\..\x`,
		"a\x00b",
		"a b",
		"a:b",
		"ключ",
		strings.Repeat("k", storage.MaxKeyLen+1),
	}
	for _, key := range invalid {
		err := b.store.Put(b.ctx, key, bytes.NewReader([]byte("x")), 1)
		require.ErrorIs(t, err, storage.ErrInvalidKey, "Put(%q)", key)
		_, _, err = b.store.Open(b.ctx, key)
		require.ErrorIs(t, err, storage.ErrInvalidKey, "Open(%q)", key)
		_, err = b.store.Stat(b.ctx, key)
		require.ErrorIs(t, err, storage.ErrInvalidKey, "Stat(%q)", key)
		err = b.store.Delete(b.ctx, key)
		require.ErrorIs(t, err, storage.ErrInvalidKey, "Delete(%q)", key)
	}
	for _, prefix := range []string{"../", "/abs", "a//", "a/../", `a\`, "a\x00", "./x"} {
		err := b.store.List(b.ctx, prefix, func(storage.Info) error { return nil })
		require.ErrorIs(t, err, storage.ErrInvalidKey, "List(%q)", prefix)
	}
	require.Empty(t, listKeys(t, b, ""))
}

// testOverwriteWhileReading checks that readers see whole objects while the
// key is overwritten: a reader opened before an overwrite, and readers racing
// a series of overwrites, each get exactly one version.
func testOverwriteWhileReading(t *testing.T, b *testBundle) {
	versions := [][]byte{
		bytes.Repeat([]byte("a"), 384<<10),
		bytes.Repeat([]byte("b"), 256<<10),
	}
	isVersion := func(p []byte) bool {
		return bytes.Equal(p, versions[0]) || bytes.Equal(p, versions[1])
	}
	put(t, b, "atomic/obj", versions[0])

	// A reader opened before the overwrite.
	rc, _, err := b.store.Open(b.ctx, "atomic/obj")
	require.NoError(t, err)
	head := make([]byte, 1024)
	_, err = io.ReadFull(rc, head)
	require.NoError(t, err)
	put(t, b, "atomic/obj", versions[1])
	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.True(t, isVersion(append(head, rest...)), "reader saw a mix of versions")

	// Readers racing a writer; both loops are bounded.
	const writes, readers, reads = 12, 3, 8
	var wg sync.WaitGroup
	errs := make(chan error, 1+readers*reads)
	wg.Go(func() {
		for i := range writes {
			v := versions[i%2]
			if err := b.store.Put(b.ctx, "atomic/obj", bytes.NewReader(v), int64(len(v))); err != nil {
				errs <- err
				return
			}
		}
	})
	for range readers {
		wg.Go(func() {
			for range reads {
				rc, info, err := b.store.Open(b.ctx, "atomic/obj")
				if err != nil {
					errs <- fmt.Errorf("open: %w", err)
					return
				}
				got, err := io.ReadAll(rc)
				_ = rc.Close()
				switch {
				case err != nil:
					errs <- fmt.Errorf("read: %w", err)
				case !isVersion(got):
					errs <- fmt.Errorf("read %d bytes that are neither version", len(got))
				case info.Size != int64(len(got)):
					errs <- fmt.Errorf("Info.Size %d for %d bytes read", info.Size, len(got))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// cancelingReader cancels its context once it has returned after bytes, and
// keeps returning data, so the store must notice the context itself.
type cancelingReader struct {
	after  int
	cancel context.CancelFunc
	n      int
	r      io.Reader
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	if c.n >= c.after {
		c.cancel()
	}
	if errors.Is(err, io.EOF) && c.n < c.after {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
