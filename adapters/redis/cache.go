package redis

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.ProfileCache = (*Cache)(nil)

// DefaultCacheTTL bounds how long a profile stays cached.
const DefaultCacheTTL = 10 * time.Minute

// Cache is a ports.ProfileCache in Redis with server-assisted client-side
// caching: user u is the key "<prefix>user:<u>", Get serves repeated reads
// from this instance's memory, and Redis (RESP3 tracking) tells every
// instance holding a copy to drop it as soon as the key changes, so Set and
// Invalidate reach other instances within milliseconds; the TTL bounds a
// copy's life should an invalidation be lost with its connection.
//
// The cache holds profiles only: a user.User carries no password hash
// (the application reads user.Credentials from the account store, never
// from here). An entry that does not decode counts as a
// miss, so the next Set overwrites it.
type Cache struct {
	rc     rueidis.Client
	prefix string
	ttl    time.Duration
	guard  *guard
}

// profile is the cached form of a user: compact JSON, no password hash.
// A field added later is omitempty with the zero value meaning the old
// behaviour, so entries written before it read as they did.
type profile struct {
	ID          int64  `json:"i"`
	Username    string `json:"u"`
	Email       string `json:"e,omitempty"`
	DisplayName string `json:"d,omitempty"`
	Bio         string `json:"b,omitempty"`
	AvatarKey   string `json:"a,omitempty"`
	// HideReceipts is absent (receipts shown) in entries written before it.
	HideReceipts bool `json:"h,omitempty"`
	// Admin and the suspension are absent (none) in entries written before
	// them.
	Admin         bool       `json:"r,omitempty"`
	SuspendedAt   *time.Time `json:"s,omitempty"`
	SuspendReason string     `json:"w,omitempty"`
	CreatedAt     time.Time  `json:"c"`
}

func (p profile) suspension() user.Suspension {
	if p.SuspendedAt == nil {
		return user.Suspension{}
	}
	return user.Suspension{At: p.SuspendedAt.UTC(), Reason: p.SuspendReason}
}

func suspendedAt(s user.Suspension) *time.Time {
	if !s.Active() {
		return nil
	}
	t := s.At.UTC()
	return &t
}

func (c *Cache) key(id user.ID) string {
	return c.prefix + "user:" + strconv.FormatInt(int64(id), 10)
}

// Get returns the cached user; a miss is (zero, false, nil).
func (c *Cache) Get(ctx context.Context, id user.ID) (user.User, bool, error) {
	const what = "read cached profile"
	cctx, cancel, err := c.guard.begin(ctx, what)
	if err != nil {
		return user.User{}, false, err
	}
	b, err := c.rc.DoCache(cctx, c.rc.B().Get().Key(c.key(id)).Cache(), c.ttl).AsBytes()
	cancel()
	if rueidis.IsRedisNil(err) {
		return user.User{}, false, nil
	}
	if err != nil {
		return user.User{}, false, c.guard.end(ctx, what, err)
	}
	var p profile
	if json.Unmarshal(b, &p) != nil || p.ID != int64(id) {
		return user.User{}, false, nil
	}
	name, err := user.NewUsername(p.Username)
	if err != nil || name.String() != p.Username {
		return user.User{}, false, nil
	}
	return user.User{
		ID: user.ID(p.ID), Username: name, Email: p.Email, DisplayName: p.DisplayName,
		Bio: p.Bio, AvatarKey: p.AvatarKey, HideReceipts: p.HideReceipts, Admin: p.Admin,
		Suspension: p.suspension(), CreatedAt: p.CreatedAt.UTC(),
	}, true, nil
}

// Set caches u, without its password hash, for the cache's TTL.
func (c *Cache) Set(ctx context.Context, u user.User) error {
	b, err := json.Marshal(profile{
		ID: int64(u.ID), Username: u.Username.String(), Email: u.Email, DisplayName: u.DisplayName,
		Bio: u.Bio, AvatarKey: u.AvatarKey, HideReceipts: u.HideReceipts, Admin: u.Admin,
		SuspendedAt: suspendedAt(u.Suspension), SuspendReason: u.Suspension.Reason, CreatedAt: u.CreatedAt.UTC(),
	})
	if err != nil {
		return domain.Wrap(domain.Internal, "", "cache profile", err)
	}
	cmd := c.rc.B().Set().Key(c.key(u.ID)).Value(rueidis.BinaryString(b)).Px(c.ttl).Build()
	return c.do(ctx, "cache profile", cmd)
}

// Invalidate drops the cached user on every instance.
func (c *Cache) Invalidate(ctx context.Context, id user.ID) error {
	return c.do(ctx, "invalidate cached profile", c.rc.B().Del().Key(c.key(id)).Build())
}

// do runs one command within the guard.
func (c *Cache) do(ctx context.Context, what string, cmd rueidis.Completed) error {
	cctx, cancel, err := c.guard.begin(ctx, what)
	if err != nil {
		return err
	}
	defer cancel()
	return c.guard.end(ctx, what, c.rc.Do(cctx, cmd).Error())
}
