package memory

import (
	"context"
	"sync"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.ProfileCache = (*Cache)(nil)

// Cache is an in-process ports.ProfileCache. Like the Redis cache it never
// keeps a password hash: Get returns users with PasswordHash empty, so the
// application must read credentials from the user store, never from here.
// Entries live until invalidated; one process has no other instance to
// miss an invalidation.
type Cache struct {
	mu    sync.RWMutex
	users map[user.ID]user.User
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{users: make(map[user.ID]user.User)}
}

// Get returns the cached user; a miss is (zero, false, nil).
func (c *Cache) Get(ctx context.Context, id user.ID) (user.User, bool, error) {
	if err := ctx.Err(); err != nil {
		return user.User{}, false, domain.Wrap(domain.Unavailable, "", "read cached profile", err)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	u, ok := c.users[id]
	return u, ok, nil
}

// Set caches u without its password hash.
func (c *Cache) Set(ctx context.Context, u user.User) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "cache profile", err)
	}
	u.PasswordHash = ""
	u.CreatedAt = u.CreatedAt.UTC()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users[u.ID] = u
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
