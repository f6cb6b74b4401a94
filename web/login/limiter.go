package login

import (
	"sync"
	"time"
)

// limiter counts failed local logins per key in fixed windows: after max
// failures a key is refused until its window ends. It lives in memory (per
// process), which is enough to make password guessing slow.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*limitEntry
}

type limitEntry struct {
	failures int
	start    time.Time
}

// limiterMaxKeys bounds memory; expired entries are dropped first.
const limiterMaxKeys = 100_000

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, entries: map[string]*limitEntry{}}
}

// blocked reports whether key is refused, and for how long.
func (l *limiter) blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	if !ok {
		return false, 0
	}
	now := l.now()
	if end := e.start.Add(l.window); !now.Before(end) {
		delete(l.entries, key)
		return false, 0
	} else if e.failures >= l.max {
		return true, end.Sub(now)
	}
	return false, 0
}

// fail records a failed attempt for key.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e, ok := l.entries[key]
	if !ok || !now.Before(e.start.Add(l.window)) {
		if len(l.entries) >= limiterMaxKeys {
			l.prune(now)
		}
		e = &limitEntry{start: now}
		l.entries[key] = e
	}
	e.failures++
}

// reset forgets key (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

func (l *limiter) prune(now time.Time) {
	for k, e := range l.entries {
		if !now.Before(e.start.Add(l.window)) {
			delete(l.entries, k)
		}
	}
	if len(l.entries) >= limiterMaxKeys {
		clear(l.entries) // under a flood, forget rather than grow without bound
	}
}
