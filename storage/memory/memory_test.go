package memory_test

import (
	"testing"

	"github.com/wharfhq/wharf/storage"
	"github.com/wharfhq/wharf/storage/memory"
	"github.com/wharfhq/wharf/storage/storagetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Store { return memory.New() })
}
