package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"chat/application"
	"chat/domain"
	"chat/domain/message"
)

// session is one upgraded socket. The handler sets it up (hub
// registration, replay, presence) and returns; from then on an idle socket
// costs one goroutine, the reader. Writes (queued frames, keepalive pings,
// the close frame) happen on a short-lived writer that the socket starts
// when there is something to write and that ends when there is not. The
// Gateway's keepalive loop asks for the pings and watches token expiry.
//
// The reader and the writer that sends the close frame each call end; the
// second one tears the session down.
type session struct {
	socket
	g       *Gateway
	conn    *websocket.Conn
	ctx     context.Context // the request's values, never cancelled: the request is gone
	expires time.Time

	registered bool  // set before the reader starts
	connected  bool  // set before the reader starts
	replayed   int64 // highest seq replayed; set before the first writer starts

	// guarded by socket.mu
	nextPing time.Time
	expiry   *time.Timer // armed once the token expires within a keepalive sweep

	bucket     tokenBucket // reader only
	lastTyping time.Time   // reader only

	ends atomic.Int32 // reader and closing writer done
}

var (
	errMalformed   = domain.Errorf(domain.Invalid, "invalid_json", "frame must be a JSON object with a string type")
	errUnknownType = domain.Errorf(domain.Invalid, "unknown_type", "unknown frame type")
	errBinary      = domain.Errorf(domain.Invalid, "unsupported_frame", "binary frames are not supported")
)

// serve sets the socket up on the handler's goroutine, then hands it to
// the reader and to writers started on demand, and returns. Until it
// returns, the handler alone writes (the replay).
func (s *session) serve(afterSeq int64, resume bool) {
	if err := s.open(afterSeq, resume); err != nil {
		s.fail(err)
	}
	go s.readLoop()
	s.release()
}

// open runs once the socket is registered with the hub (ServeHTTP does it
// before the handshake), so live events queue up while stored ones are
// replayed; then it records presence.
func (s *session) open(afterSeq int64, resume bool) error {
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

// replay writes the stored messages after seq, page by page, and remembers
// the highest seq written so the writer skips live copies of them.
func (s *session) replay(after int64) error {
	defer func() { s.replayed = after }()
	for !s.isClosing() {
		page, err := s.g.cfg.Messages.History(s.ctx, s.userID, s.roomID,
			message.Page{AfterSeq: after, Forward: true, Limit: replayPage})
		if err != nil {
			return fmt.Errorf("replay room %d after seq %d: %w", s.roomID, after, err)
		}
		for _, m := range page {
			if !s.write(application.MessageFrame(m)) {
				return nil
			}
			after = max(after, m.Seq)
		}
		if len(page) < replayPage {
			return nil
		}
	}
	return nil
}

// release ends the handler's ownership of writes: a writer starts now if
// frames, a ping or the close arrived meanwhile.
func (s *session) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writing = false
	if s.closing || s.pingDue || s.queue.n > 0 {
		s.wakeLocked()
	}
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

// keepalive is the Gateway's periodic visit: it frees the slots of an
// empty queue, asks for a ping once pingEvery has passed since the last,
// and arms the expiry timer when the token expires within horizon (the
// time to the next visit).
func (s *session) keepalive(now time.Time, pingEvery, horizon time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.queue.shrink()
	s.armExpiryLocked(now, horizon)
	if now.Before(s.nextPing) {
		return
	}
	s.nextPing = now.Add(pingEvery)
	s.pingDue = true
	s.wakeLocked()
}

// armExpiryLocked starts a timer that closes the socket with 4401 when the
// token expires, once that is within horizon; callers hold s.mu.
func (s *session) armExpiryLocked(now time.Time, horizon time.Duration) {
	if s.expires.IsZero() || s.expiry != nil {
		return
	}
	if left := s.expires.Sub(now); left <= horizon {
		s.expiry = time.AfterFunc(left, func() { s.close(closeTokenExpired, closeReason(closeTokenExpired)) })
	}
}

// writeLoop is the short-lived writer: it drains the queue, then pings if
// one is due, and ends when there is nothing left; or it sends the close
// frame and ends for good (writing stays set, so no writer follows).
func (s *session) writeLoop() {
	for {
		f, act := s.next()
		switch act {
		case writeFrame:
			if f.seq == 0 || f.seq > s.replayed {
				s.write(f.b) // a failure closes the socket: the next turn sends the close
			}
		case writePing:
			s.ping()
		case writeClose:
			s.mu.Lock()
			code, reason := s.code, s.reason
			s.mu.Unlock()
			_ = s.conn.Close(code, reason)
			s.end()
			return
		default:
			return
		}
	}
}

type writeAction uint8

const (
	writeNothing writeAction = iota // the writer ends; writing is cleared
	writeFrame
	writePing
	writeClose
)

// next picks the writer's next job: the close first (a full queue must not
// delay it), then queued frames in order, then a due ping.
func (s *session) next() (outFrame, writeAction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		s.queue.clear()
		return outFrame{}, writeClose
	case s.queue.n > 0:
		f, _ := s.queue.pop()
		return f, writeFrame
	case s.pingDue:
		s.pingDue = false
		return outFrame{}, writePing
	default:
		s.writing = false
		return outFrame{}, writeNothing
	}
}

// write sends one frame within WriteTimeout; false (and the socket is
// closing) when it could not.
func (s *session) write(b []byte) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.g.cfg.WriteTimeout)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		s.close(websocket.StatusGoingAway, "write failed")
		return false
	}
	return true
}

// ping waits for the pong within WriteTimeout. Frames queued meanwhile wait
// for it: one round trip per PingInterval, on a socket that was idle.
func (s *session) ping() {
	ctx, cancel := context.WithTimeout(s.ctx, s.g.cfg.WriteTimeout)
	defer cancel()
	if err := s.conn.Ping(ctx); err != nil {
		s.close(websocket.StatusGoingAway, "keepalive timeout")
	}
}

// end is called by the reader when it stops and by the writer once the
// close frame is sent; the second call tears the session down.
func (s *session) end() {
	if s.ends.Add(1) == 2 {
		s.teardown()
	}
}

// teardown undoes open, with fresh contexts, and untracks the session.
func (s *session) teardown() {
	s.mu.Lock()
	if s.expiry != nil {
		s.expiry.Stop()
	}
	s.mu.Unlock()
	if s.registered {
		s.g.cfg.Hub.Unregister(&s.socket)
	}
	if s.connected {
		s.g.setLive(s, false)
		ctx, cancel := context.WithTimeout(s.ctx, disconnectTimeout)
		defer cancel()
		if err := s.g.cfg.Rooms.Disconnect(ctx, s.userID, s.roomID, s.id); err != nil {
			s.g.log.WarnContext(ctx, "ws: disconnect", "room_id", int64(s.roomID), "user_id", int64(s.userID),
				"conn_id", s.id, "err", err)
		}
	}
	s.g.log.DebugContext(s.ctx, "ws: socket closed", "room_id", int64(s.roomID), "user_id", int64(s.userID),
		"conn_id", s.id, "code", int(s.code))
	s.g.untrack(s)
}

// readLoop reads client frames until the socket closes, then ends. It is
// the one goroutine an idle socket keeps; what it calls may grow its stack
// for a while, and the garbage collector shrinks it back.
func (s *session) readLoop() {
	defer s.end()
	for {
		typ, data, err := s.conn.Read(s.ctx)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				// the library has already sent the 1009 close frame
				s.close(websocket.StatusMessageTooBig, "message too big")
			} else {
				s.g.log.DebugContext(s.ctx, "ws: read ended", "conn_id", s.id, "err", err)
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

// inbound is a client frame.
type inbound struct {
	Type     string `json:"type"`
	Content  string `json:"content"`
	ClientID string `json:"client_id"`
}

func (s *session) handle(typ websocket.MessageType, data []byte) {
	in, err := decode(typ, data)
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
		if _, err := s.g.cfg.Messages.Send(s.ctx, s.userID, s.roomID, in.Content, in.ClientID); err != nil {
			s.reject(err)
		}
	default:
		s.reject(errUnknownType)
	}
}

func decode(typ websocket.MessageType, data []byte) (inbound, error) {
	if typ != websocket.MessageText {
		return inbound{}, errBinary
	}
	var in inbound
	if err := json.Unmarshal(data, &in); err != nil {
		return inbound{}, errMalformed
	}
	return in, nil
}

// typing announces typing at most once per typingInterval; extra frames
// are dropped silently.
func (s *session) typing() {
	now := s.g.now()
	if !s.lastTyping.IsZero() && now.Sub(s.lastTyping) < typingInterval {
		return
	}
	s.lastTyping = now
	if err := s.g.cfg.Messages.Typing(s.ctx, s.userID, s.roomID); err != nil {
		s.reject(err)
	}
}

// reject answers a refused client frame with an error event and keeps the
// socket open, unless the actor lost access to the room (4403).
func (s *session) reject(err error) {
	switch k := domain.KindOf(err); k {
	case domain.Forbidden, domain.NotFound:
		s.close(closeRemoved, closeReason(closeRemoved))
		return
	case domain.Internal:
		if s.isClosing() {
			return // the call was cut short by the close
		}
		s.g.log.ErrorContext(s.ctx, "ws: client frame failed", "room_id", int64(s.roomID), "user_id", int64(s.userID),
			"conn_id", s.id, "err", err)
	}
	if !s.enqueue(outFrame{b: encodeError(err)}) {
		s.close(websocket.StatusTryAgainLater, "slow consumer") // its queue is full of unread frames
	}
}

// tokenBucket is a per-socket rate limit (single goroutine, no locking).
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

func (b *tokenBucket) allow(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
