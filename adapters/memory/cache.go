package memory

import (
	"context"
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
type Cache struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.RWMutex
	users expiring[user.ID, user.User]
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
// (zero, false, nil).
func (c *Cache) Get(ctx context.Context, id user.ID) (user.User, bool, error) {
	if err := ctxErr(ctx, "read cached profile"); err != nil {
		return user.User{}, false, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	u, ok := c.users.get(c.now(), id)
	return u, ok, nil
}

// Set caches u.
func (c *Cache) Set(ctx context.Context, u user.User) error {
	if err := ctxErr(ctx, "cache profile"); err != nil {
		return err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
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
	return nil
}
