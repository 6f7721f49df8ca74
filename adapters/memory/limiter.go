package memory

import (
	"context"
	"sync"
	"time"

	"chat/domain"
	"chat/ports"
)

var _ ports.Limiter = (*Limiter)(nil)

// Limiter is an in-process ports.Limiter for one instance. Buckets are
// GCRA (one "theoretical arrival time" per key, the same arithmetic as the
// Redis adapter's script); a key is dropped once its bucket is full again
// and its failures and success are forgotten, in sweeps whose cost is
// spread over the calls.
type Limiter struct {
	clock func() time.Time
	mu    sync.Mutex
	keys  map[string]*limitEntry
	calls int // since the last sweep
}

type limitEntry struct {
	tat      time.Time // the bucket is full again at tat
	failures int
	until    time.Time // no attempt before
	forget   time.Time // failures forgotten at
	success  time.Time // a success remembered until
}

func (e *limitEntry) expired(now time.Time) bool {
	return !now.Before(e.tat) && !now.Before(e.forget) && !now.Before(e.success)
}

// NewLimiter returns an empty limiter that reads the time from clock
// (time.Now when nil).
func NewLimiter(clock func() time.Time) *Limiter {
	if clock == nil {
		clock = time.Now
	}
	return &Limiter{clock: clock, keys: make(map[string]*limitEntry)}
}

// entry returns key's entry, creating it when create is set; the caller
// holds mu. Every sweepEvery calls (and at least as many as there are
// keys, so a sweep costs O(1) per call) it drops expired entries.
func (l *Limiter) entry(key string, now time.Time, create bool) *limitEntry {
	if l.calls++; l.calls >= sweepEvery && l.calls >= len(l.keys) {
		l.calls = 0
		for k, e := range l.keys {
			if e.expired(now) {
				delete(l.keys, k)
			}
		}
	}
	e := l.keys[key]
	if e == nil && create {
		e = &limitEntry{}
		l.keys[key] = e
	}
	return e
}

// Len reports how many keys the limiter holds (expired ones included until
// a sweep drops them).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// Take charges one event to key's bucket under r.
func (l *Limiter) Take(ctx context.Context, key string, r ports.Rate) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, domain.Wrap(domain.Unavailable, "", "take from rate limit", err)
	}
	if r.Unlimited() {
		return 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	e := l.entry(key, now, true)
	interval := r.Per / time.Duration(r.Burst)
	tat := e.tat
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(interval)
	if ahead := next.Sub(now); ahead > r.Per {
		return ahead - r.Per, nil
	}
	e.tat = next
	return 0, nil
}

// Backoff reports key's failures and remembered success.
func (l *Limiter) Backoff(ctx context.Context, key string) (ports.BackoffState, error) {
	if err := ctx.Err(); err != nil {
		return ports.BackoffState{}, domain.Wrap(domain.Unavailable, "", "read backoff", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	e := l.entry(key, now, false)
	if e == nil {
		return ports.BackoffState{}, nil
	}
	var st ports.BackoffState
	if now.Before(e.forget) {
		st.Failures = e.failures
		st.Wait = max(0, e.until.Sub(now))
	}
	st.Succeeded = now.Before(e.success)
	return st, nil
}

// Fail records a failure under b.
func (l *Limiter) Fail(ctx context.Context, key string, b ports.Backoff) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, domain.Wrap(domain.Unavailable, "", "record failure", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	e := l.entry(key, now, true)
	if !now.Before(e.forget) {
		e.failures = 0
	}
	e.failures++
	d := b.Delay(e.failures)
	e.until = now.Add(d)
	e.forget = now.Add(max(b.Forget, d))
	return d, nil
}

// Succeed forgets key's failures and remembers the success.
func (l *Limiter) Succeed(ctx context.Context, key string, remember time.Duration) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "record success", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	e := l.entry(key, now, remember > 0)
	if e == nil {
		return nil
	}
	e.failures, e.until, e.forget = 0, time.Time{}, time.Time{}
	e.success = now.Add(remember)
	if remember <= 0 && !now.Before(e.tat) {
		delete(l.keys, key)
	}
	return nil
}
