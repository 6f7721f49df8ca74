package redis

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.SessionCache = (*SessionCache)(nil)
	_ ports.TicketStore  = (*Tickets)(nil)
)

// DefaultSessionLocalTTL bounds how long an instance keeps its own copy of
// a session's state without hearing from Redis.
const DefaultSessionLocalTTL = time.Minute

// SessionCache is a ports.SessionCache in Redis with client-side caching:
// session s is the key "<prefix>session:<s>", holding "u:<user id>" while
// live or "x" once ended. Get serves repeated reads from this instance's
// memory; Redis pushes an invalidation to every instance holding a copy as
// soon as the key changes, so an End reaches every instance within
// milliseconds. Live writes only if the key is absent (SET NX), so a
// lookup racing with a logout can never put the session back.
//
// An instance reads a session it ended from Redis for ownWindow, so its
// own next request sees the end even before Redis's invalidation of its
// copy arrives.
type SessionCache struct {
	rc       rueidis.Client
	prefix   string
	localTTL time.Duration
	own      ownChanges[string]
}

// Sessions returns the session cache; copies live at most localTTL in each
// instance's memory (DefaultSessionLocalTTL when ≤ 0).
func (c *Client) Sessions(localTTL time.Duration) *SessionCache {
	if localTTL <= 0 {
		localTTL = DefaultSessionLocalTTL
	}
	return &SessionCache{rc: c.rc, prefix: c.prefix, localTTL: localTTL}
}

func (c *SessionCache) key(id string) string { return c.prefix + "session:" + id }

const sessionEnded = "x"

// Get returns the cached state; a miss is (zero, false, nil).
func (c *SessionCache) Get(ctx context.Context, id string) (ports.SessionState, bool, error) {
	if err := ctx.Err(); err != nil {
		return ports.SessionState{}, false, domain.Wrap(domain.Unavailable, "", "read cached session", err)
	}
	v, err := c.own.get(ctx, c.rc, id, c.key(id), c.localTTL).ToString()
	if rueidis.IsRedisNil(err) {
		return ports.SessionState{}, false, nil
	}
	if err != nil {
		return ports.SessionState{}, false, translate("read cached session", err)
	}
	if v == sessionEnded {
		return ports.SessionState{Ended: true}, true, nil
	}
	uid, ok := strings.CutPrefix(v, "u:")
	n, err := strconv.ParseInt(uid, 10, 64)
	if !ok || err != nil || n <= 0 {
		return ports.SessionState{}, false, nil // undecodable: a miss, the store decides
	}
	return ports.SessionState{UserID: user.ID(n)}, true, nil
}

// Live caches a live session unless the key exists (an end wins).
func (c *SessionCache) Live(ctx context.Context, id string, u user.ID, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "cache session", err)
	}
	cmd := c.rc.B().Set().Key(c.key(id)).Value("u:" + strconv.FormatInt(int64(u), 10)).Nx().Px(ttl).Build()
	err := c.rc.Do(ctx, cmd).Error()
	if rueidis.IsRedisNil(err) { // NX: the key exists
		return nil
	}
	return translate("cache session", err)
}

// End records the end, overwriting a live state.
func (c *SessionCache) End(ctx context.Context, id string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "end cached session", err)
	}
	c.own.mark(id)
	cmd := c.rc.B().Set().Key(c.key(id)).Value(sessionEnded).Px(max(ttl, time.Millisecond)).Build()
	return translate("end cached session", c.rc.Do(ctx, cmd).Error())
}

// Tickets is a ports.TicketStore in Redis: ticket t is the key
// "<prefix>ticket:<t>" with its claims, expiring with the ticket; Take is
// GETDEL, so exactly one of concurrent Takes gets it.
type Tickets struct {
	rc     rueidis.Client
	prefix string
}

// Tickets returns the ticket store.
func (c *Client) Tickets() *Tickets { return &Tickets{rc: c.rc, prefix: c.prefix} }

func (t *Tickets) key(ticket string) string { return t.prefix + "ticket:" + ticket }

// Put stores the claims as "<user id>|<expiry unix ns>|<session id>".
func (t *Tickets) Put(ctx context.Context, ticket string, c user.Claims, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "store ticket", err)
	}
	v := strconv.FormatInt(int64(c.UserID), 10) + "|" + strconv.FormatInt(c.ExpiresAt.UnixNano(), 10) + "|" + c.SessionID
	cmd := t.rc.B().Set().Key(t.key(ticket)).Value(v).Px(max(ttl, time.Millisecond)).Build()
	return translate("store ticket", t.rc.Do(ctx, cmd).Error())
}

// Take returns and deletes a ticket in one command.
func (t *Tickets) Take(ctx context.Context, ticket string) (user.Claims, error) {
	if err := ctx.Err(); err != nil {
		return user.Claims{}, domain.Wrap(domain.Unavailable, "", "take ticket", err)
	}
	v, err := t.rc.Do(ctx, t.rc.B().Getdel().Key(t.key(ticket)).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return user.Claims{}, errNoTicket
	}
	if err != nil {
		return user.Claims{}, translate("take ticket", err)
	}
	parts := strings.SplitN(v, "|", 3)
	if len(parts) != 3 {
		return user.Claims{}, errNoTicket
	}
	uid, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || uid <= 0 || parts[2] == "" {
		return user.Claims{}, errNoTicket
	}
	return user.Claims{UserID: user.ID(uid), SessionID: parts[2], ExpiresAt: time.Unix(0, exp).UTC()}, nil
}

var errNoTicket = domain.Errorf(domain.NotFound, "ticket_not_found", "no such ticket")
