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
	states map[string]sessionEntry
	writes int
}

type sessionEntry struct {
	s     ports.SessionState
	until time.Time
}

// NewSessionCache returns an empty cache on the clock now (nil: time.Now).
func NewSessionCache(now func() time.Time) *SessionCache {
	if now == nil {
		now = time.Now
	}
	return &SessionCache{now: now, states: make(map[string]sessionEntry)}
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
	e, ok := c.states[id]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.until) {
		return ports.SessionState{}, false, nil
	}
	return e.s, true, nil
}

// Live records a live session unless an unexpired end is recorded.
func (c *SessionCache) Live(ctx context.Context, id string, u user.ID, ttl time.Duration) error {
	if err := ctxErr(ctx, "cache session"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if e, ok := c.states[id]; ok && e.s.Ended && now.Before(e.until) {
		return nil
	}
	c.put(now, id, sessionEntry{s: ports.SessionState{UserID: u}, until: now.Add(ttl)})
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
	c.put(now, id, sessionEntry{s: ports.SessionState{Ended: true}, until: now.Add(ttl)})
	return nil
}

// put stores e, sweeping expired entries every sweepEvery writes; callers
// hold c.mu.
func (c *SessionCache) put(now time.Time, id string, e sessionEntry) {
	if c.writes++; c.writes >= sweepEvery {
		c.writes = 0
		for k, v := range c.states {
			if !now.Before(v.until) {
				delete(c.states, k)
			}
		}
	}
	c.states[id] = e
}

// Tickets is the in-process ports.TicketStore of a single instance.
type Tickets struct {
	now func() time.Time

	mu      sync.Mutex
	tickets map[string]ticketEntry
	writes  int
}

type ticketEntry struct {
	c     user.Claims
	until time.Time
}

// NewTickets returns an empty ticket store on the clock now (nil:
// time.Now).
func NewTickets(now func() time.Time) *Tickets {
	if now == nil {
		now = time.Now
	}
	return &Tickets{now: now, tickets: make(map[string]ticketEntry)}
}

// Put stores a ticket for ttl.
func (t *Tickets) Put(ctx context.Context, ticket string, c user.Claims, ttl time.Duration) error {
	if err := ctxErr(ctx, "store ticket"); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.writes++; t.writes >= sweepEvery {
		t.writes = 0
		for k, v := range t.tickets {
			if !now.Before(v.until) {
				delete(t.tickets, k)
			}
		}
	}
	t.tickets[ticket] = ticketEntry{c: c, until: now.Add(ttl)}
	return nil
}

// Take returns and forgets a ticket.
func (t *Tickets) Take(ctx context.Context, ticket string) (user.Claims, error) {
	if err := ctxErr(ctx, "take ticket"); err != nil {
		return user.Claims{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.tickets[ticket]
	delete(t.tickets, ticket)
	if !ok || !t.now().Before(e.until) {
		return user.Claims{}, errNoTicket()
	}
	return e.c, nil
}

func errNoTicket() error {
	return domain.Errorf(domain.NotFound, "ticket_not_found", "no such ticket")
}
