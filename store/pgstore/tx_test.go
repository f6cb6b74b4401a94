package pgstore_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/pgstore"
)

// TestTxRetriesDeadlock makes two transactions lock two crate rows in
// opposite orders. PostgreSQL aborts one of them (40P01); Tx runs it again
// and both succeed.
func TestTxRetriesDeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, testdb.PostgresURL(t), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(st.Close)
	now := time.Now().UTC()
	for _, name := range []string{"first", "second"} {
		_, err := st.CrateInsert(ctx, store.CrateInsertParams{Name: name, NameKey: name, IndexPath: name, CreatedAt: now})
		require.NoError(t, err)
	}

	var (
		attempts atomic.Int32
		bothLock sync.WaitGroup // first attempts hold their first lock
		wg       sync.WaitGroup
		errs     [2]error
	)
	bothLock.Add(2)
	lockInOrder := func(i int, a, b string) {
		defer wg.Done()
		first := true
		errs[i] = st.Tx(ctx, func(tx store.Tx) error {
			attempts.Add(1)
			if _, err := tx.CrateLockByKey(ctx, a); err != nil {
				return err
			}
			if first {
				first = false
				bothLock.Done()
				bothLock.Wait()
			}
			_, err := tx.CrateLockByKey(ctx, b)
			return err
		})
	}
	wg.Add(2)
	go lockInOrder(0, "first", "second")
	go lockInOrder(1, "second", "first")
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Equal(t, int32(3), attempts.Load(), "the deadlock victim ran twice")
}
