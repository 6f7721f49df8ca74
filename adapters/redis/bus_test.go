package redis_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"go.uber.org/goleak"

	"chat/adapters/redis"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/ports"
	"chat/test/services"
)

// raw returns a plain rueidis client to inspect the server with.
func raw(t *testing.T) rueidis.Client {
	t.Helper()
	opt, err := rueidis.ParseURL(services.Redis(t))
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	opt.DisableCache = true
	c, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// numsub returns how many connections are subscribed to room r's channel.
func numsub(t *testing.T, c rueidis.Client, prefix string, r room.ID) int64 {
	t.Helper()
	ch := prefix + "room:" + strconv.FormatInt(int64(r), 10)
	m, err := c.Do(context.Background(), c.B().PubsubNumsub().Channel(ch).Build()).AsIntMap()
	if err != nil {
		t.Fatalf("PUBSUB NUMSUB: %v", err)
	}
	return m[ch]
}

// inbox collects delivered events for polling.
type inbox struct {
	mu     sync.Mutex
	events []ports.Event
}

func (in *inbox) deliver(e ports.Event) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.events = append(in.events, e)
}

func (in *inbox) maxSeq() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	var m int64
	for _, e := range in.events {
		m = max(m, e.Seq())
	}
	return m
}

// poll calls cond every 20 ms until it holds or d passes.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// probe watches events flow through one room of a bus across outages.
type probe struct {
	bus *redis.Bus
	in  inbox
	seq int64
}

// newProbe subscribes to room 1 of bus and checks that an event arrives.
func newProbe(t *testing.T, bus *redis.Bus) *probe {
	t.Helper()
	p := &probe{bus: bus}
	sub, err := bus.Subscribe(context.Background(), 1, p.in.deliver)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(func() { sub.Close() })
	if !p.flowing(5 * time.Second) {
		t.Fatal("no event on a fresh subscription")
	}
	return p
}

// publish sends the next numbered event to room 1.
func (p *probe) publish(ctx context.Context) error {
	p.seq++
	return p.bus.Publish(ctx, ports.Event{RoomID: 1, Payload: ports.MessageCreated{Message: message.Message{ID: message.ID(p.seq), RoomID: 1, Seq: p.seq}}})
}

// flowing reports whether an event published from now on arrives within
// d. Events published while the bus reconnects may be lost, so it keeps
// publishing, ignoring errors until Redis answers again.
func (p *probe) flowing(d time.Duration) bool {
	mark := p.seq
	return poll(d, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = p.publish(ctx)
		return p.in.maxSeq() > mark
	})
}

func TestBusHoldsOneRedisSubscriptionPerRoom(t *testing.T) {
	prefix := services.Prefix(t)
	a, b := open(t, prefix), open(t, prefix)
	inspect := raw(t)
	ctx := context.Background()
	var subs []ports.Subscription
	for range 3 {
		s, err := a.Bus().Subscribe(ctx, 1, func(ports.Event) {})
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		subs = append(subs, s)
	}
	other, err := b.Bus().Subscribe(ctx, 1, func(ports.Event) {})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer other.Close()
	if got := numsub(t, inspect, prefix, 1); got != 2 {
		t.Errorf("three subscriptions on A and one on B: NUMSUB = %d, want 2", got)
	}
	for i, s := range subs {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		want := int64(2)
		if i == len(subs)-1 {
			want = 1 // A's last subscription of the room is gone
		}
		if got := numsub(t, inspect, prefix, 1); got != want {
			t.Errorf("after closing %d of A's subscriptions: NUMSUB = %d, want %d", i+1, got, want)
		}
	}
}

func TestBusResubscribesAfterConnectionKill(t *testing.T) {
	prefix := services.Prefix(t)
	name := "chatbus-" + services.RandomID()
	c := open(t, prefix, "client_name", name)
	reconnects := &reconnectCount{}
	c.Bus().Observe(reconnects)
	inspect := raw(t)
	ctx := context.Background()
	p := newProbe(t, c.Bus())

	// Kill only this bus's pub/sub connection: other tests share the server.
	kill := func() string {
		t.Helper()
		id := pubsubID(t, inspect, name)
		if id == "" {
			t.Fatalf("no pub/sub connection named %s in CLIENT LIST", name)
		}
		killed, err := inspect.Do(ctx, inspect.B().Arbitrary("CLIENT", "KILL").Args("TYPE", "pubsub", "ID", id).Build()).AsInt64()
		if err != nil || killed != 1 {
			t.Fatalf("CLIENT KILL TYPE pubsub ID %s = %d, %v; want 1 killed", id, killed, err)
		}
		return id
	}
	// resumed waits until room 1 gets events again.
	resumed := func(killed string) {
		t.Helper()
		if !p.flowing(5 * time.Second) {
			t.Fatal("no event within 5 s of the kill: the bus did not resubscribe")
		}
		if got := numsub(t, inspect, prefix, 1); got != 1 {
			t.Errorf("after reconnect: NUMSUB = %d, want 1", got)
		}
		if now := pubsubID(t, inspect, name); now == "" || now == killed {
			t.Errorf("pub/sub connection after the kill: id %q, want a new one (killed %s)", now, killed)
		}
	}

	// The bus notices the lost connection by itself.
	resumed(kill())
	if n := reconnects.n.Load(); n != 1 {
		t.Errorf("%d reconnects observed after one kill, want 1", n)
	}

	// A Subscribe racing the reconnect succeeds, and is active on return.
	killed := kill()
	other := &inbox{}
	sub2, err := c.Bus().Subscribe(ctx, 2, other.deliver)
	if err != nil {
		t.Fatalf("Subscribe right after the kill: %v", err)
	}
	defer sub2.Close()
	if err := c.Bus().Publish(ctx, ports.Event{RoomID: 2, Payload: ports.MessageCreated{Message: message.Message{ID: 1, RoomID: 2, Seq: 1}}}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !poll(5*time.Second, func() bool { return other.maxSeq() == 1 }) {
		t.Fatal("room subscribed right after the kill got no event")
	}
	resumed(killed)
	if n := reconnects.n.Load(); n < 2 {
		t.Errorf("%d reconnects observed after two kills, want 2 or more", n)
	}
}

// reconnectCount counts the reconnects a bus reports.
type reconnectCount struct{ n atomic.Int64 }

func (r *reconnectCount) BusReconnected() { r.n.Add(1) }

// pubsubID returns the id of the pub/sub connection named name, if any.
func pubsubID(t *testing.T, c rueidis.Client, name string) string {
	t.Helper()
	list, err := c.Do(context.Background(), c.B().ClientList().TypePubsub().Build()).ToString()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	// RESP3 answers CLIENT LIST as a verbatim string: "txt:" starts it.
	list = strings.TrimPrefix(list, "txt:")
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			return strings.TrimPrefix(strings.Fields(line)[0], "id=")
		}
	}
	return ""
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	url := services.Redis(t)
	prefix := services.Prefix(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	c, err := redis.Open(ctx, url, prefix, 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	in := &inbox{}
	for r := range room.ID(3) {
		if _, err := c.Bus().Subscribe(ctx, r, in.deliver); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
	}
	if err := c.Bus().Publish(ctx, ports.Event{RoomID: 2, Payload: ports.MessageCreated{Message: message.Message{ID: 1, RoomID: 2, Seq: 1}}}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !poll(5*time.Second, func() bool { return in.maxSeq() == 1 }) {
		t.Fatal("no event")
	}
	if _, err := c.Presence(0).Connect(ctx, ports.Conn{RoomID: 1, UserID: 1, ID: "x"}); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if _, _, _, err := c.Cache(0).Get(ctx, 1); err != nil {
		t.Fatalf("Get: %v", err)
	}
	c.Close() // subscriptions left open on purpose: Close ends them too
	if err := c.Bus().Publish(ctx, ports.Event{RoomID: 2, Payload: ports.Typing{UserID: 1}}); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Publish after Close: %v, want kind Unavailable", err)
	}
	if _, err := c.Bus().Subscribe(ctx, 2, in.deliver); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Subscribe after Close: %v, want kind Unavailable", err)
	}
}
