package memory

import (
	"context"
	"sync"
	"time"

	"chat/domain"
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
	users map[user.ID]cachedUser
	sets  int // Sets since the last sweep of expired entries
}

type cachedUser struct {
	u     user.User
	until time.Time
}

// NewCache returns an empty cache whose entries live DefaultCacheTTL.
func NewCache() *Cache { return NewExpiringCache(DefaultCacheTTL, time.Now) }

// NewExpiringCache returns an empty cache whose entries live ttl by the
// clock now (tests move it).
func NewExpiringCache(ttl time.Duration, now func() time.Time) *Cache {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	return &Cache{ttl: ttl, now: now, users: make(map[user.ID]cachedUser)}
}

// Get returns the cached user; a miss (or an expired entry) is
// (zero, false, nil).
func (c *Cache) Get(ctx context.Context, id user.ID) (user.User, bool, error) {
	if err := ctx.Err(); err != nil {
		return user.User{}, false, domain.Wrap(domain.Unavailable, "", "read cached profile", err)
	}
	c.mu.RLock()
	e, ok := c.users[id]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.until) {
		return user.User{}, false, nil
	}
	return e.u, true, nil
}

// Set caches u.
func (c *Cache) Set(ctx context.Context, u user.User) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "cache profile", err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sets++; c.sets >= sweepEvery {
		c.sets = 0
		for id, e := range c.users {
			if !now.Before(e.until) {
				delete(c.users, id)
			}
		}
	}
	c.users[u.ID] = cachedUser{u: u, until: now.Add(c.ttl)}
	return nil
}

// Invalidate drops the cached user, if any.
func (c *Cache) Invalidate(ctx context.Context, id user.ID) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "invalidate cached profile", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.users, id)
	return nil
}

// sweepEvery is how many writes an expiring map takes between sweeps of
// its expired entries, so it never grows without bound.
const sweepEvery = 1024
