package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.Presence = (*Presence)(nil)

// DefaultPresenceTTL is how long a socket stays live without a Refresh.
const DefaultPresenceTTL = 30 * time.Second

// Presence is a ports.Presence shared by every instance through Redis.
//
// A room has a sorted set "<prefix>presence:<room>" of its online users,
// each scored by the expiry (unix ms) of their longest-lived socket, and
// each user in it a sorted set "<prefix>presence:<room>:<user>" of their
// sockets scored by expiry. Scripts update both atomically, reading the
// time from Redis so instances' clocks need not agree, and drop expired
// entries as they go: a crashed instance's sockets, never refreshed, leave
// Online within the TTL, and keys expire once nothing refreshes them.
//
// Refresh extends only sockets that are still live: a socket that expired
// or was disconnected is not brought back by a late Refresh (one racing the
// socket's close), so its instance must Connect it again.
type Presence struct {
	rc     rueidis.Client
	prefix string
	ttl    time.Duration
	guard  *guard
}

// luaNow sets now to Redis's clock in unix milliseconds, and defines
// keep(key, ttl), which makes key live at least ttl ms more.
const luaNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keep(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`

// KEYS: room set, user's socket set. ARGV: user, socket, ttl ms.
// Returns 1 when the socket is the user's only live one in the room.
var connectScript = rueidis.NewLuaScript(luaNow + `
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local first = redis.call('ZCARD', KEYS[2]) == 0
redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
redis.call('ZADD', KEYS[1], 'GT', now + ttl, ARGV[1])
keep(KEYS[1], ttl)
keep(KEYS[2], ttl)
if first then return 1 end
return 0
`)

// KEYS: room set, user's socket set. ARGV: user, socket.
// Returns 1 when the socket was known and the user has no live one left.
var disconnectScript = rueidis.NewLuaScript(luaNow + `
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #top == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[1], top[2], ARGV[1])
return 0
`)

// KEYS: room set, user's socket set. ARGV: user, socket, ttl ms.
var refreshScript = rueidis.NewLuaScript(luaNow + `
local ttl = tonumber(ARGV[3])
local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not score or tonumber(score) <= now then return 0 end
redis.call('ZADD', KEYS[2], 'XX', now + ttl, ARGV[2])
redis.call('ZADD', KEYS[1], 'GT', now + ttl, ARGV[1])
keep(KEYS[1], ttl)
keep(KEYS[2], ttl)
return 1
`)

// KEYS: room set. Returns the users with a live socket.
var onlineScript = rueidis.NewLuaScriptReadOnly(luaNow + `
return redis.call('ZRANGE', KEYS[1], string.format('(%d', now), '+inf', 'BYSCORE')
`)

// KEYS: room set. ARGV: users. Returns 1 or 0 per user: a live socket.
var onlineAmongScript = rueidis.NewLuaScriptReadOnly(luaNow + `
local out = {}
for i, u in ipairs(ARGV) do
  local s = redis.call('ZSCORE', KEYS[1], u)
  if s and tonumber(s) > now then out[i] = 1 else out[i] = 0 end
end
return out
`)

func (p *Presence) roomKey(r room.ID) string {
	return p.prefix + "presence:" + strconv.FormatInt(int64(r), 10)
}

// script returns the keys and arguments the socket scripts take for c.
func (p *Presence) script(c ports.Conn) rueidis.LuaExec {
	room := p.roomKey(c.RoomID)
	uid := strconv.FormatInt(int64(c.UserID), 10)
	return rueidis.LuaExec{
		Keys: []string{room, room + ":" + uid},
		Args: []string{uid, c.ID, strconv.FormatInt(p.ttl.Milliseconds(), 10)},
	}
}

// Connect records c; first is true when the user had no other live socket
// in the room.
func (p *Presence) Connect(ctx context.Context, c ports.Conn) (bool, error) {
	const what = "record connection"
	cctx, cancel, err := p.guard.begin(ctx, what)
	if err != nil {
		return false, err
	}
	defer cancel()
	s := p.script(c)
	n, err := connectScript.Exec(cctx, p.rc, s.Keys, s.Args).AsInt64()
	return n == 1, p.guard.end(ctx, what, err)
}

// Disconnect forgets c, live or expired; last is true when c was known and
// the user has no live socket left in the room.
func (p *Presence) Disconnect(ctx context.Context, c ports.Conn) (bool, error) {
	const what = "forget connection"
	cctx, cancel, err := p.guard.begin(ctx, what)
	if err != nil {
		return false, err
	}
	defer cancel()
	s := p.script(c)
	n, err := disconnectScript.Exec(cctx, p.rc, s.Keys, s.Args[:2]).AsInt64()
	return n == 1, p.guard.end(ctx, what, err)
}

// Refresh extends the sockets of conns that are still live, in one round
// trip.
func (p *Presence) Refresh(ctx context.Context, conns []ports.Conn) error {
	const what = "refresh connections"
	if len(conns) == 0 {
		return ctx.Err()
	}
	cctx, cancel, err := p.guard.begin(ctx, what)
	if err != nil {
		return err
	}
	defer cancel()
	execs := make([]rueidis.LuaExec, len(conns))
	for i, c := range conns {
		execs[i] = p.script(c)
	}
	for _, res := range refreshScript.ExecMulti(cctx, p.rc, execs...) {
		if err := res.Error(); err != nil {
			return p.guard.end(ctx, what, err)
		}
	}
	return nil
}

// Online returns the users with a live socket in r.
func (p *Presence) Online(ctx context.Context, r room.ID) (map[user.ID]bool, error) {
	const what = "list online users"
	cctx, cancel, err := p.guard.begin(ctx, what)
	if err != nil {
		return nil, err
	}
	defer cancel()
	ids, err := onlineScript.Exec(cctx, p.rc, []string{p.roomKey(r)}, nil).AsStrSlice()
	if err != nil {
		return nil, p.guard.end(ctx, what, err)
	}
	online := make(map[user.ID]bool, len(ids))
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, domain.Wrap(domain.Internal, "", "list online users", err)
		}
		online[user.ID(id)] = true
	}
	return online, nil
}

// OnlineAmong returns which of users have a live socket in r, in one round
// trip.
func (p *Presence) OnlineAmong(ctx context.Context, r room.ID, users []user.ID) (map[user.ID]bool, error) {
	const what = "look up online users"
	online := make(map[user.ID]bool)
	if len(users) == 0 {
		return online, ctx.Err()
	}
	cctx, cancel, err := p.guard.begin(ctx, what)
	if err != nil {
		return nil, err
	}
	defer cancel()
	args := make([]string, len(users))
	for i, u := range users {
		args[i] = strconv.FormatInt(int64(u), 10)
	}
	flags, err := onlineAmongScript.Exec(cctx, p.rc, []string{p.roomKey(r)}, args).AsIntSlice()
	if err != nil {
		return nil, p.guard.end(ctx, what, err)
	}
	for i, f := range flags {
		if f == 1 && i < len(users) {
			online[users[i]] = true
		}
	}
	return online, nil
}
