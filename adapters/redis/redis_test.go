package redis_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"chat/adapters/redis"
	"chat/domain/user"
	"chat/ports"
	"chat/ports/porttest"
	"chat/test/services"
)

// open connects a client with prefix to the test Redis and closes it when
// the test ends. query adds URL options (client_name=…).
func open(t testing.TB, prefix string, query ...string) *redis.Client {
	t.Helper()
	u, err := url.Parse(services.Redis(t))
	if err != nil {
		t.Fatalf("parse Redis URL: %v", err)
	}
	q := u.Query()
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := redis.Open(ctx, u.String(), prefix, 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// pair returns two clients sharing one key prefix, like two instances.
func pair(t *testing.T) (*redis.Client, *redis.Client) {
	prefix := services.Prefix(t)
	return open(t, prefix), open(t, prefix)
}

func TestBus(t *testing.T) {
	porttest.Bus(t, func(t *testing.T) (ports.Bus, ports.Bus) {
		a, b := pair(t)
		return a.Bus(), b.Bus()
	})
}

func TestPresence(t *testing.T) {
	porttest.Presence(t, func(t *testing.T) (ports.Presence, ports.Presence) {
		a, b := pair(t)
		return a.Presence(2 * time.Second), b.Presence(2 * time.Second)
	})
}

func TestProfileCache(t *testing.T) {
	porttest.ProfileCache(t, func(t *testing.T) (ports.ProfileCache, ports.ProfileCache) {
		a, b := pair(t)
		return a.Cache(time.Minute), b.Cache(time.Minute)
	})
}

func TestLimiter(t *testing.T) {
	porttest.Limiter(t, func(t *testing.T) (ports.Limiter, ports.Limiter) {
		a, b := pair(t)
		// A generous deadline: a loaded test machine must not turn a slow
		// answer into a contract failure.
		return a.Limiter(5 * time.Second), b.Limiter(5 * time.Second)
	})
}

// TestLimiterKeysUnderPrefix checks that the limiter's keys live under the
// configured prefix and expire on their own.
func TestLimiterKeysUnderPrefix(t *testing.T) {
	prefix := services.Prefix(t)
	l := open(t, prefix).Limiter(5 * time.Second)
	ctx := context.Background()
	if _, err := l.Take(ctx, "send:u:1", ports.Rate{Burst: 10, Per: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Fail(ctx, "login:ua:alice|192.0.2.1", ports.Backoff{Free: 5, Base: time.Second, Max: time.Minute, Forget: time.Hour}); err != nil {
		t.Fatal(err)
	}
	inspect := raw(t)
	for key, maxTTL := range map[string]time.Duration{
		prefix + "limit:send:u:1":                 time.Minute,
		prefix + "limit:login:ua:alice|192.0.2.1": time.Hour,
	} {
		ttl, err := inspect.Do(ctx, inspect.B().Pttl().Key(key).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 || time.Duration(ttl)*time.Millisecond > maxTTL {
			t.Errorf("PTTL %s = %d ms, want a TTL within (0, %v]", key, ttl, maxTTL)
		}
	}
}

func TestSessionCache(t *testing.T) {
	porttest.SessionCache(t, func(t *testing.T) (ports.SessionCache, ports.SessionCache) {
		a, b := pair(t)
		return a.Sessions(time.Minute), b.Sessions(time.Minute)
	})
}

func TestTickets(t *testing.T) {
	porttest.Tickets(t, func(t *testing.T) (ports.TicketStore, ports.TicketStore) {
		a, b := pair(t)
		return a.Tickets(), b.Tickets()
	})
}

// BenchmarkProfileCacheGet is a request's profile read in scale-out mode
// once the instance holds the profile: a client-side cache hit of the
// profile and its generation, no round trip to Redis.
func BenchmarkProfileCacheGet(b *testing.B) {
	prefix := services.Prefix(b)
	cache := open(b, prefix).Cache(time.Minute)
	ctx := context.Background()
	name, _ := user.NewUsername("bench")
	u := user.User{ID: 42, Username: name, DisplayName: "Bench", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	writer := open(b, prefix).Cache(time.Minute) // another instance fills it
	_, _, fill, err := writer.Get(ctx, u.ID)
	if err != nil {
		b.Fatal(err)
	}
	if err := writer.Set(ctx, u, fill); err != nil {
		b.Fatal(err)
	}
	for { // this instance's copy, once Redis's word of the Set has arrived
		if _, ok, _, err := cache.Get(ctx, u.ID); err != nil {
			b.Fatal(err)
		} else if ok {
			break
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		got, ok, _, err := cache.Get(ctx, u.ID)
		if err != nil || !ok || got.ID != u.ID {
			b.Fatalf("Get = %+v, %v, %v", got, ok, err)
		}
	}
}

// BenchmarkSessionCacheGet is a request's session check in scale-out mode
// once the instance holds the session: a client-side cache hit, no round
// trip to Redis.
func BenchmarkSessionCacheGet(b *testing.B) {
	c := open(b, services.Prefix(b))
	s := c.Sessions(time.Minute)
	ctx := context.Background()
	if err := s.Live(ctx, "bench-session", 42, time.Minute); err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "bench-session"); err != nil { // fills the local copy
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		st, ok, err := s.Get(ctx, "bench-session")
		if err != nil || !ok || st.UserID != 42 {
			b.Fatalf("Get = %+v, %v, %v", st, ok, err)
		}
	}
}
