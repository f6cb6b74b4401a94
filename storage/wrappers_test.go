package storage_test

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/memory"
	"github.com/wharfhq/wharf/storage/storagetest"
)

// TestWrappedStore checks that the wrappers keep the Store contract.
func TestWrappedStore(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s := storage.WithTimeout(memory.New(), time.Minute)
		return storage.WithRetry(s, storage.RetryOpts{MinDelay: time.Millisecond})
	})
}
