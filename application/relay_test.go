package application

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/memory"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// relayFixture is a relay over the memory bus and stores, with one room.
type relayFixture struct {
	t     testing.TB
	st    *memory.Stores
	bus   *memory.Bus
	relay *Relay
	room  room.ID
	user  user.User
}

func newRelayFixture(t testing.TB, opts RelayOptions) *relayFixture {
	t.Helper()
	st := memory.NewStores()
	ctx := context.Background()
	name, _ := user.NewUsername("alice")
	u, err := st.Users().Create(ctx, user.User{Username: name}, "x")
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Rooms().Create(ctx, room.Room{Name: "general", OwnerID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	bus := memory.NewBus()
	t.Cleanup(func() { bus.Close() })
	if opts.Interval == 0 {
		opts.Interval = time.Hour // tests call poll themselves
	}
	return &relayFixture{t: t, st: st, bus: bus, relay: NewRelay(bus, st.Messages(), nil, opts), room: r.ID, user: u}
}

// store appends a message without publishing it: committed, never published.
func (f *relayFixture) store(text string) message.Message {
	f.t.Helper()
	m, _, err := f.st.Messages().Append(context.Background(), message.Message{
		RoomID: f.room, UserID: f.user.ID, Username: "alice", Content: text,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *relayFixture) publish(m message.Message) {
	f.t.Helper()
	if err := f.bus.Publish(context.Background(), messageEvent(m)); err != nil {
		f.t.Fatal(err)
	}
}

// recorder collects the seqs a subscription delivers.
type recorder struct {
	mu   sync.Mutex
	seqs []int64
	kick chan struct{}
}

func (f *relayFixture) subscribe() *recorder {
	f.t.Helper()
	rec := &recorder{kick: make(chan struct{}, 1000)}
	sub, err := f.relay.Subscribe(context.Background(), f.room, func(e ports.Event) {
		if e.Kind() != ports.EventMessage {
			return
		}
		rec.mu.Lock()
		rec.seqs = append(rec.seqs, e.Seq())
		rec.mu.Unlock()
		rec.kick <- struct{}{}
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { sub.Close() })
	return rec
}

// waitFor waits until the recorder holds want (or more), then compares.
func (rec *recorder) waitFor(t *testing.T, want []int64) {
	t.Helper()
	deadline := time.After(10 * time.Second) // a bound against hanging, not a speed check
	for {
		rec.mu.Lock()
		got := slices.Clone(rec.seqs)
		rec.mu.Unlock()
		if len(got) >= len(want) {
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("delivered seqs (-want +got):\n%s", d)
			}
			return
		}
		select {
		case <-rec.kick:
		case <-deadline:
			t.Fatalf("delivered seqs %v, want %v", got, want)
		}
	}
}

func (rec *recorder) settle(t *testing.T, want []int64) {
	t.Helper()
	time.Sleep(50 * time.Millisecond) // nothing more may arrive
	rec.waitFor(t, want)
}

func TestRelayDeliversInOrderWhatArrivesOutOfOrder(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{GapWait: time.Hour})
	rec := f.subscribe()
	m1, m2, m3 := f.store("one"), f.store("two"), f.store("three")
	f.publish(m3)
	f.publish(m1)
	f.publish(m1) // a duplicate
	f.publish(m2)
	rec.waitFor(t, []int64{1, 2, 3})
	f.publish(m2)
	rec.settle(t, []int64{1, 2, 3})
}

func TestRelayFillsAGapFromTheStore(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{GapWait: time.Millisecond})
	rec := f.subscribe()
	m1 := f.store("one")
	f.store("two") // its publish is lost
	m3 := f.store("three")
	f.publish(m1)
	f.publish(m3)
	rec.waitFor(t, []int64{1, 2, 3})
}

func TestRelayCatchesUpAMessageNeverPublished(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{})
	rec := f.subscribe()
	f.publish(f.store("one"))
	rec.waitFor(t, []int64{1})
	f.store("two") // its instance died before publishing: no later event shows the gap

	ctx := context.Background()
	f.relay.poll(ctx) // sees seq 2, gives the publish an interval to arrive
	rec.settle(t, []int64{1})
	f.relay.poll(ctx) // still behind: reads the store
	rec.waitFor(t, []int64{1, 2})
}

func TestRelayLeavesAPublishInFlightAlone(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{})
	rec := f.subscribe()
	ctx := context.Background()
	m := f.store("one")
	f.relay.poll(ctx)
	f.publish(m) // arrives within the interval
	rec.waitFor(t, []int64{1})
	f.relay.poll(ctx)
	rec.settle(t, []int64{1})
}

func TestRelayCatchesUpWhenTheBusReconnects(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{})
	rec := f.subscribe()
	f.store("one")
	f.store("two") // published while the bus was disconnected: lost
	if err := f.bus.Publish(context.Background(), ports.Event{RoomID: f.room, Payload: ports.Resync{}}); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, []int64{1, 2})
}

func TestRelayStartsAtTheRoomsNewestSeq(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{GapWait: time.Millisecond})
	old := f.store("before the subscription")
	rec := f.subscribe()
	f.publish(old) // a late copy of a message older than the subscription
	f.publish(f.store("after"))
	rec.waitFor(t, []int64{2})
	rec.settle(t, []int64{2})
}

func TestRelayReadsLongGapsPageByPage(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{GapWait: time.Millisecond, MaxPending: 4})
	rec := f.subscribe()
	var want []int64
	var last message.Message
	for i := range fillPage*2 + 7 {
		last = f.store("m")
		want = append(want, int64(i+1))
	}
	f.publish(last)
	rec.waitFor(t, want)
}

func TestRelayClosedDeliversNothing(t *testing.T) {
	f := newRelayFixture(t, RelayOptions{GapWait: time.Millisecond})
	var mu sync.Mutex
	n := 0
	sub, err := f.relay.Subscribe(context.Background(), f.room, func(ports.Event) { mu.Lock(); n++; mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	sub.Close()
	f.publish(f.store("one"))
	f.relay.poll(context.Background())
	f.relay.poll(context.Background())
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if n != 0 {
		t.Errorf("%d events delivered after Close", n)
	}
	if len(f.relay.subs) != 0 {
		t.Errorf("relay still tracks %d subscriptions", len(f.relay.subs))
	}
}

// BenchmarkRelayDelivery is the relay's cost per message event: the same
// in-order events through the bare memory bus and through the relay over
// it, one subscriber, delivery counted.
//
//	go test -run '^$' -bench RelayDelivery ./application/
func BenchmarkRelayDelivery(b *testing.B) {
	for _, viaRelay := range []bool{false, true} {
		name := "bus"
		if viaRelay {
			name = "relay"
		}
		b.Run(name, func(b *testing.B) {
			f := newRelayFixture(b, RelayOptions{})
			var bus ports.Bus = f.bus
			if viaRelay {
				bus = f.relay
			}
			got := make(chan struct{}, 1)
			var n, want atomic.Int64
			sub, err := bus.Subscribe(context.Background(), f.room, func(ports.Event) {
				if n.Add(1) == want.Load() {
					got <- struct{}{}
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Close()
			want.Store(int64(b.N))
			b.ResetTimer()
			for i := range b.N {
				m := message.Message{ID: message.ID(i + 1), RoomID: f.room, Seq: int64(i + 1), UserID: f.user.ID, Content: "m"}
				_ = f.bus.Publish(context.Background(), ports.Event{RoomID: f.room, Payload: ports.MessageCreated{Message: m}})
			}
			<-got
		})
	}
}
