package application

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"chat/domain"
	"chat/domain/room"
	"chat/ports"
)

// RelayOptions tunes a Relay. The zero value is usable.
type RelayOptions struct {
	// Interval is how often the relay compares every room it serves with
	// the store (default 1s). A message whose publish never reached the bus
	// is delivered within about two intervals.
	Interval time.Duration
	// GapWait is how long a message that arrived ahead of a missing seq
	// waits for it on the bus before the store is read (default 100ms).
	GapWait time.Duration
	// Timeout bounds each store read (default 2s).
	Timeout time.Duration
	// MaxPending bounds the message events a room holds while a gap is
	// open (default 1024); beyond it the newest are dropped and read from
	// the store when the gap is filled.
	MaxPending int
}

// Relay is a ports.Bus that makes a room's sequenced events (messages and
// their changes: edits, deletions, reactions) reach each
// subscriber exactly once and in seq order, whatever the underlying bus
// lost, duplicated or reordered. The store is the truth: messages are
// committed before they are published, so anything the bus failed to carry
// can be read back (MessageStore.Entries).
//
// Per subscription it remembers the last seq it delivered. A message event
// that arrives ahead of a missing seq is held (GapWait) for the missing one;
// if it does not come, the gap is read from the store (MessageStore.After)
// and delivered before the held events. When the bus reports that it
// reconnected (ports.EventResync), the room is caught up from the store at
// once. And every Interval one query (MessageStore.LastSeqs) compares each
// room's newest seq with what was delivered: a room still behind the seq the
// previous round saw — a message whose publish never happened, because its
// instance died or could not reach the bus — is caught up from the store.
//
// Other events (typing, presence, files, control) pass through as the bus
// delivers them. Publish is the underlying bus's.
type Relay struct {
	bus  ports.Bus
	msgs ports.MessageStore
	log  *slog.Logger
	opts RelayOptions

	mu   sync.Mutex
	subs map[*relaySub]struct{}
}

var _ ports.Bus = (*Relay)(nil)

// fillPage is how many messages one store read of a catch-up takes.
const fillPage = 200

// NewRelay returns a relay over bus that reads missed messages from msgs.
// Run must be running for the periodic catch-up.
func NewRelay(bus ports.Bus, msgs ports.MessageStore, logger *slog.Logger, opts RelayOptions) *Relay {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.GapWait <= 0 {
		opts.GapWait = 100 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 1024
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Relay{bus: bus, msgs: msgs, log: logger, opts: opts, subs: make(map[*relaySub]struct{})}
}

// Publish sends e on the underlying bus.
func (r *Relay) Publish(ctx context.Context, e ports.Event) error { return r.bus.Publish(ctx, e) }

// Subscribe subscribes to room id on the underlying bus, then reads the
// room's newest seq: message events after it are delivered gap-free and in
// order. Unavailable when the bus or the store cannot be reached.
//
// ports.Everyone carries no messages: its subscription is the underlying
// bus's own, Resync included (its subscriber re-reads what it missed).
func (r *Relay) Subscribe(ctx context.Context, id room.ID, deliver func(ports.Event)) (ports.Subscription, error) {
	if id == ports.Everyone {
		return r.bus.Subscribe(ctx, id, deliver)
	}
	s := &relaySub{relay: r, room: id, deliver: deliver}
	raw, err := r.bus.Subscribe(ctx, id, s.onEvent)
	if err != nil {
		return nil, err
	}
	s.raw = raw
	rctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	last, err := r.msgs.LastSeqs(rctx, []room.ID{id})
	cancel()
	if err != nil {
		_ = raw.Close()
		return nil, domain.Wrap(domain.Unavailable, "", "read the room's last seq", err)
	}
	s.mu.Lock()
	s.delivered, s.target, s.ready = last[id], last[id], true
	s.drainLocked()
	s.mu.Unlock()

	r.mu.Lock()
	r.subs[s] = struct{}{}
	r.mu.Unlock()
	return s, nil
}

// Run compares the rooms with the store every Interval until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.poll(ctx)
		}
	}
}

// poll reads the newest seq of every room served and catches up each
// subscription still behind what the previous poll saw: a publish in
// flight has had a whole interval to arrive.
func (r *Relay) poll(ctx context.Context) {
	r.mu.Lock()
	subs := make([]*relaySub, 0, len(r.subs))
	seen := make(map[room.ID]bool, len(r.subs))
	rooms := make([]room.ID, 0, len(r.subs))
	for s := range r.subs {
		subs = append(subs, s)
		if !seen[s.room] {
			seen[s.room] = true
			rooms = append(rooms, s.room)
		}
	}
	r.mu.Unlock()
	if len(rooms) == 0 {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	last, err := r.msgs.LastSeqs(pctx, rooms)
	cancel()
	if err != nil {
		r.log.WarnContext(ctx, "relay: read last seqs", "rooms", len(rooms), "err", err)
		return
	}
	for _, s := range subs {
		seq, ok := last[s.room]
		if !ok {
			continue // the room is gone
		}
		s.mu.Lock()
		if s.target > s.delivered {
			s.startFillLocked("behind the store")
		}
		s.target = seq
		s.mu.Unlock()
	}
}

func (r *Relay) forget(s *relaySub) {
	r.mu.Lock()
	delete(r.subs, s)
	r.mu.Unlock()
}

// relaySub is one subscription: what it delivered and what waits.
type relaySub struct {
	relay   *Relay
	room    room.ID
	deliver func(ports.Event)
	raw     ports.Subscription
	closed  atomic.Bool

	mu        sync.Mutex
	ready     bool          // delivered is known (Subscribe read it)
	delivered int64         // the highest message seq delivered
	pending   []ports.Event // message events after delivered+1, by seq
	filling   bool          // a catch-up reads the store
	wait      *time.Timer   // GapWait of the current gap
	target    int64         // the room's newest seq at the previous poll
}

// onEvent is the underlying bus's deliver: it must not block.
func (s *relaySub) onEvent(e ports.Event) {
	if s.closed.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case e.Kind() == ports.EventResync:
		if s.ready {
			s.startFillLocked("bus reconnected")
		}
	case !e.Sequenced():
		s.deliverLocked(e)
	default:
		s.offerLocked(e)
	}
}

// offerLocked takes a message event: delivered now when it is the next
// seq, else held until the gap before it is filled.
func (s *relaySub) offerLocked(e ports.Event) {
	if s.ready && e.Seq() <= s.delivered {
		return // delivered already (a catch-up got it first)
	}
	if s.ready && !s.filling && e.Seq() == s.delivered+1 {
		s.deliverLocked(e)
		s.delivered = e.Seq()
		s.drainLocked()
		return
	}
	i := sort.Search(len(s.pending), func(i int) bool { return s.pending[i].Seq() >= e.Seq() })
	if i < len(s.pending) && s.pending[i].Seq() == e.Seq() {
		return
	}
	if len(s.pending) >= s.relay.opts.MaxPending {
		if i == len(s.pending) {
			return // the newest: the catch-up reads it from the store
		}
		s.pending = s.pending[:len(s.pending)-1]
	}
	s.pending = append(s.pending, ports.Event{})
	copy(s.pending[i+1:], s.pending[i:])
	s.pending[i] = e
	if s.ready && !s.filling && s.wait == nil {
		s.wait = time.AfterFunc(s.relay.opts.GapWait, s.gapTimeout)
	}
}

// drainLocked delivers the held events that are now next in line.
func (s *relaySub) drainLocked() {
	n := 0
	for _, e := range s.pending {
		if e.Seq() > s.delivered+1 {
			break
		}
		if e.Seq() == s.delivered+1 {
			s.deliverLocked(e)
			s.delivered = e.Seq()
		}
		n++
	}
	if n > 0 {
		clear(s.pending[:n])
		s.pending = s.pending[n:]
	}
	if len(s.pending) == 0 {
		s.pending = nil
		if s.wait != nil {
			s.wait.Stop()
			s.wait = nil
		}
	} else if !s.filling && s.wait == nil {
		s.wait = time.AfterFunc(s.relay.opts.GapWait, s.gapTimeout)
	}
}

func (s *relaySub) deliverLocked(e ports.Event) {
	if !s.closed.Load() {
		s.deliver(e)
	}
}

// gapTimeout runs when a gap stayed open for GapWait.
func (s *relaySub) gapTimeout() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wait = nil
	if len(s.pending) > 0 {
		s.startFillLocked("gap")
	}
}

func (s *relaySub) startFillLocked(why string) {
	if s.filling || s.closed.Load() {
		return
	}
	s.filling = true
	if s.wait != nil {
		s.wait.Stop()
		s.wait = nil
	}
	go s.fill(why)
}

// fill reads the messages after the last delivered one from the store and
// delivers them, then the held events, page by page until it has caught
// up with the store.
func (s *relaySub) fill(why string) {
	r := s.relay
	for {
		s.mu.Lock()
		after := s.delivered
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.Timeout)
		ms, err := r.msgs.Entries(ctx, s.room, after, fillPage)
		cancel()

		s.mu.Lock()
		if err != nil || s.closed.Load() {
			s.filling = false
			if len(s.pending) > 0 && !s.closed.Load() && s.wait == nil {
				// The store failed: try again after the wait (and at polls).
				s.wait = time.AfterFunc(r.opts.Interval, s.gapTimeout)
			}
			s.mu.Unlock()
			if err != nil {
				r.log.Warn("relay: catch up room", "room_id", int64(s.room), "after_seq", after, "err", err)
			}
			return
		}
		for _, m := range ms {
			if m.Seq() == s.delivered+1 {
				s.deliverLocked(entryEvent(m))
				s.delivered = m.Seq()
			}
		}
		if len(ms) > 0 {
			r.log.Debug("relay: caught up room", "room_id", int64(s.room), "why", why, "from_seq", after+1, "to_seq", s.delivered)
		}
		more := len(ms) == fillPage
		if !more {
			s.filling = false
			if len(s.pending) > 0 && s.pending[0].Seq() > s.delivered+1 {
				// The store has every committed seq, and a held event was
				// published after its commit: what is missing does not exist.
				r.log.Warn("relay: seqs missing from the store", "room_id", int64(s.room),
					"from_seq", s.delivered+1, "to_seq", s.pending[0].Seq()-1)
				s.delivered = s.pending[0].Seq() - 1
			}
		}
		s.drainLocked()
		s.mu.Unlock()
		if !more {
			return
		}
	}
}

// Close stops delivery and closes the underlying subscription. A catch-up
// under way delivers nothing more.
func (s *relaySub) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.relay.forget(s)
	return s.raw.Close()
}
