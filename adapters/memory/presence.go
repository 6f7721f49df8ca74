package memory

import (
	"context"
	"sync"
	"time"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.Presence = (*Presence)(nil)

// DefaultPresenceTTL is how long a socket stays live without a Refresh.
const DefaultPresenceTTL = 30 * time.Second

// Presence is an in-process ports.Presence with the same rules as the Redis
// one: each socket lives until Disconnect or until its TTL passes without a
// Refresh; Refresh extends only sockets still live, so a socket that expired
// or was disconnected is never brought back by a late Refresh.
type Presence struct {
	ttl   time.Duration
	clock func() time.Time
	mu    sync.Mutex
	rooms map[room.ID]map[user.ID]map[string]time.Time // socket → expiry
}

// NewPresence returns an empty presence whose sockets expire ttl after their
// last Connect or Refresh (DefaultPresenceTTL when ttl ≤ 0), as told by
// clock (time.Now when nil).
func NewPresence(ttl time.Duration, clock func() time.Time) *Presence {
	if ttl <= 0 {
		ttl = DefaultPresenceTTL
	}
	if clock == nil {
		clock = time.Now
	}
	return &Presence{ttl: ttl, clock: clock, rooms: make(map[room.ID]map[user.ID]map[string]time.Time)}
}

// Connect records c; first is true when the user had no other live socket
// in the room.
func (p *Presence) Connect(ctx context.Context, c ports.Conn) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, domain.Wrap(domain.Unavailable, "", "record connection", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	users := p.rooms[c.RoomID]
	if users == nil {
		users = make(map[user.ID]map[string]time.Time)
		p.rooms[c.RoomID] = users
	}
	conns := users[c.UserID]
	if conns == nil {
		conns = make(map[string]time.Time)
		users[c.UserID] = conns
	}
	prune(conns, now)
	first := len(conns) == 0
	conns[c.ID] = now.Add(p.ttl)
	return first, nil
}

// Disconnect forgets c, live or expired; last is true when c was known and
// the user has no live socket left in the room.
func (p *Presence) Disconnect(ctx context.Context, c ports.Conn) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, domain.Wrap(domain.Unavailable, "", "forget connection", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	conns := p.rooms[c.RoomID][c.UserID]
	if _, ok := conns[c.ID]; !ok {
		return false, nil
	}
	delete(conns, c.ID)
	prune(conns, p.clock())
	if len(conns) > 0 {
		return false, nil
	}
	p.forget(c.RoomID, c.UserID)
	return true, nil
}

// Refresh extends the sockets of conns that are still live.
func (p *Presence) Refresh(ctx context.Context, conns []ports.Conn) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "refresh connections", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	for _, c := range conns {
		socks := p.rooms[c.RoomID][c.UserID]
		if exp, ok := socks[c.ID]; ok && exp.After(now) {
			socks[c.ID] = now.Add(p.ttl)
		}
	}
	return nil
}

// Online returns the users with a live socket in r.
func (p *Presence) Online(ctx context.Context, r room.ID) (map[user.ID]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, domain.Wrap(domain.Unavailable, "", "list online users", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	online := make(map[user.ID]bool)
	for u, conns := range p.rooms[r] {
		prune(conns, now)
		if len(conns) == 0 {
			p.forget(r, u)
			continue
		}
		online[u] = true
	}
	return online, nil
}

// OnlineAmong returns which of users have a live socket in r.
func (p *Presence) OnlineAmong(ctx context.Context, r room.ID, users []user.ID) (map[user.ID]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, domain.Wrap(domain.Unavailable, "", "look up online users", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	online := make(map[user.ID]bool)
	for _, u := range users {
		conns := p.rooms[r][u]
		prune(conns, now)
		if len(conns) > 0 {
			online[u] = true
		}
	}
	return online, nil
}

func (p *Presence) forget(r room.ID, u user.ID) {
	users := p.rooms[r]
	delete(users, u)
	if len(users) == 0 {
		delete(p.rooms, r)
	}
}

// prune drops the sockets whose expiry is not after now.
func prune(conns map[string]time.Time, now time.Time) {
	for id, exp := range conns {
		if !exp.After(now) {
			delete(conns, id)
		}
	}
}
