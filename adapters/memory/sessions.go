package memory

import (
	"context"
	"sync"
	"time"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.SessionCache = (*SessionCache)(nil)
	_ ports.TicketStore  = (*Tickets)(nil)
)

// SessionCache is the in-process ports.SessionCache of a single instance:
// a map of session states that expire.
type SessionCache struct {
	now func() time.Time

	mu     sync.RWMutex
	states expiring[string, ports.SessionState]
}

// NewSessionCache returns an empty cache on the clock now (nil: time.Now).
func NewSessionCache(now func() time.Time) *SessionCache {
	if now == nil {
		now = time.Now
	}
	return &SessionCache{now: now, states: newExpiring[string, ports.SessionState]()}
}

func ctxErr(ctx context.Context, what string) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", what, err)
	}
	return nil
}

// Get returns the session's state unless it expired.
func (c *SessionCache) Get(ctx context.Context, id string) (ports.SessionState, bool, error) {
	if err := ctxErr(ctx, "read cached session"); err != nil {
		return ports.SessionState{}, false, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.states.get(c.now(), id)
	return s, ok, nil
}

// Live records a live session unless an unexpired end is recorded.
func (c *SessionCache) Live(ctx context.Context, id string, u user.ID, ttl time.Duration) error {
	if err := ctxErr(ctx, "cache session"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if s, ok := c.states.get(now, id); ok && s.Ended {
		return nil
	}
	c.states.put(now, id, ports.SessionState{UserID: u}, now.Add(ttl))
	return nil
}

// End records the end of a session.
func (c *SessionCache) End(ctx context.Context, id string, ttl time.Duration) error {
	if err := ctxErr(ctx, "end cached session"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.states.put(now, id, ports.SessionState{Ended: true}, now.Add(ttl))
	return nil
}

// Tickets is the in-process ports.TicketStore of a single instance.
type Tickets struct {
	now func() time.Time

	mu      sync.Mutex
	tickets expiring[string, user.Claims]
}

// NewTickets returns an empty ticket store on the clock now (nil:
// time.Now).
func NewTickets(now func() time.Time) *Tickets {
	if now == nil {
		now = time.Now
	}
	return &Tickets{now: now, tickets: newExpiring[string, user.Claims]()}
}

// Put stores a ticket for ttl.
func (t *Tickets) Put(ctx context.Context, ticket string, c user.Claims, ttl time.Duration) error {
	if err := ctxErr(ctx, "store ticket"); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.tickets.put(now, ticket, c, now.Add(ttl))
	return nil
}

// Take returns and forgets a ticket.
func (t *Tickets) Take(ctx context.Context, ticket string) (user.Claims, error) {
	if err := ctxErr(ctx, "take ticket"); err != nil {
		return user.Claims{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.tickets.take(t.now(), ticket)
	if !ok {
		return user.Claims{}, errNoTicket()
	}
	return c, nil
}

func errNoTicket() error {
	return domain.Errorf(domain.NotFound, "ticket_not_found", "no such ticket")
}
