package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/room"
	"chat/ports"
)

// The user stream: GET /ws, one socket for every room of its user.
//
// Before the upgrade it joins the server-wide channel (ports.Everyone: a
// room added to the user reaches it from then on), records the stream
// (Rooms.OpenStream: presence, and the user's rooms with where the user
// stands) and attaches every room to the hub — one registration per room
// in local maps, one bus subscription per room per instance, shared with
// every other socket of the room here. With ?resume=1 the first client
// frame lists, per room, the last seq the client has; the stored messages
// and changes after each are replayed before the live ones, which the
// writer skips up to the replayed seq of their room. Then `ready`, then
// live events.
//
// A room the user joins, is added to or creates while the stream is open
// is attached when its RoomAdded event arrives, before room_added is sent;
// a room the user leaves or loses is detached by the hub when its
// MemberRemoved or RoomDeleted arrives, after room_removed is sent.

const (
	// streamQueueFactor: a stream carries every room of its user, so its
	// send queue may hold this many times a room socket's (it grows on
	// demand: an idle stream keeps no queue memory).
	streamQueueFactor = 4
	// maxResumeRooms bounds the rooms a resume frame may list.
	maxResumeRooms = 2000
	// resumeWait is how long a stream opened with ?resume=1 waits for its
	// resume frame.
	resumeWait = 10 * time.Second
	// followParallel bounds the rooms attached at once when a stream opens
	// (a room's first local socket subscribes on the bus).
	followParallel = 8
)

var errBadResume = domain.Errorf(domain.Invalid, "invalid_resume",
	`the first frame must be {"type":"resume","rooms":{"<room_id>":<seq>,…}} with at most %d rooms`, maxResumeRooms)

// ServeStream serves GET /ws: it refuses bad requests and bad tokens before
// the upgrade with a problem+json response, then runs the user stream until
// the client leaves, the server drops it, or Shutdown.
func (g *Gateway) ServeStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var resume bool
	claims, ok := g.admit(w, r, func() (err error) {
		resume, err = parseResume(r.URL.Query())
		return err
	})
	if !ok {
		return
	}
	id := fmt.Sprintf("%s-%d", g.cfg.InstanceID, g.conn.Add(1))
	sock := newSocket(id, ports.Everyone, claims.UserID, g.cfg.SendQueue*streamQueueFactor)
	sock.sessionID = claims.SessionID
	s := g.newSession(ctx, sock, claims)
	sock.stream = &stream{on: s, regs: make(map[room.ID]*reg)}
	if err := s.openStream(ctx); err != nil {
		s.closeStream()
		s.cancel()
		g.refuse(w, r, fmt.Errorf("open user stream: %w", err))
		return
	}
	ww := &wireWriter{ResponseWriter: w, timeout: g.cfg.WriteTimeout}
	conn, err := websocket.Accept(ww, r, &websocket.AcceptOptions{OriginPatterns: g.cfg.AllowedOrigins})
	if err != nil {
		s.closeStream()
		s.cancel()
		g.log.DebugContext(ctx, "ws: stream upgrade refused", "err", err)
		return
	}
	conn.SetReadLimit(g.cfg.ReadLimit)
	s.conn, s.wire = conn, ww.wire
	if !g.track(s) {
		s.closeStream()
		s.cancel()
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	g.setLive(s, true)
	s.run(func() error { return s.startStream(resume) })
}

// parseResume reads ?resume: absent, or "1".
func parseResume(q url.Values) (bool, error) {
	if !q.Has("resume") {
		return false, nil
	}
	if q.Get("resume") != "1" {
		return false, wire.Refuse(http.StatusBadRequest, "invalid_resume", `resume must be "1"`, nil)
	}
	return true, nil
}

// openStream joins the server-wide channel, records the stream and
// attaches its rooms. On error the caller runs closeStream.
func (s *session) openStream(ctx context.Context) error {
	if err := s.g.cfg.Hub.AddStream(ctx, s.socket); err != nil {
		return err
	}
	st, err := s.g.cfg.Rooms.OpenStream(ctx, s.userID, s.id)
	if err != nil {
		return err
	}
	s.fmu.Lock()
	s.streamOpen, s.standings = true, st
	s.follows = make(map[room.ID]bool, len(st))
	for id := range st {
		s.follows[id] = true // OpenStream followed them
	}
	s.fmu.Unlock()
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(followParallel)
	for id := range st {
		eg.Go(func() error {
			_, err := s.g.cfg.Hub.Follow(ectx, s.socket, id)
			return err
		})
	}
	return eg.Wait()
}

// startStream replays what the resume frame asks for (with ?resume=1) and
// sends ready; the writer has not started, so these frames go first.
func (s *session) startStream(resume bool) error {
	s.replayedIn = make(map[room.ID]int64)
	if resume {
		rooms, err := s.readResume()
		if err != nil {
			return err
		}
		// The rooms' newest seqs, read now that every room is attached:
		// a room the client is up to date with needs no replay, and what
		// is committed from now on arrives live.
		ls, err := s.g.cfg.Rooms.List(s.ctx, s.userID)
		if err != nil {
			return err
		}
		last := make(map[room.ID]int64, len(ls))
		for _, l := range ls {
			if l.IsMember {
				last[l.ID] = l.Standing.LastSeq
			}
		}
		ids := make([]room.ID, 0, len(rooms))
		for id := range rooms {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if s.isClosing() {
				return nil
			}
			if !s.stream.follows(id) {
				continue // not (or no longer) the user's: nothing to replay
			}
			after := rooms[id]
			if l, ok := last[id]; ok && after >= l {
				s.replayedIn[id] = after
				continue
			}
			hi, err := s.replayRoom(id, after)
			if domain.KindOf(err) == domain.Forbidden || domain.KindOf(err) == domain.NotFound {
				continue // left meanwhile: room_removed follows
			}
			if err != nil {
				return err
			}
			s.replayedIn[id] = hi
		}
	}
	s.wire.cork()
	s.uncork(s.put(wire.ReadyFrame(s.standings)))
	return nil
}

// readResume reads the resume frame. A missing or malformed one closes the
// socket with 1008 after an error frame.
func (s *session) readResume() (map[room.ID]int64, error) {
	ctx, cancel := context.WithTimeout(s.ctx, resumeWait)
	defer cancel()
	typ, data, err := s.conn.Read(ctx)
	if err != nil {
		s.close(websocket.StatusPolicyViolation, "no resume frame")
		return nil, nil
	}
	rooms, err := decodeResume(typ, data)
	if err != nil {
		s.g.cfg.Observer.FrameReceived("invalid")
		s.wire.cork()
		s.uncork(s.put(wire.ErrorFrame(err)))
		s.close(websocket.StatusPolicyViolation, "invalid resume frame")
		return nil, nil
	}
	s.g.cfg.Observer.FrameReceived("resume")
	return rooms, nil
}

func decodeResume(typ websocket.MessageType, data []byte) (map[room.ID]int64, error) {
	if typ != websocket.MessageText {
		return nil, errBadResume
	}
	var f struct {
		Type  string           `json:"type"`
		Rooms map[string]int64 `json:"rooms"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Type != "resume" || len(f.Rooms) > maxResumeRooms {
		return nil, errBadResume
	}
	rooms := make(map[room.ID]int64, len(f.Rooms))
	for k, seq := range f.Rooms {
		id, ok := parseDigits(k)
		if !ok || id <= 0 || seq < 0 {
			return nil, errBadResume
		}
		rooms[room.ID(id)] = seq
	}
	return rooms, nil
}

// closeStream undoes openStream, with fresh contexts: the request may be
// long gone.
func (s *session) closeStream() {
	s.g.cfg.Hub.RemoveStream(s.socket)
	s.fmu.Lock()
	open := s.streamOpen
	s.followsClosed = true
	rooms := make([]room.ID, 0, len(s.follows))
	for id := range s.follows {
		rooms = append(rooms, id)
	}
	s.follows = nil
	s.fmu.Unlock()
	if !open {
		return
	}
	s.g.setLive(s, false)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), disconnectTimeout)
	defer cancel()
	if err := s.g.cfg.Rooms.CloseStream(ctx, s.userID, s.id, rooms); err != nil {
		s.g.log.WarnContext(ctx, "ws: close stream", "user_id", int64(s.userID), "conn_id", s.id, "err", err)
	}
}

// handleStream handles a user stream's client frame: each names its room.
func (s *session) handleStream(in inbound, err error) {
	id := room.ID(in.RoomID)
	if err == nil && in.Type == "typing" {
		if id > 0 {
			s.typingIn(id) // limited on its own, silently
		}
		return
	}
	if err == nil && in.Type == "ping" {
		s.pong() // limited on its own, silently
		return
	}
	if !s.bucket.allow(s.g.now()) {
		s.close(websocket.StatusPolicyViolation, closeReason(websocket.StatusPolicyViolation))
		return
	}
	switch {
	case err != nil:
		s.reject(err)
	case in.Type != "message" && in.Type != "read":
		s.reject(errUnknownType)
	case id <= 0:
		s.reject(errRoomRequired)
	case in.Type == "message":
		s.send(id, in)
	default: // read
		if _, err := s.g.cfg.Rooms.MarkRead(s.ctx, s.userID, id, in.Seq); err != nil {
			s.rejectIn(id, err)
		}
	}
}

// pongInterval: a stream answers at most one ping per interval (a client's
// heartbeat needs one every few seconds at most).
const pongInterval = time.Second

var pongFrame = []byte(`{"type":"pong"}`)

// pong answers a client's heartbeat; extra pings are dropped silently.
func (s *session) pong() {
	now := s.g.now()
	if !s.lastPong.IsZero() && now.Sub(s.lastPong) < pongInterval {
		return
	}
	s.lastPong = now
	if !s.enqueue(outFrame{b: pongFrame}) {
		s.close(websocket.StatusTryAgainLater, "slow consumer")
	}
}

var errRoomRequired = domain.Errorf(domain.Invalid, "invalid_room_id", "room_id must be a positive integer")

// roomAdded attaches a room the user became a member of and tells the
// client, with where the user stands (read after the attach: every message
// after last_seq reaches the stream live).
func (s *session) roomAdded(r room.Room) {
	if s.isClosing() {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, disconnectTimeout)
	defer cancel()
	added, err := s.g.cfg.Hub.Follow(ctx, s.socket, r.ID)
	if err != nil {
		s.g.log.WarnContext(ctx, "ws: stream follow room", "room_id", int64(r.ID), "user_id", int64(s.userID), "err", err)
		s.close(websocket.StatusTryAgainLater, "try again later") // the client resumes and lists the room again
		return
	}
	if !added {
		return // carried already (opened with it, or a duplicate event)
	}
	st, err := s.follow(ctx, r.ID)
	if err != nil {
		s.g.cfg.Hub.Unfollow(s.socket, r.ID)
		if k := domain.KindOf(err); k != domain.NotFound && k != domain.Forbidden {
			s.close(websocket.StatusTryAgainLater, "try again later")
		}
		return // no longer a member: its removal was (or will be) handled
	}
	if !s.enqueue(outFrame{b: wire.RoomAddedFrame(r, st)}) {
		s.close(websocket.StatusTryAgainLater, "slow consumer")
	}
}

// roomLost finishes a room the hub took from the stream: the application
// forgets it, unless the user belongs to it again (a quick re-join whose
// room_added overtook the removal), in which case it is attached again.
func (s *session) roomLost(id room.ID) {
	s.g.cfg.Hub.Unfollow(s.socket, id)
	s.unfollow(id)
	if s.isClosing() {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, disconnectTimeout)
	defer cancel()
	if !s.isMember(ctx, id) {
		return // lost for good
	}
	r, err := s.g.cfg.Rooms.Get(ctx, s.userID, id)
	if err != nil {
		return
	}
	s.roomAdded(r)
}

// isMember asks the application whether the user belongs to room id now.
func (s *session) isMember(ctx context.Context, id room.ID) bool {
	return s.g.cfg.Rooms.Authorize(ctx, s.userID, id) == nil
}

// follow tells the application that the stream carries room id (its
// frames for the room then skip the membership query) and returns where
// the user stands. The rooms followed are counted, so closeStream undoes
// exactly them.
func (s *session) follow(ctx context.Context, id room.ID) (room.Standing, error) {
	st, err := s.g.cfg.Rooms.Follow(ctx, s.userID, id)
	if err != nil {
		return room.Standing{}, err
	}
	s.fmu.Lock()
	keep := !s.followsClosed && !s.follows[id]
	if keep {
		s.follows[id] = true
	}
	s.fmu.Unlock()
	if !keep {
		s.g.cfg.Rooms.Unfollow(s.userID, id) // closed meanwhile, or counted already
	}
	return st, nil
}

// unfollow undoes follow for room id, if it was followed.
func (s *session) unfollow(id room.ID) {
	s.fmu.Lock()
	had := s.follows[id]
	delete(s.follows, id)
	s.fmu.Unlock()
	if had {
		s.g.cfg.Rooms.Unfollow(s.userID, id)
	}
}

// resync re-reads the user's rooms after directory events may have been
// lost: rooms added meanwhile are attached (room_added), rooms lost are
// detached (room_removed).
func (s *session) resync() {
	if s.isClosing() {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, disconnectTimeout)
	defer cancel()
	ls, err := s.g.cfg.Rooms.List(ctx, s.userID)
	if err != nil {
		s.g.log.WarnContext(ctx, "ws: stream resync", "user_id", int64(s.userID), "err", err)
		return
	}
	member := make(map[room.ID]room.Room, len(ls))
	for _, l := range ls {
		if l.IsMember {
			member[l.ID] = l.Room
		}
	}
	st := s.stream
	st.mu.Lock()
	var gone []room.ID
	for id := range st.regs {
		if _, ok := member[id]; !ok {
			gone = append(gone, id)
		}
	}
	var added []room.Room
	for id, r := range member {
		if _, ok := st.regs[id]; !ok {
			added = append(added, r)
		}
	}
	st.mu.Unlock()
	for _, id := range gone {
		if s.g.cfg.Hub.Unfollow(s.socket, id) {
			s.unfollow(id)
			if !s.enqueue(outFrame{b: wire.RoomRemovedFrame(id, false, ports.Removed)}) {
				s.close(websocket.StatusTryAgainLater, "slow consumer")
			}
		}
	}
	for _, r := range added {
		s.roomAdded(r)
	}
}
