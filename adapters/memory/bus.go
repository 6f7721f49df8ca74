package memory

import (
	"context"
	"sync"

	"chat/domain"
	"chat/domain/room"
	"chat/ports"
)

var _ ports.Bus = (*Bus)(nil)

// Bus is an in-process ports.Bus: each Publish is handed, in order, to
// every subscription of its room in this process. Each subscription owns a
// goroutine and an unbounded queue, so Publish never waits for a slow
// deliver; deliver must still be quick, as the port requires, or its queue
// grows.
type Bus struct {
	mu     sync.Mutex
	rooms  map[room.ID]map[*subscription]struct{}
	closed bool
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{rooms: make(map[room.ID]map[*subscription]struct{})}
}

// Publish hands e to every subscription of e.RoomID (events are values:
// nothing is shared with the caller). Events enter every queue under one lock,
// so all subscriptions of a room see concurrent publishers in the same order.
func (b *Bus) Publish(ctx context.Context, e ports.Event) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "", "publish event", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return domain.Errorf(domain.Unavailable, "", "event bus is closed")
	}
	for s := range b.rooms[e.RoomID] {
		s.push(e)
	}
	return nil
}

// Subscribe registers deliver for room r. The subscription is active when
// Subscribe returns.
func (b *Bus) Subscribe(ctx context.Context, r room.ID, deliver func(ports.Event)) (ports.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, domain.Wrap(domain.Unavailable, "", "subscribe to room", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, domain.Errorf(domain.Unavailable, "", "event bus is closed")
	}
	s := newSubscription(deliver, func(s *subscription) { b.remove(r, s) })
	subs := b.rooms[r]
	if subs == nil {
		subs = make(map[*subscription]struct{})
		b.rooms[r] = subs
	}
	subs[s] = struct{}{}
	return s, nil
}

// Close closes every subscription; later calls fail with Unavailable.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	rooms := b.rooms
	b.rooms = make(map[room.ID]map[*subscription]struct{})
	b.mu.Unlock()
	for _, subs := range rooms {
		for s := range subs {
			s.stop()
		}
	}
	return nil
}

func (b *Bus) remove(r room.ID, s *subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if subs := b.rooms[r]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(b.rooms, r)
		}
	}
}

// subscription delivers its queue from its own goroutine, in order.
//
// Close guarantees that no deliver call starts after it returns. It does not
// wait for a deliver already running, so it may be called from inside
// deliver without deadlock.
type subscription struct {
	deliver func(ports.Event)
	onClose func(*subscription)
	once    sync.Once
	mu      sync.Mutex
	queue   []ports.Event
	closed  bool
	wake    chan struct{} // capacity 1: "the queue may have grown"
	done    chan struct{}
}

func newSubscription(deliver func(ports.Event), onClose func(*subscription)) *subscription {
	s := &subscription{
		deliver: deliver,
		onClose: onClose,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go s.run()
	return s
}

func (s *subscription) push(e ports.Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscription) run() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			e, ok, closed := s.next()
			if closed {
				return
			}
			if !ok {
				break
			}
			s.deliver(e)
		}
	}
}

// next pops the head of the queue; closed is checked under the same lock
// that stop takes, so no deliver starts after stop returns.
func (s *subscription) next() (e ports.Event, ok, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ports.Event{}, false, true
	}
	if len(s.queue) == 0 {
		s.queue = nil // let a long burst's backing array go
		return ports.Event{}, false, false
	}
	e = s.queue[0]
	s.queue[0] = ports.Event{}
	s.queue = s.queue[1:]
	return e, true, false
}

func (s *subscription) stop() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.queue = nil
		s.mu.Unlock()
		close(s.done)
	})
}

// Close stops delivery and unregisters the subscription. It is idempotent.
func (s *subscription) Close() error {
	s.stop()
	s.onClose(s)
	return nil
}
