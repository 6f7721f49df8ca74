package redis_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"chat/adapters/redis"
	"chat/domain"
	"chat/ports"
	"chat/test/services"
)

// proxy forwards TCP connections on a loopback address to Redis, so a test
// can take Redis away from one client and give it back.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr, p.conns = ln, ln.Addr().String(), map[net.Conn]struct{}{}
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	p.wg.Add(2)
	go pipe(up, c)
	go pipe(c, up)
}

// stop closes the listener and every forwarded connection: to the client
// it is as if Redis went away.
func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// openBehindProxy opens a client whose connections to Redis go through a
// proxy the test can take away (calls bounded by timeout; 0: the default).
func openBehindProxy(t *testing.T, timeout time.Duration) (*redis.Client, *proxy) {
	t.Helper()
	u, err := url.Parse(services.Redis(t))
	if err != nil {
		t.Fatalf("parse Redis URL: %v", err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	u.RawQuery = "dial_timeout=1s"
	c, err := redis.Open(context.Background(), u.String(), services.Prefix(t), timeout)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(c.Close)
	return c, p
}

// TestBusSurvivesRedisOutage takes Redis away from one client: calls fail
// with Unavailable while it is gone, and when it is back the bus
// resubscribes by itself.
func TestBusSurvivesRedisOutage(t *testing.T) {
	c, p := openBehindProxy(t, 0)
	ctx := context.Background()
	pr := newProbe(t, c.Bus())

	p.stop()
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	for name, err := range map[string]error{
		"Publish":   pr.publish(short()),
		"Subscribe": subscribeErr(c.Bus().Subscribe(short(), 2, func(ports.Event) {})),
		"Connect":   connectErr(c.Presence(0).Connect(short(), ports.Conn{RoomID: 1, UserID: 1, ID: "x"})),
		"Ping":      c.Ping(short()),
	} {
		if got := domain.KindOf(err); err == nil || got != domain.Unavailable {
			t.Errorf("%s while Redis is away: %v (kind %v), want kind Unavailable", name, err, got)
		}
	}

	p.start() // same address
	if !pr.flowing(10 * time.Second) {
		t.Fatal("no event within 10 s of Redis coming back: the bus did not resubscribe")
	}
}

func subscribeErr(s ports.Subscription, err error) error {
	if s != nil {
		s.Close()
	}
	return err
}

func connectErr(_ bool, err error) error { return err }

// TestLimiterFailsFastWhileRedisIsAway takes Redis away from the limiter:
// every call answers Unavailable (the application then lets the request
// through) instead of hanging, and the limiter works again once Redis is
// back and its cooldown has passed.
func TestLimiterFailsFastWhileRedisIsAway(t *testing.T) {
	c, p := openBehindProxy(t, 0)
	ctx := context.Background()
	l := c.Limiter(500 * time.Millisecond)
	r := ports.Rate{Burst: 100, Per: time.Minute}
	if _, err := l.Take(ctx, "send:u:1", r); err != nil {
		t.Fatalf("Take with Redis up: %v", err)
	}

	p.stop()
	for i := range 3 {
		_, err := l.Take(ctx, "send:u:1", r)
		if got := domain.KindOf(err); err == nil || got != domain.Unavailable {
			t.Errorf("Take %d while Redis is away: %v (kind %v), want kind Unavailable", i+1, err, got)
		}
	}
	_, err := l.Fail(ctx, "login:ua:x", ports.Backoff{Free: 1, Base: time.Second, Max: time.Minute, Forget: time.Hour})
	if got := domain.KindOf(err); err == nil || got != domain.Unavailable {
		t.Errorf("Fail while Redis is away: %v (kind %v), want kind Unavailable", err, got)
	}

	p.start()
	if !eventually(10*time.Second, func() bool {
		_, err := l.Take(ctx, "send:u:1", r)
		return err == nil
	}) {
		t.Fatal("the limiter did not recover within 10 s of Redis coming back")
	}
}

func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// TestBusResyncsAfterOutage: while the pub/sub connection is lost the bus
// is not ready, and once it has subscribed again it tells each room's
// subscribers to catch up from the store (EventResync), since what was
// published meanwhile is gone.
func TestBusResyncsAfterOutage(t *testing.T) {
	c, p := openBehindProxy(t, 500*time.Millisecond)
	ctx := context.Background()
	resyncs := make(chan ports.Event, 10)
	sub, err := c.Bus().Subscribe(ctx, 7, func(e ports.Event) {
		if e.Kind() == ports.EventResync {
			resyncs <- e
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := c.Bus().Ready(); err != nil {
		t.Fatalf("Ready with a live subscription: %v", err)
	}

	p.stop()
	if !poll(10*time.Second, func() bool { return c.Bus().Ready() != nil }) {
		t.Fatal("Ready still nil 10 s after the pub/sub connection was lost")
	}
	select {
	case e := <-resyncs:
		t.Fatalf("resync %+v before the bus subscribed again", e)
	default:
	}
	p.start()
	select {
	case e := <-resyncs:
		if e.RoomID != 7 {
			t.Errorf("resync for room %d, want 7", e.RoomID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no resync within 15 s of Redis coming back")
	}
	if err := c.Bus().Ready(); err != nil {
		t.Errorf("Ready after the resubscribe: %v", err)
	}
}

// TestCallsFailFastAfterAFailure: once a call failed for want of Redis,
// the calls that follow within the timeout fail at once (Unavailable)
// instead of each waiting for its own failure.
func TestCallsFailFastAfterAFailure(t *testing.T) {
	c, p := openBehindProxy(t, time.Hour)
	ctx := context.Background()
	cache := c.Cache(0)
	p.stop()
	if _, _, _, err := cache.Get(ctx, 1); domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("Get with Redis away: %v, want Unavailable", err)
	}
	p.start()
	// Redis is back, but the guard is open for the timeout (an hour here):
	// the call fails without trying.
	_, _, _, err := cache.Get(ctx, 1)
	if domain.KindOf(err) != domain.Unavailable || !strings.Contains(err.Error(), "moments ago") {
		t.Fatalf("Get right after a failure: %v, want the guard's Unavailable", err)
	}
}
