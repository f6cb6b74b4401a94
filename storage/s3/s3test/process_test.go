package s3test_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/transient"
	"github.com/wharfhq/wharf/storage/s3"
	"github.com/wharfhq/wharf/storage/s3/s3test"
)

func TestProcessStopStart(t *testing.T) {
	t.Parallel()
	p := s3test.StartProcess(t)
	ctx := context.Background()
	st, err := s3.New(ctx, s3.Config{
		Endpoint: p.Endpoint, AccessKey: p.AccessKey, SecretKey: p.SecretKey, Bucket: "restart",
		CreateBucket: true, MaxAttempts: 1,
	})
	require.NoError(t, err)
	require.NoError(t, st.Put(ctx, "a/b", bytes.NewReader([]byte("kept")), 4))

	p.Stop()
	p.Stop() // idempotent
	err = st.Put(ctx, "a/c", bytes.NewReader([]byte("lost")), 4)
	require.Error(t, err)
	require.Equal(t, transient.Network, transient.Classify(err), "%v", err)
	_, _, err = st.Open(ctx, "a/b")
	require.True(t, transient.Is(err), "%v", err)

	p.Start()
	p.Start() // idempotent
	rc, _, err := st.Open(ctx, "a/b")
	require.NoError(t, err, "same port, same data after a restart")
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, "kept", string(data))
	require.NoError(t, st.Put(ctx, "a/c", bytes.NewReader([]byte("now")), 3))
}
