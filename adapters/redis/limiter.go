package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"chat/domain"
	"chat/ports"
)

var _ ports.Limiter = (*Limiter)(nil)

// DefaultLimiterTimeout bounds every limiter call: a rate limit is worth
// less than the request it guards, so a slow Redis costs a request at most
// this much before the caller lets it through.
const DefaultLimiterTimeout = 200 * time.Millisecond

// limiterCooldown is how long the limiter answers Unavailable at once after
// Redis failed it, instead of making every request wait out the timeout
// while Redis is away.
const limiterCooldown = time.Second

// Limiter is a ports.Limiter shared by every instance through Redis. Each
// key is one Redis key "<prefix>limit:<key>": a bucket is a string holding
// its GCRA "theoretical arrival time" (unix ms), expiring when the bucket
// is full again; a backoff is a hash (f failures, u no attempt before, x
// failures forgotten at, s success remembered until), expiring when all of
// it is forgotten. Scripts read the time from Redis, so instances' clocks
// need not agree, and each call is one atomic round trip.
type Limiter struct {
	rc     rueidis.Client
	prefix string
	guard  *guard // its own: a slow limiter must not close the cache's guard
}

// luaNowMs sets now to Redis's clock in whole unix milliseconds.
const luaNowMs = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// KEYS: bucket. ARGV: emission interval ms (Per/Burst, fractional), Per ms.
// Returns 0 when allowed, else the ms until it would be (≥ 1).
var takeScript = rueidis.NewLuaScript(luaNowMs + `
local interval = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local nxt = tat + interval
local ahead = nxt - now
if ahead > per then return math.ceil(ahead - per) end
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.max(1, math.ceil(ahead)))
return 0
`)

// KEYS: backoff. ARGV: free, base ms, max ms, forget ms.
// Returns the delay in ms before the next attempt.
var failScript = rueidis.NewLuaScript(luaNowMs + `
local h = redis.call('HMGET', KEYS[1], 'f', 'x', 's')
local f = tonumber(h[1]) or 0
if (tonumber(h[2]) or 0) <= now then f = 0 end
f = f + 1
local free, base, mx, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local d = 0
if f > free and base > 0 then
  d = base
  local i = free + 1
  while i < f and d < mx do
    d = d * 2
    i = i + 1
  end
  if d > mx then d = mx end
end
local x = now + math.max(forget, d)
redis.call('HSET', KEYS[1], 'f', f, 'u', now + d, 'x', x)
local keep = math.max(x, tonumber(h[3]) or 0) - now
redis.call('PEXPIRE', KEYS[1], math.max(1, keep))
return d
`)

// KEYS: backoff. Returns {failures, wait ms, succeeded 0|1}.
var backoffScript = rueidis.NewLuaScriptReadOnly(luaNowMs + `
local h = redis.call('HMGET', KEYS[1], 'f', 'u', 'x', 's')
local st = {0, 0, 0}
if (tonumber(h[3]) or 0) > now then
  st[1] = tonumber(h[1]) or 0
  st[2] = math.max(0, math.ceil((tonumber(h[2]) or 0) - now))
end
if (tonumber(h[4]) or 0) > now then st[3] = 1 end
return st
`)

// KEYS: backoff. ARGV: remember ms (> 0).
var succeedScript = rueidis.NewLuaScript(luaNowMs + `
local remember = tonumber(ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 's', now + remember)
redis.call('PEXPIRE', KEYS[1], remember)
return 0
`)

// KEYS: backoff. Forgets it.
var forgetScript = rueidis.NewLuaScript(`redis.call('DEL', KEYS[1]) return 0`)

// Limiter returns the client's limiter; every call gives up after timeout
// (DefaultLimiterTimeout when ≤ 0) with Unavailable, and for a second
// after such a failure calls fail at once.
func (c *Client) Limiter(timeout time.Duration) *Limiter {
	if timeout <= 0 {
		timeout = DefaultLimiterTimeout
	}
	return &Limiter{rc: c.rc, prefix: c.prefix, guard: &guard{timeout: timeout, cooldown: limiterCooldown}}
}

func (l *Limiter) key(k string) string { return l.prefix + "limit:" + k }

// run executes one script call within the limiter's deadline, failing at
// once while Redis is known to be away.
func (l *Limiter) run(ctx context.Context, what string, s *rueidis.Lua, key string, args ...string) (rueidis.RedisResult, error) {
	cctx, cancel, err := l.guard.begin(ctx, what)
	if err != nil {
		return rueidis.RedisResult{}, err
	}
	defer cancel()
	res := s.Exec(cctx, l.rc, []string{l.key(key)}, args)
	return res, l.guard.end(ctx, what, res.Error())
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// Take charges one event to key's bucket under r.
func (l *Limiter) Take(ctx context.Context, key string, r ports.Rate) (time.Duration, error) {
	if r.Unlimited() {
		return 0, nil
	}
	interval := float64(r.Per) / float64(r.Burst) / float64(time.Millisecond)
	res, err := l.run(ctx, "take from rate limit", takeScript, key,
		strconv.FormatFloat(interval, 'f', 3, 64), ms(r.Per))
	if err != nil {
		return 0, err
	}
	n, err := res.AsInt64()
	if err != nil {
		return 0, domain.Wrap(domain.Internal, "", "take from rate limit", err)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// Backoff reports key's failures and remembered success.
func (l *Limiter) Backoff(ctx context.Context, key string) (ports.BackoffState, error) {
	res, err := l.run(ctx, "read backoff", backoffScript, key)
	if err != nil {
		return ports.BackoffState{}, err
	}
	v, err := res.AsIntSlice()
	if err != nil || len(v) != 3 {
		return ports.BackoffState{}, domain.Wrap(domain.Internal, "", "read backoff", err)
	}
	return ports.BackoffState{Failures: int(v[0]), Wait: time.Duration(v[1]) * time.Millisecond, Succeeded: v[2] == 1}, nil
}

// Fail records a failure under b.
func (l *Limiter) Fail(ctx context.Context, key string, b ports.Backoff) (time.Duration, error) {
	res, err := l.run(ctx, "record failure", failScript, key,
		strconv.Itoa(b.Free), ms(b.Base), ms(b.Max), ms(b.Forget))
	if err != nil {
		return 0, err
	}
	n, err := res.AsInt64()
	if err != nil {
		return 0, domain.Wrap(domain.Internal, "", "record failure", err)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// Succeed forgets key's failures and remembers the success.
func (l *Limiter) Succeed(ctx context.Context, key string, remember time.Duration) error {
	if remember <= 0 {
		_, err := l.run(ctx, "record success", forgetScript, key)
		return err
	}
	_, err := l.run(ctx, "record success", succeedScript, key, ms(remember))
	return err
}
