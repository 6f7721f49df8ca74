package ws

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

func TestHubOneSubscriptionPerRoom(t *testing.T) {
	h := newHarness(t, nil)
	var conns []*websocket.Conn
	for _, tok := range []string{"tok-alice", "tok-bob", "tok-alice"} {
		conns = append(conns, h.dial(t, publicRoom, tok, ""))
	}
	if got := h.bus.subscribed.Load(); got != 1 {
		t.Errorf("subscriptions made = %d with 3 sockets in one room, want 1", got)
	}
	h.dial(t, privateRoom, "tok-alice", "")
	if got := h.bus.active.Load(); got != 2 {
		t.Errorf("active subscriptions = %d for two rooms, want 2", got)
	}

	for _, c := range conns {
		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
	select {
	case r := <-h.bus.closed:
		if r != publicRoom {
			t.Errorf("closed the subscription of room %d, want %d", r, publicRoom)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the room's subscription stayed open after its last socket left")
	}
	if got := h.bus.active.Load(); got != 1 {
		t.Errorf("active subscriptions = %d, want 1 (the private room's)", got)
	}
}

func TestHubFanoutRules(t *testing.T) {
	hub := NewHub(newMemBus(), nil, HubOptions{})
	defer hub.Close()
	ctx := context.Background()
	a1 := newSocket("a1", publicRoom, alice, 4)
	a2 := newSocket("a2", publicRoom, alice, 4)
	b1 := newSocket("b1", publicRoom, bob, 4)
	for _, s := range []*socket{a1, a2, b1} {
		if err := hub.Register(ctx, s); err != nil {
			t.Fatal(err)
		}
		defer hub.Unregister(s)
	}
	r := a1.own.room
	hub.deliver(r, ports.Event{RoomID: publicRoom, Payload: ports.Typing{UserID: alice, Username: "alice"}})
	hub.deliver(r, ports.Event{RoomID: publicRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 1, RoomID: publicRoom, Seq: 7, UserID: alice}}})
	hub.deliver(r, ports.Event{RoomID: publicRoom, Payload: ports.MemberRemoved{UserID: bob}})

	// Each event is encoded once: every socket gets the same bytes.
	shared := map[int64]*byte{}
	queued := func(s *socket) (n int, seqs []int64) {
		for _, f := range take(s) {
			if first, ok := shared[f.seq]; !ok {
				shared[f.seq] = &f.b[0]
			} else if &f.b[0] != first {
				t.Errorf("socket %s got a copy of the frame of seq %d", s.id, f.seq)
			}
			seqs = append(seqs, f.seq)
		}
		return len(seqs), seqs
	}
	if n, seqs := queued(a1); n != 1 || seqs[0] != 7 {
		t.Errorf("typist's socket got %v, want only the message (seq 7)", seqs)
	}
	if n, _ := queued(a2); n != 1 {
		t.Errorf("typist's other socket got %d frames, want 1", n)
	}
	if n, _ := queued(b1); n != 2 {
		t.Errorf("bob's socket got %d frames, want typing and message", n)
	}
	if !b1.isClosing() || b1.code != closeRemoved {
		t.Errorf("removed member's socket: closing=%v code=%d", b1.isClosing(), b1.code)
	}
	if a1.isClosing() || a2.isClosing() {
		t.Error("a remaining member's socket was closed")
	}
	if got := hub.localSockets(publicRoom); got != 2 {
		t.Errorf("local sockets = %d, want 2", got)
	}
}

// TestHubRoomEvents: room_updated reaches every socket of the room, and a
// deleted room closes all of them with 4403.
func TestHubRoomEvents(t *testing.T) {
	hub := NewHub(newMemBus(), nil, HubOptions{})
	defer hub.Close()
	ctx := context.Background()
	a1 := newSocket("a1", publicRoom, alice, 4)
	b1 := newSocket("b1", publicRoom, bob, 4)
	other := newSocket("o1", privateRoom, alice, 4)
	for _, s := range []*socket{a1, b1, other} {
		if err := hub.Register(ctx, s); err != nil {
			t.Fatal(err)
		}
		defer hub.Unregister(s)
	}
	ev := ports.Event{RoomID: publicRoom, Payload: ports.RoomUpdated{Room: room.Room{ID: publicRoom, Name: "general", OwnerID: alice}, Actor: alice}}
	frame := wire.NewFrames(nil).Encode(ev).Bytes
	hub.deliver(a1.own.room, ev)
	for _, s := range []*socket{a1, b1} {
		if got := take(s); len(got) != 1 || string(got[0].b) != string(frame) {
			t.Errorf("socket %s got %v, want room_updated", s.id, got)
		}
	}
	hub.deliver(a1.own.room, ports.Event{RoomID: publicRoom, Payload: ports.RoomDeleted{}})
	for _, s := range []*socket{a1, b1} {
		if !s.isClosing() || s.code != closeRemoved {
			t.Errorf("socket %s of the deleted room: closing=%v code=%d, want 4403", s.id, s.isClosing(), s.code)
		}
	}
	if other.isClosing() {
		t.Error("a socket of another room was closed")
	}
	if got := hub.localSockets(publicRoom); got != 0 {
		t.Errorf("local sockets of the deleted room = %d, want 0", got)
	}
}

// gatedBus holds every Subscribe until gate is closed, and fails while
// fail is set.
type gatedBus struct {
	*countingBus
	gate chan struct{}
	fail atomic.Bool
}

func (b *gatedBus) Subscribe(ctx context.Context, r room.ID, deliver func(ports.Event)) (ports.Subscription, error) {
	<-b.gate
	if b.fail.Load() {
		return nil, domain.Errorf(domain.Unavailable, "bus_down", "bus unavailable")
	}
	return b.countingBus.Subscribe(ctx, r, deliver)
}

func TestHubConcurrentRegisterSubscribesOnce(t *testing.T) {
	bus := &gatedBus{countingBus: newCountingBus(newMemBus()), gate: make(chan struct{})}
	hub := NewHub(bus, nil, HubOptions{})
	defer hub.Close()
	const n = 50
	errs := make(chan error, n)
	sockets := make([]*socket, n)
	for i := range sockets {
		sockets[i] = newSocket(fmt.Sprint(i), publicRoom, alice, 1)
		go func() { errs <- hub.Register(context.Background(), sockets[i]) }()
	}
	close(bus.gate) // every Register is now waiting on the first one's Subscribe, or about to
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := bus.subscribed.Load(); got != 1 {
		t.Errorf("subscriptions = %d, want 1", got)
	}
	for _, s := range sockets {
		hub.Unregister(s)
	}
	if got := bus.active.Load(); got != 0 {
		t.Errorf("active subscriptions = %d after every socket left, want 0", got)
	}
}

func TestHubSubscribeFailureIsRetried(t *testing.T) {
	bus := &gatedBus{countingBus: newCountingBus(newMemBus()), gate: make(chan struct{})}
	close(bus.gate)
	bus.fail.Store(true)
	hub := NewHub(bus, nil, HubOptions{})
	defer hub.Close()
	s1 := newSocket("1", publicRoom, alice, 1)
	if err := hub.Register(context.Background(), s1); domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("Register with the bus down = %v, want Unavailable", err)
	}
	bus.fail.Store(false)
	s2 := newSocket("2", publicRoom, alice, 1)
	if err := hub.Register(context.Background(), s2); err != nil {
		t.Fatalf("Register after the bus came back: %v", err)
	}
	hub.Unregister(s2)
	if got := bus.active.Load(); got != 0 {
		t.Errorf("active subscriptions = %d, want 0", got)
	}
}

// BenchmarkHubFanout1k measures one event fanned out to 1000 local sockets'
// queues, each then taken by its writer as a writer that keeps up does
// (writes excluded).
func BenchmarkHubFanout1k(b *testing.B) {
	const sockets, queue = 1000, 256
	hub := NewHub(newMemBus(), nil, HubOptions{})
	defer hub.Close()
	all := make([]*socket, sockets)
	dones := make([][]outFrame, sockets)
	for i := range all {
		all[i] = newSocket(fmt.Sprint(i), publicRoom, user.ID(i+1), queue)
		if err := hub.Register(context.Background(), all[i]); err != nil {
			b.Fatal(err)
		}
	}
	r := all[0].own.room
	ev := ports.Event{RoomID: publicRoom, Payload: ports.MessageCreated{Message: message.Message{
		ID: 123456, RoomID: publicRoom, Seq: 9876, UserID: 7, Username: "alice",
		Content: "hello, this is a typical chat message of about sixty bytes", ClientID: "550e8400-e29b-41d4-a716-446655440000"}}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hub.deliver(r, ev)
		for j, s := range all { // as each writer's turn takes its queue
			batch, _ := s.next(dones[j])
			clear(batch)
			dones[j] = batch
		}
	}
	b.StopTimer()
	if n := hub.localSockets(publicRoom); n != sockets {
		b.Fatalf("%d sockets dropped", sockets-n)
	}
}

// take empties s's queue and returns what it held, closing or not.
func take(s *socket) []outFrame {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	q := s.q
	s.q = nil
	return q
}
