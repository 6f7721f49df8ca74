package redis

import (
	"context"
	"errors"
	"net/url"
	"strings"
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
}

// Open connects to the Redis server at rawURL (redis://[user:pass@]host:port/db,
// rediss:// for TLS; see rueidis.ParseURL for the query options) and
// checks that it answers. Every key and channel of the adapters starts
// with prefix. The URL's client_cache=0 and protocol=2 options are
// overridden: the cache needs RESP3 client-side caching.
func Open(ctx context.Context, rawURL, prefix string) (*Client, error) {
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
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, translate("connect to Redis", err)
	}
	c := &Client{rc: rc, prefix: prefix, bus: newBus(rc, prefix)}
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
	return &Presence{rc: c.rc, prefix: c.prefix, ttl: ttl}
}

// Cache returns a profile cache whose entries live ttl in Redis and at
// most ttl in each instance's memory (DefaultCacheTTL when ttl ≤ 0).
func (c *Client) Cache(ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	return &Cache{rc: c.rc, prefix: c.prefix, ttl: ttl}
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
