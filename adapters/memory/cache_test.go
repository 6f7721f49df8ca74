package memory_test

import (
	"context"
	"testing"
	"time"

	"chat/adapters/memory"
	"chat/domain/user"
	"chat/ports"
	"chat/ports/porttest"
)

func TestProfileCache(t *testing.T) {
	porttest.ProfileCache(t, func(t *testing.T) (ports.ProfileCache, ports.ProfileCache) {
		c := memory.NewCache()
		return c, c
	})
}

func TestSessionCache(t *testing.T) {
	porttest.SessionCache(t, func(t *testing.T) (ports.SessionCache, ports.SessionCache) {
		c := memory.NewSessionCache(nil)
		return c, c
	})
}

func TestTickets(t *testing.T) {
	porttest.Tickets(t, func(t *testing.T) (ports.TicketStore, ports.TicketStore) {
		s := memory.NewTickets(nil)
		return s, s
	})
}

// A cached profile expires: an account deleted behind the server's back
// (an operator's DELETE) is not served forever.
func TestProfileCacheExpires(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := memory.NewExpiringCache(time.Minute, func() time.Time { return now })
	name, _ := user.NewUsername("alice")
	_, _, fill, _ := c.Get(context.Background(), 1)
	if err := c.Set(context.Background(), user.User{ID: 1, Username: name}, fill); err != nil {
		t.Fatal(err)
	}
	if _, ok, _, _ := c.Get(context.Background(), 1); !ok {
		t.Fatal("miss right after Set")
	}
	now = now.Add(time.Minute)
	if u, ok, _, err := c.Get(context.Background(), 1); ok || err != nil {
		t.Fatalf("Get after the TTL = %+v, %v, %v; want a miss", u, ok, err)
	}
}
