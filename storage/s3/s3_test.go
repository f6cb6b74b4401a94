package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/s3"
	"github.com/wharfhq/wharf/storage/s3/s3test"
	"github.com/wharfhq/wharf/storage/storagetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	endpoint, access, secret := s3test.Start(t)
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return newStore(t, s3.Config{AccessKey: access, Bucket: bucketName(), CreateBucket: true, Endpoint: endpoint, SecretKey: secret})
	})
}

// TestStoreWithRoot runs the suite with every store under its own Root in
// one shared bucket, so a store that leaked outside its root would see the
// other subtests' objects.
func TestStoreWithRoot(t *testing.T) {
	t.Parallel()
	endpoint, access, secret := s3test.Start(t)
	bucket := bucketName()
	storagetest.Run(t, func(t *testing.T) storage.Store {
		root := "/tenant-" + strings.ToLower(rand.Text()[:8]) + "/wharf/"
		return newStore(t, s3.Config{AccessKey: access, Bucket: bucket, CreateBucket: true, Endpoint: endpoint, Root: root, SecretKey: secret})
	})
}

func TestStoreSpecifics(t *testing.T) {
	t.Parallel()
	endpoint, access, secret := s3test.Start(t)

	type testBundle struct {
		cfg   s3.Config
		ctx   context.Context
		store *s3.Store
	}
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		cfg := s3.Config{AccessKey: access, Bucket: bucketName(), CreateBucket: true, Endpoint: endpoint, SecretKey: secret}
		return &testBundle{cfg: cfg, ctx: t.Context(), store: newStore(t, cfg)}
	}

	t.Run("ConfigValidation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		cfg := b.cfg
		cfg.Bucket = ""
		_, err := s3.New(b.ctx, cfg)
		require.ErrorContains(t, err, "bucket is required")

		cfg = b.cfg
		cfg.SecretKey = ""
		_, err = s3.New(b.ctx, cfg)
		require.ErrorContains(t, err, "must be set together")

		cfg = b.cfg
		cfg.Root = "a/../b"
		_, err = s3.New(b.ctx, cfg)
		require.ErrorIs(t, err, storage.ErrInvalidKey)
	})

	t.Run("CreateBucketTwice", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// The bucket exists (setup created it); creating it again is fine.
		_, err := s3.New(b.ctx, b.cfg)
		require.NoError(t, err)
	})

	t.Run("MissingBucket", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cfg := b.cfg
		cfg.Bucket, cfg.CreateBucket = bucketName(), false
		store := newStore(t, cfg)

		err := store.Put(b.ctx, "k", bytes.NewReader([]byte("x")), 1)
		require.ErrorIs(t, err, storage.ErrPermanent)
		require.NotErrorIs(t, err, storage.ErrNotFound)
		require.ErrorContains(t, err, "NoSuchBucket")
	})

	t.Run("RedirectURL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		data := []byte(strings.Repeat("crate bytes ", 1000))
		key := storage.CrateKey(strings.Repeat("0f", 32))
		require.NoError(t, b.store.Put(b.ctx, key, bytes.NewReader(data), int64(len(data))))

		// The wrappers keep the capability.
		var wrapped storage.Store = storage.WithRetry(storage.WithTimeout(b.store, time.Minute), storage.RetryOpts{})
		redirector, ok := wrapped.(storage.Redirector)
		require.True(t, ok, "wrapped S3 store lost storage.Redirector")

		u, err := redirector.RedirectURL(b.ctx, key, time.Minute)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(u, endpoint+"/"), "URL %q not on %q", u, endpoint)
		status, body := httpGet(t, u)
		require.Equal(t, http.StatusOK, status)
		require.True(t, bytes.Equal(data, body), "presigned GET returned other bytes")

		// Presigning does not look the key up; fetching a missing one fails.
		u, err = redirector.RedirectURL(b.ctx, "missing", time.Minute)
		require.NoError(t, err)
		status, _ = httpGet(t, u)
		require.Equal(t, http.StatusNotFound, status)

		_, err = b.store.RedirectURL(b.ctx, "../x", time.Minute)
		require.ErrorIs(t, err, storage.ErrInvalidKey)
		_, err = b.store.RedirectURL(b.ctx, key, 0)
		require.Error(t, err)
	})

	t.Run("RootIsolation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cfg := b.cfg
		cfg.Root = "a/b"
		rooted := newStore(t, cfg)

		require.NoError(t, rooted.Put(b.ctx, "k", bytes.NewReader([]byte("in root")), 7))
		require.NoError(t, b.store.Put(b.ctx, "a/bk", bytes.NewReader([]byte("x")), 1))
		require.NoError(t, b.store.Put(b.ctx, "a/b-sibling/k", bytes.NewReader([]byte("x")), 1))

		// The root-less store sees the full object key.
		info, err := b.store.Stat(b.ctx, "a/b/k")
		require.NoError(t, err)
		require.Equal(t, int64(7), info.Size)

		// The rooted store sees only its own keys, without the root.
		require.Equal(t, []string{"k"}, listKeys(t, rooted, ""))
		_, err = rooted.Stat(b.ctx, "a/bk")
		require.ErrorIs(t, err, storage.ErrNotFound)
	})

	t.Run("WrongSecret", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.store.Put(b.ctx, "k", bytes.NewReader([]byte("x")), 1))
		cfg := b.cfg
		cfg.SecretKey = "not-the-secret"
		cfg.CreateBucket = false
		bad := newStore(t, cfg)

		err := bad.Put(b.ctx, "k2", bytes.NewReader([]byte("x")), 1)
		require.ErrorIs(t, err, storage.ErrPermanent)
		require.NotErrorIs(t, err, storage.ErrNotFound)
		require.ErrorContains(t, err, "SignatureDoesNotMatch")

		// HEAD responses have no body, so only the status tells: 403.
		_, err = bad.Stat(b.ctx, "k")
		require.ErrorIs(t, err, storage.ErrPermanent)
		require.NotErrorIs(t, err, storage.ErrNotFound)
		require.ErrorContains(t, err, "403")

		_, _, err = bad.Open(b.ctx, "k")
		require.ErrorContains(t, err, "SignatureDoesNotMatch")
		require.NotErrorIs(t, err, storage.ErrNotFound)

		// Creating the bucket at startup surfaces the problem at once.
		cfg.CreateBucket = true
		_, err = s3.New(b.ctx, cfg)
		require.ErrorContains(t, err, "SignatureDoesNotMatch")
	})
}

func bucketName() string {
	return "wharf-" + strings.ToLower(rand.Text())
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

func listKeys(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	var keys []string
	require.NoError(t, s.List(t.Context(), prefix, func(info storage.Info) error {
		keys = append(keys, info.Key)
		return nil
	}))
	return keys
}

func newStore(t *testing.T, cfg s3.Config) *s3.Store {
	t.Helper()
	s, err := s3.New(t.Context(), cfg)
	require.NoError(t, err)
	return s
}
