package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// session is one upgraded socket. The handler sets it up (replay,
// presence), starts the reader and the writer and returns: an idle socket
// keeps those two goroutines, not the request's as well (its stack, grown
// deep by net/http and the middleware, was the largest part of an idle
// socket). Keepalive pings and the token's expiry run on timers. The
// writer sends the close frame; the reader and the writer each call end
// when they stop, and the second tears the session down.
type session struct {
	*socket
	g       *Gateway
	conn    *websocket.Conn
	wire    *corkConn       // conn's connection: corks the writer's batches
	ctx     context.Context // the request's values; cancelled by teardown
	cancel  context.CancelFunc
	claims  user.Claims // what the socket was opened with; re-checked by Gateway.checkSessions
	expires time.Time

	ping   atomic.Pointer[time.Timer] // keepalive; re-armed by its own callback
	expiry *time.Timer                // 4401; nil when not armed

	registered bool  // handler only
	connected  bool  // handler only
	replayed   int64 // highest seq replayed; set before the writer starts

	// A user stream's: its rooms' highest replayed seqs (set before the
	// writer starts), whether the stream is open (OpenStream succeeded),
	// and what the ready frame tells.
	replayedIn map[room.ID]int64
	standings  map[room.ID]room.Standing

	fmu           sync.Mutex
	streamOpen    bool             // Rooms.OpenStream succeeded
	follows       map[room.ID]bool // the rooms the application counts as followed by this stream
	followsClosed bool             // closeStream ran

	bucket     tokenBucket // reader only
	lastTyping time.Time   // reader only
	lastPong   time.Time   // reader only (a stream's heartbeat)
	limited    int         // reader only: rate-limited frames in a row

	ends atomic.Int32 // reader and writer done
}

var (
	errMalformed   = domain.Errorf(domain.Invalid, "invalid_json", "frame must be a JSON object with a string type")
	errUnknownType = domain.Errorf(domain.Invalid, "unknown_type", "unknown frame type")
	errBinary      = domain.Errorf(domain.Invalid, "unsupported_frame", "binary frames are not supported")
	errInvalidUTF8 = domain.Errorf(domain.Invalid, "invalid_utf8", "frame must be valid UTF-8")
)

// kind is which kind of socket s is, for the observer.
func (s *session) kind() ports.SocketKind {
	if s.stream != nil {
		return ports.UserStream
	}
	return ports.RoomSocket
}

// serve sets the socket up, hands it to the reader and the writer and
// returns.
func (s *session) serve(afterSeq int64, resume bool) {
	s.run(func() error { return s.open(afterSeq, resume) })
}

// newSession is the session of sock, opened by the request ctx with
// claims; the handler sets conn and wire once upgraded.
func (g *Gateway) newSession(ctx context.Context, sock *socket, claims user.Claims) *session {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &session{
		socket:  sock,
		g:       g,
		ctx:     sctx,
		cancel:  cancel,
		claims:  claims,
		expires: claims.ExpiresAt,
		bucket:  newTokenBucket(g.cfg.MessageRate, g.cfg.MessageBurst, g.now()),
	}
}

// run sets the socket up (a failure closes it), hands it to the reader
// and the writer and returns.
func (s *session) run(setup func() error) {
	if err := setup(); err != nil {
		s.fail(err)
	}
	if !s.isClosing() {
		s.arm()
	}
	go s.readLoop()
	s.setWriter(s.writeLoop) // starts it now if frames or the close wait
}

// arm starts the keepalive ping and the expiry timer.
func (s *session) arm() {
	s.ping.Store(time.AfterFunc(s.g.cfg.PingInterval, s.keepalive))
	if !s.expires.IsZero() {
		s.expiry = time.AfterFunc(s.expires.Sub(s.g.now()), func() {
			s.close(closeTokenExpired, closeReason(closeTokenExpired))
		})
	}
}

// keepalive pings (on the timer's goroutine) and re-arms; a socket that
// does not answer within WriteTimeout is closed.
func (s *session) keepalive() {
	if s.isClosing() {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.g.cfg.WriteTimeout)
	err := s.conn.Ping(ctx)
	cancel()
	if err != nil {
		s.close(websocket.StatusGoingAway, "keepalive timeout")
		return
	}
	if t := s.ping.Load(); t != nil && !s.isClosing() {
		t.Reset(s.g.cfg.PingInterval)
	}
}

// end is called by the reader when it stops and by the writer once the
// close frame is sent; the second call tears the session down.
func (s *session) end() {
	if s.ends.Add(1) < 2 {
		return
	}
	if s.stream != nil {
		s.closeStream()
	} else {
		s.teardown()
	}
	s.cancel()
	s.g.untrack(s)
	s.g.log.DebugContext(s.ctx, "ws: socket closed", "room_id", int64(s.roomID), "user_id", int64(s.userID),
		"conn_id", s.id, "code", int(s.code))
}

// open registers with the hub first, so live events queue up while stored
// ones are replayed, then records presence and starts reader and writer.
func (s *session) open(afterSeq int64, resume bool) error {
	// ServeHTTP registered the socket with the hub before the handshake.
	if resume {
		if err := s.replay(afterSeq); err != nil {
			return err
		}
	}
	if s.isClosing() {
		return nil
	}
	if err := s.g.cfg.Rooms.Connect(s.ctx, s.userID, s.roomID, s.id); err != nil {
		return fmt.Errorf("connect socket to room %d: %w", s.roomID, err)
	}
	s.connected = true
	s.g.setLive(s, true)
	return nil
}

// replay writes the stored messages and changes after seq, page by page,
// and remembers the highest seq written so the writer skips live copies
// of them.
func (s *session) replay(after int64) error {
	var err error
	s.replayed, err = s.replayRoom(s.roomID, after)
	return err
}

// replayRoom writes room id's stream after seq — messages in their current
// state and the changes made to them, each as its live frame — page by
// page, and returns the highest seq written (after, when none).
func (s *session) replayRoom(id room.ID, after int64) (int64, error) {
	frames := s.g.cfg.Hub.frames
	for !s.isClosing() {
		page, err := s.g.cfg.Messages.Entries(s.ctx, s.userID, id, after, replayPage)
		if err != nil {
			return after, fmt.Errorf("replay room %d after seq %d: %w", id, after, err)
		}
		s.wire.cork()
		ok := true
		for _, e := range page {
			if b := frames.Entry(e, s.userID); b != nil {
				if ok = s.put(b); !ok {
					break
				}
			}
			after = max(after, e.Seq())
		}
		if !s.uncork(ok) {
			return after, nil
		}
		if len(page) < replayPage {
			return after, nil
		}
	}
	return after, nil
}

// fail closes the socket for err, logging only our own faults.
func (s *session) fail(err error) {
	k := domain.KindOf(err)
	if k == domain.Internal {
		s.g.log.ErrorContext(s.ctx, "ws: socket failed", "room_id", int64(s.roomID), "user_id", int64(s.userID),
			"conn_id", s.id, "err", err)
	}
	code := closeCode(k)
	s.close(code, closeReason(code))
}

// teardown undoes open, with fresh contexts: the request is long gone.
func (s *session) teardown() {
	if s.registered {
		s.g.cfg.Hub.Unregister(s.socket)
	}
	if s.connected {
		s.g.setLive(s, false)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), disconnectTimeout)
		defer cancel()
		if err := s.g.cfg.Rooms.Disconnect(ctx, s.userID, s.roomID, s.id); err != nil {
			s.g.log.WarnContext(ctx, "ws: disconnect", "room_id", int64(s.roomID), "user_id", int64(s.userID),
				"conn_id", s.id, "err", err)
		}
	}
}

// put writes one frame into the corked wire (it cannot block on the
// network: uncork does that, within WriteTimeout).
func (s *session) put(b []byte) bool {
	return s.conn.Write(context.Background(), websocket.MessageText, b) == nil
}

// uncork sends the batch; false (and the socket is closing) when it or a
// put before it failed.
func (s *session) uncork(ok bool) bool {
	if err := s.wire.uncork(); err != nil || !ok {
		s.close(websocket.StatusGoingAway, "write failed")
		return false
	}
	return true
}

const (
	maxBatch = 64 // frames one write of the writer carries at most
	spareCap = 8  // a taken queue up to this size is kept for reuse
)

// writeLoop is the writer: started when frames are queued (or the socket
// closes) and no writer runs, it drains the queue — the frames queued when
// it looks go out together, one write system call per batch — and stops
// when the queue is empty. Once the socket is closing it stops the
// timers, sends the close frame and ends the session's writing for good.
func (s *session) writeLoop() {
	var done []outFrame
	for {
		batch, closing := s.next(done)
		if closing {
			s.closeConn()
			s.end()
			return
		}
		if batch == nil {
			return
		}
		s.writeBatch(batch)
		done = batch
	}
}

// writeBatch writes frames in corked groups of maxBatch; a failure closes
// the socket (the writer's next turn sends the close).
func (s *session) writeBatch(batch []outFrame) {
	for len(batch) > 0 {
		n := min(len(batch), maxBatch)
		s.wire.cork()
		ok := true
		for _, f := range batch[:n] {
			if ok = s.putFrame(f); !ok {
				break
			}
		}
		if !s.uncork(ok) {
			return
		}
		clear(batch[:n]) // let the frames go
		batch = batch[n:]
	}
}

func (s *session) putFrame(f outFrame) bool {
	if f.seq != 0 {
		replayed := s.replayed
		if s.replayedIn != nil {
			replayed = s.replayedIn[f.room]
		}
		if f.seq <= replayed {
			return true
		}
	}
	return s.put(f.b)
}

// closeConn stops the timers and closes the connection with the socket's
// close code (the close handshake, bounded by the library).
func (s *session) closeConn() {
	for _, t := range []*time.Timer{s.ping.Load(), s.expiry} {
		if t != nil {
			t.Stop()
		}
	}
	_ = s.conn.Close(s.code, s.reason)
}

// readLoop reads client frames until the socket closes.
func (s *session) readLoop() {
	defer s.end()
	for {
		typ, data, err := s.conn.Read(s.ctx)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				// the library has already sent the 1009 close frame
				s.close(websocket.StatusMessageTooBig, "message too big")
			} else {
				s.close(websocket.StatusNormalClosure, "")
			}
			return
		}
		s.handle(typ, data)
		if s.isClosing() {
			return
		}
	}
}

// inbound is a client frame. RoomID and Seq are a user stream's (room
// sockets know their room); ReplyTo and FileIDs a message's, as in POST
// /rooms/{id}/messages.
type inbound struct {
	Type     string  `json:"type"`
	Content  string  `json:"content"`
	ClientID string  `json:"client_id"`
	ReplyTo  int64   `json:"reply_to"`
	FileIDs  []int64 `json:"file_ids"`
	RoomID   int64   `json:"room_id"`
	Seq      int64   `json:"seq"`
}

func (s *session) handle(typ websocket.MessageType, data []byte) {
	in, err := decode(typ, data)
	if err != nil {
		s.g.cfg.Observer.FrameReceived("invalid")
	} else {
		s.g.cfg.Observer.FrameReceived(in.Type)
	}
	if s.stream != nil {
		s.handleStream(in, err)
		return
	}
	if err == nil && in.Type == "typing" {
		s.typing() // limited on its own, silently
		return
	}
	if !s.bucket.allow(s.g.now()) {
		s.close(websocket.StatusPolicyViolation, closeReason(websocket.StatusPolicyViolation))
		return
	}
	switch {
	case err != nil:
		s.reject(err)
	case in.Type == "message":
		s.send(s.roomID, in)
	default:
		s.reject(errUnknownType)
	}
}

// send stores and publishes a message frame's message in room id.
func (s *session) send(id room.ID, in inbound) {
	d, err := wire.DraftOf(in.Content, in.ClientID, in.ReplyTo, in.FileIDs)
	if err != nil {
		s.rejectIn(id, err)
		return
	}
	start := s.g.now()
	m, created, _, err := s.g.cfg.Messages.Compose(s.ctx, s.userID, id, d)
	// Frames the client sent while the server was busy here waited in
	// the socket's buffer: they are charged as they arrived, not as a
	// burst when the reader gets to them.
	s.bucket.credit(s.g.now().Sub(start))
	if err == nil {
		s.limited = 0 // an accepted send forgives earlier refusals
	}
	switch {
	case err != nil:
		s.rejectIn(id, err)
	case !created:
		// A retried client_id: the first copy was published when it was
		// stored; answer this sender with it, as REST does.
		if !s.enqueue(outFrame{b: s.g.cfg.Hub.frames.Duplicate(m, s.userID)}) {
			s.close(websocket.StatusTryAgainLater, "slow consumer")
		}
	}
}

func decode(typ websocket.MessageType, data []byte) (inbound, error) {
	if typ != websocket.MessageText {
		return inbound{}, errBinary
	}
	if !utf8.Valid(data) { // encoding/json would store U+FFFD for each bad byte
		return inbound{}, errInvalidUTF8
	}
	var in inbound
	if err := json.Unmarshal(data, &in); err != nil {
		return inbound{}, errMalformed
	}
	return in, nil
}

// typing announces typing at most once per typingInterval; extra frames
// are dropped silently.
func (s *session) typing() { s.typingIn(s.roomID) }

// typingIn is typing in room id; a user stream's interval covers all its
// rooms (a person types in one at a time).
func (s *session) typingIn(id room.ID) {
	now := s.g.now()
	if !s.lastTyping.IsZero() && now.Sub(s.lastTyping) < typingInterval {
		return
	}
	s.lastTyping = now
	if err := s.g.cfg.Messages.Typing(s.ctx, s.userID, id); err != nil {
		s.rejectIn(id, err)
	}
}

// maxLimitedFrames is how many rate-limited frames in a row a socket may
// send: each gets an error frame with retry_after, and a client that keeps
// sending regardless is closed with 1008.
const maxLimitedFrames = 10

// reject answers a refused client frame with an error event and keeps the
// socket open, unless the actor lost access to the room (4403) or keeps
// sending after being told to wait (1008).
func (s *session) reject(err error) { s.rejectIn(0, err) }

// rejectIn is reject for a frame about room id (a user stream's: the error
// frame names the room, and a room the user may not use refuses the frame,
// not the whole stream).
func (s *session) rejectIn(id room.ID, err error) {
	switch k := domain.KindOf(err); k {
	case domain.Forbidden, domain.NotFound:
		if s.stream != nil {
			break
		}
		s.close(closeRemoved, closeReason(closeRemoved))
		return
	case domain.TooMany:
		if s.limited++; s.limited > maxLimitedFrames {
			s.close(websocket.StatusPolicyViolation, closeReason(websocket.StatusPolicyViolation))
			return
		}
	case domain.Internal:
		if s.isClosing() {
			return // the call was cut short by the close
		}
		s.g.log.ErrorContext(s.ctx, "ws: client frame failed", "room_id", int64(s.roomID), "user_id", int64(s.userID),
			"conn_id", s.id, "err", err)
	}
	if !s.enqueue(outFrame{b: wire.RoomErrorFrame(id, err)}) {
		s.close(websocket.StatusTryAgainLater, "slow consumer") // its queue is full of unread frames
	}
}

// tokenBucket is a per-socket rate limit (single goroutine, no locking).
// It charges frames by their arrival: time the server spent handling a
// frame is credited (see credit), so a server stall never turns a
// well-behaved client's frames into a burst.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// maxCredit bounds what one stall may credit: the frames a client sending
// at the full rate could have queued in this time.
const maxCredit = time.Minute

// credit gives back the tokens that frames arriving at the full rate during
// busy (time the reader spent handling a frame) would have earned; they may
// lift the bucket above its burst, since those frames are already waiting.
func (b *tokenBucket) credit(busy time.Duration) {
	if busy <= 0 {
		return
	}
	b.tokens += min(busy, maxCredit).Seconds() * b.rate
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

func (b *tokenBucket) allow(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		// Refill up to the burst; credit above it is kept, not cut.
		b.tokens = max(b.tokens, min(b.burst, b.tokens+d.Seconds()*b.rate))
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
