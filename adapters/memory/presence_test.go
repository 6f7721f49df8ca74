package memory_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/memory"
	"chat/domain/user"
	"chat/ports"
	"chat/ports/porttest"
)

func TestPresence(t *testing.T) {
	porttest.Presence(t, func(t *testing.T) (ports.Presence, ports.Presence) {
		p := memory.NewPresence(time.Second, nil)
		return p, p
	})
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestPresenceTTL pins the expiry arithmetic with an injected clock.
func TestPresenceTTL(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := memory.NewPresence(30*time.Second, clock.Now)
	ctx := context.Background()
	a := ports.Conn{RoomID: 1, UserID: 1, ID: "a"}
	b := ports.Conn{RoomID: 1, UserID: 2, ID: "b"}
	for _, c := range []ports.Conn{a, b} {
		if _, err := p.Connect(ctx, c); err != nil {
			t.Fatalf("Connect: %v", err)
		}
	}
	steps := []struct {
		advance time.Duration
		refresh []ports.Conn
		want    map[user.ID]bool
	}{
		{29 * time.Second, []ports.Conn{b}, map[user.ID]bool{1: true, 2: true}},
		{time.Second, nil, map[user.ID]bool{2: true}},                     // a reaches its TTL: gone
		{28 * time.Second, []ports.Conn{a, b}, map[user.ID]bool{2: true}}, // a is not revived
		{30 * time.Second, nil, map[user.ID]bool{}},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if err := p.Refresh(ctx, s.refresh); err != nil {
			t.Fatalf("step %d: Refresh: %v", i, err)
		}
		got, err := p.Online(ctx, 1)
		if err != nil {
			t.Fatalf("step %d: Online: %v", i, err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("step %d: Online (-want +got):\n%s", i, diff)
		}
	}
	first, err := p.Connect(ctx, a)
	if err != nil || !first {
		t.Errorf("Connect after expiry = %v, %v; want first", first, err)
	}
}
