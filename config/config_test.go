package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:8080", c.ListenAddr())
	require.Equal(t, "http://127.0.0.1:8080", c.PublicURL)
	require.Equal(t, "./data", c.DataDir)
	require.Equal(t, "fs", c.Storage)
	require.Equal(t, int64(10<<20), c.BodyLimit)
	require.Empty(t, c.DatabaseURL)
	require.False(t, c.PublicRead)
	require.Equal(t, 30*time.Second, c.StorageTimeout)
}

func TestLoadListsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{
		"REGISTRY_WEB_LISTENON_PORT": "99999",
		"REGISTRY_WEB_PUBLIC_URI":    "ftp://x",
		"REGISTRY_STORAGE":           "s3",
		"REGISTRY_PUBLIC_READ":       "maybe",
		"REGISTRY_DATABASE_URL":      "mysql://x",
		"REGISTRY_S3_ACCESS_KEY":     "a",
	}))
	require.Error(t, err)
	for _, name := range []string{"REGISTRY_WEB_LISTENON_PORT", "REGISTRY_WEB_PUBLIC_URI", "REGISTRY_S3_BUCKET",
		"REGISTRY_PUBLIC_READ", "REGISTRY_DATABASE_URL", "REGISTRY_S3_SECRET_KEY"} {
		require.Contains(t, err.Error(), name)
	}
}

func TestLoadTrimsPublicURL(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"REGISTRY_WEB_PUBLIC_URI": "https://crates.example.com/"}))
	require.NoError(t, err)
	require.Equal(t, "https://crates.example.com", c.PublicURL)
}
