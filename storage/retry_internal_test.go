package storage

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRetryOptsDelay(t *testing.T) {
	t.Parallel()

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		o := RetryOpts{}.withDefaults()
		require.Equal(t, RetryOpts{Factor: 2, MaxAttempts: 3, MaxDelay: 5 * time.Second, MinDelay: 100 * time.Millisecond}, o)
	})

	t.Run("Exponential", func(t *testing.T) {
		t.Parallel()
		o := RetryOpts{Factor: 3, MinDelay: 10 * time.Millisecond, MaxDelay: 200 * time.Millisecond}.withDefaults()
		var got []time.Duration
		for next := 2; next <= 6; next++ {
			got = append(got, o.delay(next))
		}
		require.Equal(t, []time.Duration{
			10 * time.Millisecond,  // before attempt 2: MinDelay
			30 * time.Millisecond,  // ×3
			90 * time.Millisecond,  // ×3
			200 * time.Millisecond, // capped
			200 * time.Millisecond, // stays capped
		}, got)
	})

	t.Run("Jitter", func(t *testing.T) {
		t.Parallel()
		o := RetryOpts{Jitter: true, MinDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
		for next := 2; next <= 10; next++ {
			plain := RetryOpts{MinDelay: o.MinDelay, MaxDelay: o.MaxDelay}.withDefaults().delay(next)
			for range 50 {
				d := o.delay(next)
				require.GreaterOrEqual(t, d, plain/2)
				require.LessOrEqual(t, d, plain)
			}
		}
	})
}
