package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
// Redis's word reaches the instance that made the change a little after
// the change's own reply, so for ownWindow after its own Set or
// Invalidate of a user an instance reads that user from Redis, not from
// its memory: its next request sees the change.
//
// Every Invalidate writes a new random generation, "<prefix>usergen:<u>"
// (kept genTTL), and deletes the profile in one script; a miss hands out
// the generation it read (the fill) and Set stores only while the
// generation is still that one, so a store read that a change overtook is
// never cached.
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
	own    ownChanges[user.ID]
}

// genTTL bounds a generation's life: far longer than a store read between
// a miss and its Set.
const genTTL = time.Hour

// setScript stores the profile (KEYS[1], ARGV[1], PX ARGV[3]) while the
// generation (KEYS[2]) is still ARGV[2] ("" for none).
var setScript = rueidis.NewLuaScript(`
local g = redis.call('GET', KEYS[2])
if (g or '') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`)

// invalidateScript writes a new generation (ARGV[1], PX ARGV[2]) and
// deletes the profile.
var invalidateScript = rueidis.NewLuaScript(`
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[1])
return 1`)

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

func (c *Cache) genKey(id user.ID) string {
	return c.prefix + "usergen:" + strconv.FormatInt(int64(id), 10)
}

// Get returns the cached user; a miss is (zero, false, fill, nil), the
// fill being the user's generation.
func (c *Cache) Get(ctx context.Context, id user.ID) (user.User, bool, ports.CacheFill, error) {
	const what = "read cached profile"
	b, err := c.read(ctx, what, id, c.key(id))
	if err != nil && !rueidis.IsRedisNil(err) {
		return user.User{}, false, "", err
	}
	if err == nil {
		if u, ok := decodeProfile(b, id); ok {
			return u, true, "", nil
		}
	}
	// A miss: the fill is the generation, read before the caller reads
	// the store (a change after this read makes the fill stale; one
	// before it is in what the store gives).
	gen, err := c.read(ctx, what, id, c.genKey(id))
	if err != nil && !rueidis.IsRedisNil(err) {
		return user.User{}, false, "", err
	}
	return user.User{}, false, ports.CacheFill(gen), nil
}

// read returns key of user id's: from this instance's memory, or from
// Redis within id's own window. A missing key is a Redis nil error.
func (c *Cache) read(ctx context.Context, what string, id user.ID, key string) ([]byte, error) {
	cctx, cancel, err := c.guard.begin(ctx, what)
	if err != nil {
		return nil, err
	}
	defer cancel()
	b, err := c.own.get(cctx, c.rc, id, key, c.ttl).AsBytes()
	if err != nil && !rueidis.IsRedisNil(err) {
		return nil, c.guard.end(ctx, what, err)
	}
	return b, err
}

// decodeProfile reads a cached entry of user id; one that does not decode
// is a miss.
func decodeProfile(b []byte, id user.ID) (user.User, bool) {
	var p profile
	if json.Unmarshal(b, &p) != nil || p.ID != int64(id) {
		return user.User{}, false
	}
	name, err := user.NewUsername(p.Username)
	if err != nil || name.String() != p.Username {
		return user.User{}, false
	}
	return user.User{
		ID: user.ID(p.ID), Username: name, Email: p.Email, DisplayName: p.DisplayName,
		Bio: p.Bio, AvatarKey: p.AvatarKey, HideReceipts: p.HideReceipts, Admin: p.Admin,
		Suspension: p.suspension(), CreatedAt: p.CreatedAt.UTC(),
	}, true
}

// Set caches u, without its password hash, for the cache's TTL, unless
// u's generation is no longer fill.
func (c *Cache) Set(ctx context.Context, u user.User, fill ports.CacheFill) error {
	b, err := json.Marshal(profile{
		ID: int64(u.ID), Username: u.Username.String(), Email: u.Email, DisplayName: u.DisplayName,
		Bio: u.Bio, AvatarKey: u.AvatarKey, HideReceipts: u.HideReceipts, Admin: u.Admin,
		SuspendedAt: suspendedAt(u.Suspension), SuspendReason: u.Suspension.Reason, CreatedAt: u.CreatedAt.UTC(),
	})
	if err != nil {
		return domain.Wrap(domain.Internal, "", "cache profile", err)
	}
	return c.run(ctx, "cache profile", u.ID, setScript, string(b), string(fill), ms(c.ttl))
}

// Invalidate drops the cached user on every instance and makes every
// fill handed out before it stale.
func (c *Cache) Invalidate(ctx context.Context, id user.ID) error {
	var r [16]byte
	_, _ = rand.Read(r[:]) // never fails (crypto/rand)
	return c.run(ctx, "invalidate cached profile", id, invalidateScript, hex.EncodeToString(r[:]), ms(genTTL))
}

// run executes one of the cache's scripts on id's keys within the guard;
// id's own window starts before it is sent, so no read of this instance
// can come between the change and the window.
func (c *Cache) run(ctx context.Context, what string, id user.ID, s *rueidis.Lua, args ...string) error {
	cctx, cancel, err := c.guard.begin(ctx, what)
	if err != nil {
		return err
	}
	defer cancel()
	c.own.mark(id)
	return c.guard.end(ctx, what, s.Exec(cctx, c.rc, []string{c.key(id), c.genKey(id)}, args).Error())
}
