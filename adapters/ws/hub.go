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
	// Observer hears of each event's fan-out (metrics); nil: nobody.
	Observer ports.DeliveryObserver
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
	obs    ports.DeliveryObserver

	mu     sync.Mutex
	rooms  map[room.ID]*hubRoom
	closed bool

	// The user streams, by user, and the one subscription to
	// ports.Everyone that serves them all (made with the first stream).
	streams   map[user.ID]map[*socket]struct{}
	directory *hubRoom
}

// hubRoom is one room's subscription and local sockets.
type hubRoom struct {
	id room.ID

	ready chan struct{} // closed once Subscribe returned; then sub/err are set
	sub   ports.Subscription
	err   error
	refs  int // registered sockets, guarded by Hub.mu

	mu   sync.RWMutex
	regs []*reg // the sockets that receive events; a slice, for fan-out speed
}

// reg is one socket's registration in one room: a room socket has one (its
// own), a user stream one per room it carries. It costs the reg itself, a
// slot in the room's slice and an entry in the stream's map.
type reg struct {
	s    *socket
	room *hubRoom // set by attach
	idx  int      // position in room.regs, guarded by room.mu; -1 when out
}

// add and remove keep r.regs in O(1); callers hold r.mu.
func (r *hubRoom) add(g *reg) {
	g.idx = len(r.regs)
	r.regs = append(r.regs, g)
}

func (r *hubRoom) remove(g *reg) {
	i := g.idx
	if i < 0 || i >= len(r.regs) || r.regs[i] != g {
		return // already removed
	}
	last := len(r.regs) - 1
	r.regs[i] = r.regs[last]
	r.regs[i].idx = i
	r.regs[last] = nil
	r.regs = r.regs[:last]
	g.idx = -1
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

	own    reg     // a room socket's registration
	stream *stream // a user stream's rooms; nil for a room socket

	closeOnce sync.Once
	closing   chan struct{}
	code      websocket.StatusCode // set once, before closing is closed
	reason    string
}

// outFrame is a queued frame. seq is the seq of a message or change event
// (ports.Event.Seq: for resume de-duplication, which skips both kinds up
// to the replayed seq), else 0; room is its room (a user stream
// de-duplicates per room).
type outFrame struct {
	b    []byte
	seq  int64
	room room.ID
}

func newSocket(id string, r room.ID, u user.ID, queue int) *socket {
	s := &socket{id: id, roomID: r, userID: u, limit: queue, closing: make(chan struct{})}
	s.own = reg{s: s, idx: -1}
	return s
}

// stream is what the hub keeps of a user stream: the rooms it carries and
// the session it reports room changes to.
type stream struct {
	on streamer

	mu      sync.Mutex
	regs    map[room.ID]*reg // a nil value: being attached
	closed  bool             // RemoveStream ran: Follow attaches nothing more
	deleted map[room.ID]bool // rooms whose deletion the stream was told (it comes from the room and from Everyone)
}

// firstDeletion reports whether the deletion of room id is news to the
// stream, and remembers it.
func (st *stream) firstDeletion(id room.ID) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.deleted[id] {
		return false
	}
	if st.deleted == nil {
		st.deleted = make(map[room.ID]bool)
	}
	st.deleted[id] = true
	return true
}

// streamer is the user stream session, told of what changes its rooms.
// The hub calls each method on a goroutine of its own.
type streamer interface {
	// roomAdded: the user became a member of r.
	roomAdded(r room.Room)
	// roomLost: the hub dropped the stream's registration in room id (the
	// user left or was removed, or the room was deleted) and sent
	// room_removed.
	roomLost(id room.ID)
	// resync: directory events may have been lost (the bus reconnected).
	resync()
}

// follows reports whether the stream carries room id.
func (st *stream) follows(id room.ID) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.regs[id]
	return ok
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
	obs := opts.Observer
	if obs == nil {
		obs = ports.Unobserved{}
	}
	return &Hub{bus: bus, log: logger, opts: opts, frames: frames, obs: obs, rooms: make(map[room.ID]*hubRoom),
		streams: make(map[user.ID]map[*socket]struct{})}
}

// Register adds room socket s to its room. When s is the room's first
// local socket it subscribes to the room on the bus and returns only once
// the subscription is active, so every event published after Register
// returns reaches s. After a nil error the caller must Unregister s.
func (h *Hub) Register(ctx context.Context, s *socket) error {
	return h.attach(ctx, &s.own, s.roomID)
}

// Unregister removes s from its room and closes the room's subscription
// when s was its last local socket. It is safe after s was dropped.
func (h *Hub) Unregister(s *socket) { h.detach(&s.own) }

// attach registers g in room id, subscribing when it is the room's first
// local registration; see Register.
func (h *Hub) attach(ctx context.Context, g *reg, id room.ID) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return domain.Errorf(domain.Unavailable, "shutting_down", "the server is shutting down")
	}
	r := h.rooms[id]
	first := r == nil
	if first {
		r = &hubRoom{id: id, ready: make(chan struct{})}
		h.rooms[id] = r
	}
	r.refs++
	h.mu.Unlock()

	if first {
		h.subscribe(ctx, r, h.deliverer(r), func() {
			if h.rooms[r.id] == r { // later sockets start afresh
				delete(h.rooms, r.id)
			}
		})
	}
	if err := waitReady(ctx, r); err != nil {
		h.release(r)
		return err
	}

	r.mu.Lock()
	r.add(g)
	r.mu.Unlock()
	g.room = r
	return nil
}

// detach undoes attach; safe after g was dropped, and for a g never
// attached.
func (h *Hub) detach(g *reg) {
	r := g.room
	if r == nil {
		return
	}
	r.mu.Lock()
	r.remove(g)
	r.mu.Unlock()
	g.room = nil
	h.release(r)
}

// AddStream makes s, a user stream, hear the server-wide events
// (ports.Everyone): it subscribes to them with the first stream, and
// returns once they reach s. After a nil error the caller must
// RemoveStream s.
func (h *Hub) AddStream(ctx context.Context, s *socket) error {
	h.mu.Lock()
	set := h.streams[s.userID]
	if set == nil {
		set = make(map[*socket]struct{})
		h.streams[s.userID] = set
	}
	set[s] = struct{}{}
	d := h.directory
	first := d == nil
	if first {
		d = &hubRoom{id: ports.Everyone, ready: make(chan struct{})}
		h.directory = d
	}
	h.mu.Unlock()
	if first {
		h.subscribe(ctx, d, h.directoryEvent, func() {
			h.directory = nil // the next stream tries again
		})
	}
	if err := waitReady(ctx, d); err != nil {
		h.RemoveStream(s)
		return err
	}
	return nil
}

// subscribe makes r's bus subscription, for its first socket: it sets r's
// sub or err and then closes r.ready. On failure forget runs under h.mu, so
// the next socket subscribes afresh.
func (h *Hub) subscribe(ctx context.Context, r *hubRoom, deliver func(ports.Event), forget func()) {
	sctx, cancel := context.WithTimeout(ctx, h.opts.SubscribeTimeout)
	r.sub, r.err = h.bus.Subscribe(sctx, r.id, deliver)
	cancel()
	if r.err != nil {
		h.mu.Lock()
		forget()
		h.mu.Unlock()
	}
	close(r.ready)
}

// waitReady waits until r's subscription was made (by whichever socket came
// first) and returns its error, or ctx's.
func waitReady(ctx context.Context, r *hubRoom) error {
	select {
	case <-r.ready: // made already: ready wins over a ctx done meanwhile
		return r.err
	default:
	}
	select {
	case <-r.ready:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RemoveStream undoes AddStream and detaches every room s carries.
func (h *Hub) RemoveStream(s *socket) {
	h.mu.Lock()
	if set := h.streams[s.userID]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.streams, s.userID)
		}
	}
	h.mu.Unlock()
	st := s.stream
	st.mu.Lock()
	regs := st.regs
	st.regs = make(map[room.ID]*reg)
	st.closed = true
	st.mu.Unlock()
	for _, g := range regs {
		if g != nil {
			h.detach(g)
		}
	}
}

// Follow attaches user stream s to room id; false when it already carries
// the room (or is attaching it). After a nil error, events of the room
// published from now on reach s.
func (h *Hub) Follow(ctx context.Context, s *socket, id room.ID) (bool, error) {
	st := s.stream
	st.mu.Lock()
	if _, ok := st.regs[id]; ok || st.closed {
		st.mu.Unlock()
		return false, nil
	}
	st.regs[id] = nil // claimed: a concurrent Follow of the room returns
	st.mu.Unlock()
	g := &reg{s: s, idx: -1}
	err := h.attach(ctx, g, id)
	st.mu.Lock()
	cur, ok := st.regs[id]
	switch {
	case err != nil:
		if ok && cur == nil {
			delete(st.regs, id)
		}
	case ok && cur == nil:
		st.regs[id] = g
		g = nil
	}
	st.mu.Unlock()
	if err != nil {
		return false, err
	}
	if g != nil { // the stream was removed (or the room unfollowed) meanwhile
		h.detach(g)
		return false, nil
	}
	return true, nil
}

// Unfollow detaches user stream s from room id; false when it did not
// carry it.
func (h *Hub) Unfollow(s *socket, id room.ID) bool {
	st := s.stream
	st.mu.Lock()
	g, ok := st.regs[id]
	delete(st.regs, id)
	st.mu.Unlock()
	if g != nil {
		h.detach(g)
	}
	return ok
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
	if h.directory != nil {
		rooms[ports.Everyone] = h.directory
		h.directory = nil
	}
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
// room sockets, and take the room from user streams, instead. It never
// blocks.
func (h *Hub) deliver(r *hubRoom, e ports.Event) {
	var drop []*reg
	var lost []*socket // user streams that lose the room
	// Who a control event closes, and with what; typing skips the typist.
	var (
		closeAll            bool
		closeUser, skipUser user.ID
		closeSession        string
		closeCode           websocket.StatusCode
		closeWhy            string
	)
	var (
		frame       wire.Frame
		read        *ports.ReadMoved // streams only
		readFrames  [2][]byte        // the reader's own frame, a receipt
		streamsOnly bool
		why         ports.Removal
		left        []byte // member_left, for the other members' streams
	)
	switch p := e.Payload.(type) {
	case ports.MemberRemoved:
		closeUser, closeCode, closeWhy = p.UserID, closeRemoved, "removed from room"
		why, left = p.Reason, wire.MemberLeftFrame(r.id, p)
	case ports.MemberAdded:
		frame, streamsOnly = wire.Frame{Bytes: wire.MemberJoinedFrame(r.id, p)}, true
	case ports.RoomDeleted:
		closeAll, closeCode, closeWhy = true, closeRemoved, "removed from room"
	case ports.SessionEnded:
		closeUser, closeSession = p.UserID, p.Session
		closeCode, closeWhy = sessionEndCode(p)
	case ports.ReadMoved:
		read, streamsOnly = &p, true
	case ports.Typing:
		skipUser = p.UserID
		frame = h.frames.Encode(e)
	default:
		frame = h.frames.Encode(e)
	}
	control := closeCode != 0
	if !control && !streamsOnly && frame.Bytes == nil && frame.For == nil {
		return
	}
	if m, ok := e.Payload.(ports.MessageCreated); ok {
		h.obs.MessageLatency(time.Since(m.Message.CreatedAt))
	}
	seq := e.Seq()
	queued := 0
	r.mu.RLock()
	for _, g := range r.regs {
		s := g.s
		if control {
			if !closeAll && (s.userID != closeUser || closeSession != "" && s.sessionID != closeSession) {
				if left != nil && s.stream != nil {
					if !s.enqueue(outFrame{b: left}) {
						drop = append(drop, g)
						s.close(websocket.StatusTryAgainLater, "slow consumer")
						continue
					}
					queued++
				}
				continue
			}
			if s.stream != nil && closeSession == "" {
				// A user stream loses the room, not its connection.
				drop, lost = append(drop, g), append(lost, s)
				if closeAll && !s.stream.firstDeletion(r.id) {
					continue
				}
				if !s.enqueue(outFrame{b: wire.RoomRemovedFrame(r.id, closeAll, why)}) {
					s.close(websocket.StatusTryAgainLater, "slow consumer")
					continue
				}
				queued++
				continue
			}
			drop = append(drop, g)
			s.close(closeCode, closeWhy)
			continue
		}
		if streamsOnly && s.stream == nil {
			continue // room sockets keep the events they always had
		}
		if skipUser != 0 && s.userID == skipUser {
			continue // not echoed to the typist
		}
		var b []byte
		switch {
		case read != nil:
			b = readMovedFrame(&readFrames, r.id, read, s.userID)
			if b == nil {
				continue
			}
		case frame.For != nil:
			b = frame.For(s.userID)
		default:
			b = frame.Bytes
		}
		if !s.enqueue(outFrame{b: b, seq: seq, room: r.id}) {
			drop = append(drop, g)
			s.close(websocket.StatusTryAgainLater, "slow consumer")
			continue
		}
		queued++
	}
	r.mu.RUnlock()
	h.obs.Delivered(e.Kind(), queued)
	if len(drop) == 0 {
		return
	}
	r.mu.Lock()
	for _, g := range drop {
		r.remove(g)
	}
	r.mu.Unlock()
	for _, g := range drop {
		h.log.Info("ws hub: socket dropped", "room_id", int64(r.id), "user_id", int64(g.s.userID), "conn_id", g.s.id, "code", int(g.s.code))
	}
	for _, s := range lost {
		go s.stream.on.roomLost(r.id)
	}
}

// readMovedFrame is the frame of a read-pointer move for viewer: the reader's
// own `read`, a `read_receipt` for the others when the reader shares them,
// else nil. Each is encoded once per event (cache).
func readMovedFrame(cache *[2][]byte, id room.ID, p *ports.ReadMoved, viewer user.ID) []byte {
	i := 1
	if viewer == p.UserID {
		i = 0
	} else if !p.Receipt {
		return nil
	}
	if cache[i] == nil {
		if i == 0 {
			cache[i] = wire.ReadFrame(id, *p)
		} else {
			cache[i] = wire.ReceiptFrame(id, *p)
		}
	}
	return cache[i]
}

// directoryEvent handles an event of ports.Everyone: what user streams
// learn of rooms they do not carry, and of users. It never blocks.
func (h *Hub) directoryEvent(e ports.Event) {
	queued := 0
	h.directoryEventCounted(e, &queued)
	h.obs.Delivered(e.Kind(), queued)
}

// directoryEventCounted is directoryEvent; queued counts the frames it
// queued.
func (h *Hub) directoryEventCounted(e ports.Event, queued *int) {
	send := func(s *socket, b []byte) {
		if h.send(s, b) {
			*queued++
		}
	}
	switch p := e.Payload.(type) {
	case ports.RoomCreated:
		b := wire.RoomCreatedFrame(p.Room)
		h.eachStream(0, func(s *socket) { send(s, b) })
	case ports.RoomAdded:
		h.eachStream(p.UserID, func(s *socket) { go s.stream.on.roomAdded(p.Room) })
	case ports.RoomUpdated:
		// Its members' streams have it from the room itself.
		b := wire.RoomUpdatedFrame(p)
		h.eachStream(0, func(s *socket) {
			if !s.stream.follows(p.Room.ID) {
				send(s, b)
			}
		})
	case ports.RoomDeleted:
		b := wire.RoomRemovedFrame(p.Room, true, 0)
		h.eachStream(0, func(s *socket) {
			if s.stream.firstDeletion(p.Room) {
				send(s, b)
			}
		})
	case ports.SessionEnded:
		code, why := sessionEndCode(p)
		h.eachStream(p.UserID, func(s *socket) {
			if s.sessionID == p.Session {
				s.close(code, why)
			}
		})
	case ports.UserPresence:
		b := wire.PresenceFrame(p)
		*queued = h.toSharers(p.UserID, p.Rooms, false, func(*socket) []byte { return b })
	case ports.ProfileChanged:
		*queued = h.toSharers(p.User.ID, p.Rooms, true, func(s *socket) []byte { return h.frames.UserUpdated(p, s.userID) })
	case ports.Resync:
		h.eachStream(0, func(s *socket) { go s.stream.on.resync() })
	}
}

// toSharers sends frame(s) once to each local stream that carries one of
// rooms — u's rooms — other than u's own, and to u's own streams when
// self. It returns how many it queued the frame to.
func (h *Hub) toSharers(u user.ID, rooms []room.ID, self bool, frame func(s *socket) []byte) int {
	told := make(map[*socket]bool)
	queued := 0
	tell := func(s *socket) {
		if told[s] {
			return
		}
		told[s] = true
		if h.send(s, frame(s)) {
			queued++
		}
	}
	for _, id := range rooms {
		h.mu.Lock()
		r := h.rooms[id]
		h.mu.Unlock()
		if r == nil {
			continue
		}
		r.mu.RLock()
		for _, g := range r.regs {
			if s := g.s; s.stream != nil && s.userID != u {
				tell(s)
			}
		}
		r.mu.RUnlock()
	}
	if self {
		h.eachStream(u, tell)
	}
	return queued
}

// eachStream calls f for each local stream of user u (0: every stream).
func (h *Hub) eachStream(u user.ID, f func(s *socket)) {
	h.mu.Lock()
	var list []*socket
	if u != 0 {
		for s := range h.streams[u] {
			list = append(list, s)
		}
	} else {
		for _, set := range h.streams {
			for s := range set {
				list = append(list, s)
			}
		}
	}
	h.mu.Unlock()
	for _, s := range list {
		f(s)
	}
}

// send queues b for s, closing s when its queue is full; false then.
func (h *Hub) send(s *socket, b []byte) bool {
	if !s.enqueue(outFrame{b: b}) {
		s.close(websocket.StatusTryAgainLater, "slow consumer")
		return false
	}
	return true
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
	return len(r.regs)
}

// sessionEndCode is how the sockets of an ended session close: 4401, or
// for a suspended account the suspension's own code, which tells the
// client not to sign in again.
func sessionEndCode(p ports.SessionEnded) (websocket.StatusCode, string) {
	if p.Suspended {
		return closeSuspended, "account suspended"
	}
	return closeTokenExpired, "session ended"
}
