package memory

import (
	"context"
	"strconv"
	"sync"
	"time"

	"chat/domain/user"
	"chat/ports"
)

var _ ports.ProfileCache = (*Cache)(nil)

// DefaultCacheTTL bounds how long a profile stays cached, as the Redis
// cache's TTL does: a user row changed or deleted behind the server's back
// (by an operator, in SQL) is seen within it.
const DefaultCacheTTL = 10 * time.Minute

// Cache is an in-process ports.ProfileCache. Like the Redis cache it holds
// profiles only: a user.User carries no password hash (the application
// reads user.Credentials from the account store, never from here).
// Entries live until invalidated or until their TTL runs out.
//
// A miss's fill is the number of invalidations so far: Set refuses a fill
// that an Invalidate (of any user: profile changes are rare) has made old.
type Cache struct {
	ttl time.Duration
	now func() time.Time

	mu            sync.RWMutex
	users         expiring[user.ID, user.User]
	invalidations uint64
}

// NewCache returns an empty cache whose entries live DefaultCacheTTL.
func NewCache() *Cache { return NewExpiringCache(DefaultCacheTTL, time.Now) }

// NewExpiringCache returns an empty cache whose entries live ttl by the
// clock now (tests move it).
func NewExpiringCache(ttl time.Duration, now func() time.Time) *Cache {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	return &Cache{ttl: ttl, now: now, users: newExpiring[user.ID, user.User]()}
}

// Get returns the cached user; a miss (or an expired entry) is
// (zero, false, fill, nil).
func (c *Cache) Get(ctx context.Context, id user.ID) (user.User, bool, ports.CacheFill, error) {
	if err := ctxErr(ctx, "read cached profile"); err != nil {
		return user.User{}, false, "", err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if u, ok := c.users.get(c.now(), id); ok {
		return u, true, "", nil
	}
	return user.User{}, false, ports.CacheFill(strconv.FormatUint(c.invalidations, 10)), nil
}

// Set caches u unless an Invalidate came after the miss that made fill.
func (c *Cache) Set(ctx context.Context, u user.User, fill ports.CacheFill) error {
	if err := ctxErr(ctx, "cache profile"); err != nil {
		return err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if string(fill) != strconv.FormatUint(c.invalidations, 10) {
		return nil
	}
	c.users.put(now, u.ID, u, now.Add(c.ttl))
	return nil
}

// Invalidate drops the cached user, if any.
func (c *Cache) Invalidate(ctx context.Context, id user.ID) error {
	if err := ctxErr(ctx, "invalidate cached profile"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users.delete(id)
	c.invalidations++
	return nil
}
