package redis

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"chat/domain"
)

// Client is one connection pool to Redis shared by the adapters it hands
// out. Client-side caching is always on (RESP3 tracking), because the
// profile cache relies on Redis to invalidate other instances' copies.
type Client struct {
	rc     rueidis.Client
	prefix string
	bus    *Bus // connects on its first Subscribe
	guard  *guard
}

// DefaultTimeout bounds each call to Redis when Open is given none.
const DefaultTimeout = time.Second

// guard bounds the calls the adapters make for their callers: each gets a
// deadline of at most timeout, and after a call fails for want of Redis
// the calls of the next timeout fail at once, so an outage costs a request
// nothing instead of a timeout per call. Callers fall back (the profile
// cache to the store) or give up (presence, a publish the relay repairs).
type guard struct {
	timeout  time.Duration
	cooldown time.Duration // how long calls fail at once after a failure; 0: timeout
	until    atomic.Int64  // unix nanoseconds: fail at once before this
}

var errRecentFailure = errors.New("Redis failed moments ago")

// begin returns the bounded context of one call, or Unavailable while the
// guard is open.
func (g *guard) begin(ctx context.Context, what string) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, domain.Wrap(domain.Unavailable, "", what, err)
	}
	if time.Now().UnixNano() < g.until.Load() {
		return nil, nil, domain.Wrap(domain.Unavailable, "", what, errRecentFailure)
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	return ctx, cancel, nil
}

// end translates err and opens the guard when Redis could not be reached
// (not when only the caller's context ended).
func (g *guard) end(ctx context.Context, what string, err error) error {
	err = translate(what, err)
	if domain.KindOf(err) == domain.Unavailable && !errors.Is(context.Cause(ctx), context.Canceled) {
		cool := g.cooldown
		if cool <= 0 {
			cool = g.timeout
		}
		g.until.Store(time.Now().Add(cool).UnixNano())
	}
	return err
}

// Open connects to the Redis server at rawURL (redis://[user:pass@]host:port/db,
// rediss:// for TLS; see rueidis.ParseURL for the query options) and
// checks that it answers. Every key and channel of the adapters starts
// with prefix. The URL's client_cache=0 and protocol=2 options are
// overridden: the cache needs RESP3 client-side caching.
//
// timeout (DefaultTimeout when ≤ 0) bounds every call, dial included:
// retries are off and TCP keepalive is short, so an outage or a silent
// stall fails calls within it instead of hanging them.
func Open(ctx context.Context, rawURL, prefix string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opt, err := rueidis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = errors.New("malformed URL") // url.Error repeats the URL, password included
		}
		return nil, domain.Wrap(domain.Invalid, "", "invalid Redis URL", err)
	}
	opt.DisableCache = false
	opt.AlwaysRESP2 = false
	opt.DisableRetry = true
	opt.Dialer = net.Dialer{Timeout: timeout, KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 5 * time.Second, Interval: time.Second, Count: 3,
	}}
	opt.ConnWriteTimeout = max(3*timeout, 3*time.Second) // also bounds the background PINGs
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, translate("connect to Redis", err)
	}
	g := &guard{timeout: timeout}
	c := &Client{rc: rc, prefix: prefix, bus: newBus(rc, prefix, g), guard: g}
	if err := c.Ping(ctx); err != nil {
		rc.Close()
		return nil, err
	}
	return c, nil
}

// Ping checks that Redis answers; Unavailable when it does not.
func (c *Client) Ping(ctx context.Context) error {
	return translate("ping Redis", c.rc.Do(ctx, c.rc.B().Ping().Build()).Error())
}

// Close stops the bus and closes every connection. Adapters of c fail
// with Unavailable afterwards.
func (c *Client) Close() {
	c.bus.Close()
	c.rc.Close()
}

// Bus returns the client's event bus. Every call returns the same Bus, so
// an instance holds one Redis subscription per room however many times
// the room is subscribed.
func (c *Client) Bus() *Bus { return c.bus }

// Presence returns a presence whose sockets expire ttl after their last
// Connect or Refresh (DefaultPresenceTTL when ttl ≤ 0).
func (c *Client) Presence(ttl time.Duration) *Presence {
	if ttl <= 0 {
		ttl = DefaultPresenceTTL
	}
	return &Presence{rc: c.rc, prefix: c.prefix, ttl: ttl, guard: c.guard}
}

// Cache returns a profile cache whose entries live ttl in Redis and at
// most ttl in each instance's memory (DefaultCacheTTL when ttl ≤ 0).
func (c *Client) Cache(ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	return &Cache{rc: c.rc, prefix: c.prefix, ttl: ttl, guard: c.guard}
}

// translate turns a rueidis error into a domain error: Unavailable for
// anything about reaching Redis (network, timeouts, a closed client, a
// server still loading or busy), Internal for a command Redis refused.
// what says what failed, safely for clients.
func translate(what string, err error) error {
	if err == nil {
		return nil
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		if re.IsLoading() || re.IsTryAgain() || re.IsClusterDown() || strings.HasPrefix(re.Error(), "BUSY ") {
			return domain.Wrap(domain.Unavailable, "", what, err)
		}
		return domain.Wrap(domain.Internal, "", what, err)
	}
	return domain.Wrap(domain.Unavailable, "", what, err)
}
