package ws

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// HubOptions tunes a Hub. The zero value is usable.
type HubOptions struct {
	// SubscribeTimeout bounds the bus subscription made when a room's first
	// local socket registers (default 5s).
	SubscribeTimeout time.Duration
}

// Hub fans bus events out to this instance's sockets. It holds exactly one
// bus subscription per room that has local sockets: made when the room's
// first socket registers, closed when its last one unregisters.
//
// Fan-out never blocks: a socket whose send queue is full is dropped from
// the room and closed with 1013, and its client resumes from the store.
type Hub struct {
	bus  ports.Bus
	log  *slog.Logger
	opts HubOptions

	mu     sync.Mutex
	rooms  map[room.ID]*hubRoom
	closed bool
}

// hubRoom is one room's subscription and local sockets.
type hubRoom struct {
	id room.ID

	ready chan struct{} // closed once Subscribe returned; then sub/err are set
	sub   ports.Subscription
	err   error
	refs  int // registered sockets, guarded by Hub.mu

	mu      sync.RWMutex
	sockets []*socket // the sockets that receive events; a slice, for fan-out speed
}

// add and remove keep r.sockets in O(1); callers hold r.mu.
func (r *hubRoom) add(s *socket) {
	s.idx = len(r.sockets)
	r.sockets = append(r.sockets, s)
}

func (r *hubRoom) remove(s *socket) {
	i := s.idx
	if i < 0 || i >= len(r.sockets) || r.sockets[i] != s {
		return // already removed
	}
	last := len(r.sockets) - 1
	r.sockets[i] = r.sockets[last]
	r.sockets[i].idx = i
	r.sockets[last] = nil
	r.sockets = r.sockets[:last]
	s.idx = -1
}

// socket is what the hub knows of one WebSocket: whose it is, where its
// frames go, and how to ask it to close.
//
// An idle socket holds no queue memory and no writer goroutine: the first
// frame queued starts one writer (start, on a new goroutine), which drains
// the queue and ends when it is empty. writing guards that there is at
// most one writer, so frames go out in queue order.
type socket struct {
	id     string
	roomID room.ID
	userID user.ID
	limit  int // queued frames at most; one more is a slow consumer

	room *hubRoom // set by Register
	idx  int      // position in room.sockets, guarded by room.mu; -1 when out

	// start runs the writer; the socket calls it on a new goroutine. Nil
	// for a socket without a connection (hub tests): frames just queue.
	start func()

	mu      sync.Mutex
	queue   frameQueue
	writing bool // a writer owns the connection: start it no second time
	pingDue bool // the writer pings once the queue is empty
	closing bool
	code    websocket.StatusCode // set once, with closing
	reason  string
}

// outFrame is a queued frame. seq is the message seq of a message event
// (for resume de-duplication), else 0.
type outFrame struct {
	b   []byte
	seq int64
}

func newSocket(id string, r room.ID, u user.ID, limit int) *socket {
	s := &socket{}
	s.init(id, r, u, limit)
	return s
}

func (s *socket) init(id string, r room.ID, u user.ID, limit int) {
	s.id, s.roomID, s.userID, s.limit, s.idx = id, r, u, limit, -1
}

// enqueue adds f without blocking and makes sure a writer runs; false when
// the queue is full. Frames for a closing socket are dropped.
func (s *socket) enqueue(f outFrame) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return true
	}
	if !s.queue.push(f, s.limit) {
		return false
	}
	s.wakeLocked()
	return true
}

// wakeLocked starts a writer unless one runs; callers hold s.mu.
func (s *socket) wakeLocked() {
	if s.writing || s.start == nil {
		return
	}
	s.writing = true
	go s.start()
}

// close asks the socket to close with code; the first request wins. The
// writer sends the close frame: queued frames are dropped.
func (s *socket) close(code websocket.StatusCode, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.closing, s.code, s.reason = true, code, reason
	s.wakeLocked()
}

func (s *socket) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// frameQueue is a FIFO ring of frames that grows on demand up to the
// socket's limit. It keeps its slots while it is in use, so a busy socket
// does not allocate per frame, and lets go of them when the Gateway's
// keepalive sweep finds it empty (shrink): an idle socket holds none.
type frameQueue struct {
	buf     []outFrame
	head, n int
}

const minQueueAlloc = 2 // the first allocation: one frame, or a frame and an error

// push adds f; false when the queue already holds limit frames.
func (q *frameQueue) push(f outFrame, limit int) bool {
	if q.n >= limit {
		return false
	}
	if q.n == len(q.buf) {
		buf := make([]outFrame, min(max(2*len(q.buf), minQueueAlloc), limit))
		k := copy(buf, q.buf[q.head:])
		copy(buf[k:], q.buf[:q.head])
		q.buf, q.head = buf, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = f
	q.n++
	return true
}

// pop removes the oldest frame; false when empty.
func (q *frameQueue) pop() (outFrame, bool) {
	if q.n == 0 {
		return outFrame{}, false
	}
	f := q.buf[q.head]
	q.buf[q.head] = outFrame{} // the frame's bytes may be freed once written
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return f, true
}

// shrink frees the slots of an empty queue.
func (q *frameQueue) shrink() {
	if q.n == 0 {
		*q = frameQueue{}
	}
}

// clear drops every queued frame and the slots.
func (q *frameQueue) clear() { *q = frameQueue{} }

// NewHub returns a hub fed by bus.
func NewHub(bus ports.Bus, logger *slog.Logger, opts HubOptions) *Hub {
	if opts.SubscribeTimeout <= 0 {
		opts.SubscribeTimeout = 5 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{bus: bus, log: logger, opts: opts, rooms: make(map[room.ID]*hubRoom)}
}

// Register adds s to its room. When s is the room's first local socket it
// subscribes to the room on the bus and returns only once the subscription
// is active, so every event published after Register returns reaches s.
// After a nil error the caller must Unregister s.
func (h *Hub) Register(ctx context.Context, s *socket) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return domain.Errorf(domain.Unavailable, "shutting_down", "the server is shutting down")
	}
	r := h.rooms[s.roomID]
	first := r == nil
	if first {
		r = &hubRoom{id: s.roomID, ready: make(chan struct{})}
		h.rooms[s.roomID] = r
	}
	r.refs++
	h.mu.Unlock()

	if first {
		sctx, cancel := context.WithTimeout(ctx, h.opts.SubscribeTimeout)
		r.sub, r.err = h.bus.Subscribe(sctx, r.id, h.deliverer(r))
		cancel()
		if r.err != nil {
			h.mu.Lock()
			if h.rooms[r.id] == r { // later sockets start afresh
				delete(h.rooms, r.id)
			}
			h.mu.Unlock()
		}
		close(r.ready)
	} else {
		select {
		case <-r.ready:
		case <-ctx.Done():
			h.release(r)
			return ctx.Err()
		}
	}
	if r.err != nil {
		h.release(r)
		return r.err
	}

	r.mu.Lock()
	r.add(s)
	r.mu.Unlock()
	s.room = r
	return nil
}

// Unregister removes s from its room and closes the room's subscription
// when s was its last local socket. It is safe after s was dropped.
func (h *Hub) Unregister(s *socket) {
	r := s.room
	if r == nil {
		return
	}
	r.mu.Lock()
	r.remove(s)
	r.mu.Unlock()
	h.release(r)
}

// release drops one reference to r; the last closes the subscription.
func (h *Hub) release(r *hubRoom) {
	h.mu.Lock()
	r.refs--
	var sub ports.Subscription
	if r.refs == 0 {
		if h.rooms[r.id] == r {
			delete(h.rooms, r.id)
		}
		sub = r.sub
	}
	h.mu.Unlock()
	if sub != nil {
		if err := sub.Close(); err != nil {
			h.log.Warn("ws hub: close room subscription", "room_id", int64(r.id), "err", err)
		}
	}
}

// Close refuses new registrations and closes the subscriptions still open
// (normally none: sockets are closed first, by Gateway.Shutdown).
func (h *Hub) Close() error {
	h.mu.Lock()
	h.closed = true
	rooms := h.rooms
	h.rooms = make(map[room.ID]*hubRoom)
	h.mu.Unlock()
	for _, r := range rooms {
		<-r.ready
		h.mu.Lock()
		sub := r.sub
		r.sub = nil // its sockets' Unregister must not close it again
		h.mu.Unlock()
		if sub != nil {
			if err := sub.Close(); err != nil {
				h.log.Warn("ws hub: close room subscription", "room_id", int64(r.id), "err", err)
			}
		}
	}
	return nil
}

func (h *Hub) deliverer(r *hubRoom) func(ports.Event) {
	return func(e ports.Event) { h.deliver(r, e) }
}

// deliver copies e's frame (the same slice, never re-encoded) into the
// queue of every local socket it is meant for. It never blocks.
func (h *Hub) deliver(r *hubRoom, e ports.Event) {
	var drop []*socket
	var seq int64
	if e.Kind == ports.EventMessage {
		seq = e.Seq
	}
	r.mu.RLock()
	for _, s := range r.sockets {
		switch {
		case e.Kind == ports.EventMemberRemoved:
			if s.userID == e.UserID {
				drop = append(drop, s)
				s.close(closeRemoved, "removed from room")
			}
			continue
		case e.Kind == ports.EventTyping && s.userID == e.UserID:
			continue // not echoed to the typist
		case e.Frame == nil:
			continue
		}
		if !s.enqueue(outFrame{b: e.Frame, seq: seq}) {
			drop = append(drop, s)
			s.close(websocket.StatusTryAgainLater, "slow consumer")
		}
	}
	r.mu.RUnlock()
	if len(drop) == 0 {
		return
	}
	r.mu.Lock()
	for _, s := range drop {
		r.remove(s)
	}
	r.mu.Unlock()
	for _, s := range drop {
		h.log.Info("ws hub: socket dropped", "room_id", int64(r.id), "user_id", int64(s.userID), "conn_id", s.id, "code", int(s.code))
	}
}

// localSockets reports how many sockets receive r's events (tests).
func (h *Hub) localSockets(id room.ID) int {
	h.mu.Lock()
	r := h.rooms[id]
	h.mu.Unlock()
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.sockets)
}
