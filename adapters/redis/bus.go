package redis

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"chat/adapters/memory"
	"chat/domain"
	"chat/domain/room"
	"chat/ports"
)

var _ ports.Bus = (*Bus)(nil)

// Timeouts of the calls the bus makes on its own behalf, without a
// caller's context.
const (
	unsubscribeTimeout = 5 * time.Second
	reconnectTimeout   = 5 * time.Second
	reconnectMaxDelay  = 2 * time.Second
)

// Bus is a ports.Bus over Redis pub/sub: room r is the channel
// "<prefix>room:<r>", and Publish is one PUBLISH.
//
// Each Bus holds one dedicated pub/sub connection and at most one Redis
// subscription per room, however many local subscriptions the room has;
// received events are handed to the local subscriptions by an in-process
// memory.Bus, each from its own goroutine. Subscribe returns once Redis has
// confirmed the SUBSCRIBE.
//
// When the pub/sub connection drops, the bus opens a new one and
// subscribes again to every room still held, retrying with backoff until
// Redis answers or the bus is closed. Events published while no
// connection was subscribed are lost, as pub/sub does not keep them;
// messages are stored before they are published, and clients replay
// what they missed from the store when they reconnect.
type Bus struct {
	rc     rueidis.Client
	prefix string
	local  *memory.Bus
	guard  *guard
	down   atomic.Bool // the pub/sub connection is lost and not yet replaced

	ctx    context.Context // canceled by Close: ends reconnects
	cancel context.CancelFunc
	wg     sync.WaitGroup // connection watchers

	// mu is held across SUBSCRIBE and UNSUBSCRIBE round trips, so they
	// reach Redis in the order of the calls. The pub/sub reader never takes
	// it: it hands events to local, which has its own lock.
	mu     sync.Mutex
	refs   map[room.ID]int // local subscriptions per room
	conn   *pubsubConn     // nil until the first Subscribe and while reconnecting
	closed bool
	obs    ports.BusObserver // hears of each reconnect
}

// Observe makes the bus report each reconnect to o (metrics).
func (b *Bus) Observe(o ports.BusObserver) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.obs = o
}

// pubsubConn is one dedicated connection in subscriber mode.
type pubsubConn struct {
	dc   rueidis.DedicatedClient
	lost <-chan error // receives when the connection ends
}

func newBus(rc rueidis.Client, prefix string, g *guard) *Bus {
	ctx, cancel := context.WithCancel(context.Background())
	return &Bus{rc: rc, prefix: prefix, local: memory.NewBus(), guard: g, ctx: ctx, cancel: cancel, refs: make(map[room.ID]int),
		obs: ports.Unobserved{}}
}

// Ready reports whether the bus receives what it subscribed to:
// Unavailable from the moment its pub/sub connection is lost until a new
// one has subscribed to every room again.
func (b *Bus) Ready() error {
	if b.down.Load() {
		return domain.Errorf(domain.Unavailable, "", "event bus subscriptions are down")
	}
	return nil
}

func (b *Bus) channel(r room.ID) string {
	return b.prefix + "room:" + strconv.FormatInt(int64(r), 10)
}

func (b *Bus) roomOf(channel string) (room.ID, bool) {
	s, ok := strings.CutPrefix(channel, b.prefix+"room:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return room.ID(id), err == nil
}

// Publish sends e to every instance's subscribers of e.RoomID.
// Unavailable when Redis cannot be reached.
func (b *Bus) Publish(ctx context.Context, e ports.Event) error {
	const what = "publish event"
	cctx, cancel, err := b.guard.begin(ctx, what)
	if err != nil {
		return err
	}
	defer cancel()
	msg, ok := encodeEvent(e)
	if !ok {
		return domain.Errorf(domain.Invalid, "unknown_event", "event kind %d does not travel on the bus", e.Kind())
	}
	cmd := b.rc.B().Publish().Channel(b.channel(e.RoomID)).Message(rueidis.BinaryString(msg)).Build()
	return b.guard.end(ctx, what, b.rc.Do(cctx, cmd).Error())
}

// Subscribe calls deliver for each event of room r until the subscription
// is closed. The first subscription of a room on this bus subscribes on
// Redis and returns once Redis has confirmed it; later ones share it.
// Unavailable when Redis cannot be reached.
func (b *Bus) Subscribe(ctx context.Context, r room.ID, deliver func(ports.Event)) (ports.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, domain.Wrap(domain.Unavailable, "", "subscribe to room", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, domain.Errorf(domain.Unavailable, "", "event bus is closed")
	}
	if b.refs[r] == 0 {
		if err := b.subscribeLocked(ctx, r); err != nil {
			return nil, err
		}
	}
	local, err := b.local.Subscribe(ctx, r, deliver)
	if err != nil {
		if b.refs[r] == 0 {
			_ = b.unsubscribeLocked(r) // best effort; see unsubscribeLocked
		}
		return nil, err
	}
	b.refs[r]++
	return &subscription{bus: b, room: r, local: local}, nil
}

// subscribeLocked makes Redis send room r's events to this bus.
func (b *Bus) subscribeLocked(ctx context.Context, r room.ID) error {
	if b.conn == nil {
		// A new connection subscribes to every room held, r included.
		return b.connectLocked(ctx, r)
	}
	cmd := b.conn.dc.B().Subscribe().Channel(b.channel(r)).Build()
	err := b.conn.dc.Do(ctx, cmd).Error()
	if err == nil {
		return nil
	}
	if _, refused := rueidis.IsRedisErr(err); refused || ctx.Err() != nil {
		// If only ctx ended, Redis may still apply the SUBSCRIBE: events
		// then reach a room without local subscribers and are dropped
		// until the room is subscribed and closed again.
		return translate("subscribe to room", err)
	}
	// The connection is gone and its watcher has not replaced it yet: do
	// it now rather than fail. The watcher then finds it done.
	b.conn.dc.Close()
	b.conn = nil
	b.down.Store(true)
	return b.connectLocked(ctx, r)
}

// unsubscribeLocked stops Redis sending room r's events to this bus. A
// failure is harmless: the events are dropped here, and a broken
// connection's replacement subscribes only to rooms still held.
func (b *Bus) unsubscribeLocked(r room.ID) error {
	if b.conn == nil || b.closed {
		return nil
	}
	ctx, cancel := context.WithTimeout(b.ctx, unsubscribeTimeout)
	defer cancel()
	cmd := b.conn.dc.B().Unsubscribe().Channel(b.channel(r)).Build()
	return translate("unsubscribe from room", b.conn.dc.Do(ctx, cmd).Error())
}

// connectLocked opens a pub/sub connection, subscribes it to every room
// held and to extra, and starts its watcher.
func (b *Bus) connectLocked(ctx context.Context, extra ...room.ID) error {
	channels := make([]string, 0, len(b.refs)+len(extra))
	for r := range b.refs {
		channels = append(channels, b.channel(r))
	}
	for _, r := range extra {
		channels = append(channels, b.channel(r))
	}
	if len(channels) == 0 {
		if b.down.Swap(false) {
			b.obs.BusReconnected() // nothing to subscribe again
		}
		return nil // connect lazily, when a room is subscribed
	}
	dc, _ := b.rc.Dedicate() // dc.Close releases it
	lost := dc.SetPubSubHooks(rueidis.PubSubHooks{OnMessage: b.receive})
	if err := dc.Do(ctx, dc.B().Subscribe().Channel(channels...).Build()).Error(); err != nil {
		dc.Close()
		return translate("subscribe to rooms", err)
	}
	conn := &pubsubConn{dc: dc, lost: lost}
	b.conn = conn
	b.wg.Add(1)
	go b.watch(conn)
	if b.down.Swap(false) {
		b.obs.BusReconnected()
		// Events published while no connection was subscribed are gone:
		// tell each room's subscribers to catch up from the store.
		for r := range b.refs {
			_ = b.local.Publish(b.ctx, ports.Event{RoomID: r, Payload: ports.Resync{}})
		}
	}
	return nil
}

// receive runs on the pub/sub connection's reader: it must not block, nor
// take b.mu (held while waiting on that same reader).
func (b *Bus) receive(m rueidis.PubSubMessage) {
	r, ok := b.roomOf(m.Channel)
	if !ok {
		return
	}
	e, err := decodeEvent([]byte(m.Message), r)
	if err != nil {
		return // not ours to understand; see decodeEvent
	}
	_ = b.local.Publish(b.ctx, e) // fails only once the bus is closed
}

// watch waits for conn to end and then replaces it, until the bus closes.
func (b *Bus) watch(conn *pubsubConn) {
	defer b.wg.Done()
	select {
	case <-b.ctx.Done():
		return
	case <-conn.lost:
	}
	b.down.Store(true)
	delay := 50 * time.Millisecond
	for {
		if done := b.reconnect(conn); done {
			return
		}
		select {
		case <-b.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, reconnectMaxDelay)
	}
}

// reconnect replaces the lost connection old; done is false when it should
// be tried again later.
func (b *Bus) reconnect(old *pubsubConn) (done bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return true
	}
	if b.conn == old {
		b.conn = nil
		old.dc.Close()
	}
	if b.conn != nil {
		return true // a Subscribe connected meanwhile, with every room held
	}
	ctx, cancel := context.WithTimeout(b.ctx, reconnectTimeout)
	defer cancel()
	return b.connectLocked(ctx) == nil
}

// Close closes every subscription and the pub/sub connection; later calls
// fail with Unavailable. It is idempotent.
func (b *Bus) Close() error {
	b.cancel()
	b.mu.Lock()
	conn := b.conn
	b.conn, b.closed = nil, true
	b.mu.Unlock()
	if conn != nil {
		conn.dc.Close()
	}
	b.wg.Wait()
	return b.local.Close()
}

// release drops one local subscription of r, and the Redis subscription
// with the last one.
func (b *Bus) release(r room.ID) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refs[r]--; b.refs[r] > 0 {
		return nil
	}
	delete(b.refs, r)
	return b.unsubscribeLocked(r)
}

type subscription struct {
	bus   *Bus
	room  room.ID
	local ports.Subscription
	once  sync.Once
	err   error
}

// Close stops delivery at once (no deliver starts after it returns) and
// unsubscribes the room on Redis when this was its last subscription. It
// may be called from inside deliver, and more than once.
func (s *subscription) Close() error {
	s.once.Do(func() {
		s.local.Close()
		s.err = s.bus.release(s.room)
	})
	return s.err
}
