package storage_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
)

func TestCopyExact(t *testing.T) {
	t.Parallel()

	t.Run("Canceled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var dst bytes.Buffer
		err := storage.CopyExact(ctx, &dst, strings.NewReader("abc"), 3)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("Exact", func(t *testing.T) {
		t.Parallel()
		data := bytes.Repeat([]byte("x"), 600<<10) // several chunks
		var dst bytes.Buffer
		require.NoError(t, storage.CopyExact(t.Context(), &dst, bytes.NewReader(data), int64(len(data))))
		require.True(t, bytes.Equal(data, dst.Bytes()))
	})

	t.Run("Long", func(t *testing.T) {
		t.Parallel()
		var dst bytes.Buffer
		err := storage.CopyExact(t.Context(), &dst, strings.NewReader("abcd"), 3)
		require.ErrorIs(t, err, storage.ErrSizeMismatch)
	})

	t.Run("ReadError", func(t *testing.T) {
		t.Parallel()
		var dst bytes.Buffer
		err := storage.CopyExact(t.Context(), &dst, io.MultiReader(strings.NewReader("ab"), errReader{}), 3)
		require.ErrorIs(t, err, errBroken)
		require.NotErrorIs(t, err, storage.ErrSizeMismatch)
	})

	t.Run("Short", func(t *testing.T) {
		t.Parallel()
		var dst bytes.Buffer
		err := storage.CopyExact(t.Context(), &dst, strings.NewReader("ab"), 3)
		require.ErrorIs(t, err, storage.ErrSizeMismatch)
	})

	t.Run("Zero", func(t *testing.T) {
		t.Parallel()
		var dst bytes.Buffer
		require.NoError(t, storage.CopyExact(t.Context(), &dst, strings.NewReader(""), 0))
		err := storage.CopyExact(t.Context(), &dst, strings.NewReader("a"), 0)
		require.ErrorIs(t, err, storage.ErrSizeMismatch)
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }
