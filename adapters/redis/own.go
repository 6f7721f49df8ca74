package redis

import (
	"context"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// ownWindow is how long an instance reads a key it changed from Redis
// rather than from its memory. Redis's invalidation of the instance's own
// copy follows the change's reply (microseconds later, a few milliseconds
// on a busy box), so without it the instance's next request could still
// see the old value.
const ownWindow = 5 * time.Second

// ownChanges remembers which keys this instance changed within ownWindow.
type ownChanges[K comparable] struct {
	mu    sync.Mutex
	until map[K]time.Time
}

// mark opens k's window. Call it before sending the change, so no read of
// this instance comes between the change and the window.
func (o *ownChanges[K]) mark(k K) {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.until == nil {
		o.until = make(map[K]time.Time)
	}
	if len(o.until) >= 1024 {
		for k, until := range o.until {
			if now.After(until) {
				delete(o.until, k)
			}
		}
	}
	o.until[k] = now.Add(ownWindow)
}

// fresh reports whether k's window is open: read it from Redis.
func (o *ownChanges[K]) fresh(k K) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	until, ok := o.until[k]
	return ok && time.Now().Before(until)
}

// get reads key, which stands for k: from Redis within k's window, else
// through the client-side cache (copies kept at most ttl).
func (o *ownChanges[K]) get(ctx context.Context, rc rueidis.Client, k K, key string, ttl time.Duration) rueidis.RedisResult {
	if o.fresh(k) {
		return rc.Do(ctx, rc.B().Get().Key(key).Build())
	}
	return rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), ttl)
}
