package litestore

import (
	"context"

	"github.com/wharfhq/wharf/store"
)

// SessionGetByHash runs on every browser request with a session cookie: use
// the read-only pool so it never queues behind the single writer.
func (s *Store) SessionGetByHash(ctx context.Context, hash string) (store.SessionGetByHashRow, error) {
	return s.read.SessionGetByHash(ctx, hash)
}
