package ws

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"

	"chat/adapters/wire"
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
	// Frames encodes events for clients (wire.NewFrames with the signed
	// links of files); nil: file events carry unsigned paths.
	Frames *wire.Frames
}

// Hub fans bus events out to this instance's sockets. It holds exactly one
// bus subscription per room that has local sockets: made when the room's
// first socket registers, closed when its last one unregisters.
//
// Fan-out never blocks: a socket whose send queue is full is dropped from
// the room and closed with 1013, and its client resumes from the store.
type Hub struct {
	bus    ports.Bus
	log    *slog.Logger
	opts   HubOptions
	frames *wire.Frames

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
type socket struct {
	id        string
	roomID    room.ID
	userID    user.ID
	sessionID string // the sign-in the socket was opened with

	// The send queue: frames waiting for the writer, oldest first. It
	// grows on demand up to limit and the writer takes it whole, so an idle
	// socket keeps no queue memory (a 256-slot channel was 8 KiB each).
	// The writer is a goroutine that runs only while there is something to
	// write (frames, or the close): an idle socket keeps no writer stack.
	qmu     sync.Mutex
	q       []outFrame
	spare   []outFrame // the writer's other slice, while it runs
	limit   int
	writer  func() // runs the writer; nil until the session is ready
	writing bool   // a writer runs (or was started)

	room *hubRoom // set by Register
	idx  int      // position in room.sockets, guarded by room.mu; -1 when out

	closeOnce sync.Once
	closing   chan struct{}
	code      websocket.StatusCode // set once, before closing is closed
	reason    string
}

// outFrame is a queued frame. seq is the message seq of a message event
// (for resume de-duplication), else 0.
type outFrame struct {
	b   []byte
	seq int64
}

func newSocket(id string, r room.ID, u user.ID, queue int) *socket {
	return &socket{id: id, roomID: r, userID: u, limit: queue, closing: make(chan struct{}), idx: -1}
}

// enqueue adds f without blocking, starting the writer if none runs;
// false when the queue is full.
func (s *socket) enqueue(f outFrame) bool {
	s.qmu.Lock()
	if len(s.q) >= s.limit {
		s.qmu.Unlock()
		return false
	}
	s.q = append(s.q, f)
	start := s.startLocked()
	s.qmu.Unlock()
	if start != nil {
		go start()
	}
	return true
}

// startLocked marks a writer as running and returns the function to run
// it, unless one runs or the session has not installed it yet.
func (s *socket) startLocked() func() {
	if s.writing || s.writer == nil {
		return nil
	}
	s.writing = true
	return s.writer
}

// setWriter installs the writer and starts it if frames or the close are
// already waiting.
func (s *socket) setWriter(run func()) {
	s.qmu.Lock()
	s.writer = run
	waiting := len(s.q) > 0
	s.qmu.Unlock()
	if waiting || s.isClosing() {
		s.kick()
	}
}

// kick starts the writer if none runs (to send the close).
func (s *socket) kick() {
	s.qmu.Lock()
	start := s.startLocked()
	s.qmu.Unlock()
	if start != nil {
		go start()
	}
}

// next is the writer's next turn: the close first (a full queue must not
// delay it: closing, and writing stays set so no writer follows), else
// the queued frames (the previous batch, emptied, becomes the queue's
// storage), else nothing and the writer stops.
func (s *socket) next(done []outFrame) (batch []outFrame, closing bool) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.isClosing() {
		s.q, s.spare = nil, nil
		return nil, true
	}
	if len(s.q) == 0 {
		s.writing = false
		s.spare = nil // an idle socket keeps no queue memory
		return nil, false
	}
	if cap(done) <= spareCap {
		s.spare = done[:0]
	} else {
		s.spare = nil
	}
	batch, s.q = s.q, s.spare
	return batch, false
}

// close asks the socket to close with code; the first request wins.
func (s *socket) close(code websocket.StatusCode, reason string) {
	s.closeOnce.Do(func() {
		s.code, s.reason = code, reason
		close(s.closing)
		s.kick()
	})
}

func (s *socket) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// NewHub returns a hub fed by bus.
func NewHub(bus ports.Bus, logger *slog.Logger, opts HubOptions) *Hub {
	if opts.SubscribeTimeout <= 0 {
		opts.SubscribeTimeout = 5 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	frames := opts.Frames
	if frames == nil {
		frames = wire.NewFrames(nil)
	}
	return &Hub{bus: bus, log: logger, opts: opts, frames: frames, rooms: make(map[room.ID]*hubRoom)}
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

// deliver encodes e's frame once (wire.Frames) and copies it — the same
// slice, never re-encoded; a file event's signed for each recipient — into
// the queue of every local socket it is meant for. Control events close
// sockets instead. It never blocks.
func (h *Hub) deliver(r *hubRoom, e ports.Event) {
	var drop []*socket
	// Who a control event closes, and with what; typing skips the typist.
	var (
		closeAll            bool
		closeUser, skipUser user.ID
		closeSession        string
		closeCode           websocket.StatusCode
		closeWhy            string
	)
	var frame wire.Frame
	switch p := e.Payload.(type) {
	case ports.MemberRemoved:
		closeUser, closeCode, closeWhy = p.UserID, closeRemoved, "removed from room"
	case ports.RoomDeleted:
		closeAll, closeCode, closeWhy = true, closeRemoved, "removed from room"
	case ports.SessionEnded:
		closeUser, closeSession, closeCode, closeWhy = p.UserID, p.Session, closeTokenExpired, "session ended"
	case ports.Typing:
		skipUser = p.UserID
		frame = h.frames.Encode(e)
	default:
		frame = h.frames.Encode(e)
	}
	control := closeCode != 0
	if !control && frame.Bytes == nil && frame.For == nil {
		return
	}
	seq := e.Seq()
	r.mu.RLock()
	for _, s := range r.sockets {
		if control {
			if closeAll || s.userID == closeUser && (closeSession == "" || s.sessionID == closeSession) {
				drop = append(drop, s)
				s.close(closeCode, closeWhy)
			}
			continue
		}
		if skipUser != 0 && s.userID == skipUser {
			continue // not echoed to the typist
		}
		b := frame.Bytes
		if frame.For != nil {
			b = frame.For(s.userID)
		}
		if !s.enqueue(outFrame{b: b, seq: seq}) {
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
