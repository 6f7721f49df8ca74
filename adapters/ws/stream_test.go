package ws

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The stream side of fakeRooms: what a user stream asks of the rooms, with
// the application's follow counts kept so a test can see them balance.

func (f *fakeRooms) standings(actor user.ID) map[room.ID]room.Standing {
	out := make(map[room.ID]room.Standing)
	for id, ms := range f.members {
		if ms[actor] {
			out[id] = room.Standing{}
		}
	}
	return out
}

func (f *fakeRooms) OpenStream(_ context.Context, actor user.ID, connID string) (map[room.ID]room.Standing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.standings(actor)
	for id := range st {
		f.followCount(id, actor, +1)
	}
	f.live[connID] = room.Conn{RoomID: ports.Everyone, UserID: actor, ID: connID}
	return st, nil
}

func (f *fakeRooms) followCount(id room.ID, u user.ID, d int) {
	if f.follows == nil {
		f.follows = make(map[[2]int64]int)
	}
	k := [2]int64{int64(id), int64(u)}
	f.follows[k] += d
	if f.follows[k] == 0 {
		delete(f.follows, k)
	}
}

func (f *fakeRooms) Follow(ctx context.Context, actor user.ID, id room.ID) (room.Standing, error) {
	if err := f.Authorize(ctx, actor, id); err != nil {
		return room.Standing{}, err
	}
	f.mu.Lock()
	f.followCount(id, actor, +1)
	f.mu.Unlock()
	return room.Standing{}, nil
}

func (f *fakeRooms) Unfollow(actor user.ID, id room.ID) {
	f.mu.Lock()
	f.followCount(id, actor, -1)
	f.mu.Unlock()
}

func (f *fakeRooms) CloseStream(_ context.Context, actor user.ID, connID string, rooms []room.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range rooms {
		f.followCount(id, actor, -1)
	}
	delete(f.live, connID)
	return nil
}

func (f *fakeRooms) List(_ context.Context, actor user.ID) ([]room.Listing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []room.Listing
	for id, private := range f.private {
		member := f.members[id][actor]
		if private && !member {
			continue
		}
		l := room.Listing{Room: room.Room{ID: id, IsPrivate: private}, IsMember: member}
		if f.lastSeq != nil {
			l.Standing.LastSeq = f.lastSeq(id)
		}
		out = append(out, l)
	}
	return out, nil
}

func (f *fakeRooms) Get(ctx context.Context, actor user.ID, id room.ID) (room.Room, error) {
	if err := f.Authorize(ctx, actor, id); err != nil {
		return room.Room{}, err
	}
	return room.Room{ID: id, Name: fmt.Sprintf("room %d", id)}, nil
}

func (f *fakeRooms) MarkRead(ctx context.Context, actor user.ID, id room.ID, seq int64) (room.Standing, error) {
	if err := f.Authorize(ctx, actor, id); err != nil {
		return room.Standing{}, err
	}
	st := room.Standing{LastReadSeq: seq}
	_ = f.bus.Publish(ctx, ports.Event{RoomID: id, Payload: ports.ReadMoved{UserID: actor, Seq: seq, Receipt: actor != carol}})
	return st, nil
}

// add makes u a member of r the way the application does: membership
// first, then RoomAdded on Everyone.
func (f *fakeRooms) add(r room.ID, u user.ID) {
	f.mu.Lock()
	if f.members[r] == nil {
		f.members[r] = make(map[user.ID]bool)
	}
	f.members[r][u] = true
	if _, ok := f.private[r]; !ok {
		f.private[r] = false
	}
	f.mu.Unlock()
	_ = f.bus.Publish(context.Background(), ports.Event{RoomID: ports.Everyone,
		Payload: ports.RoomAdded{UserID: u, Room: room.Room{ID: r, Name: fmt.Sprintf("room %d", r)}}})
}

func (f *fakeRooms) followsOf(u user.ID) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, c := range f.follows {
		if user.ID(k[1]) == u {
			n += c
		}
	}
	return n
}

// streamServer serves the harness's gateway's user stream.
func (h *harness) streamServer(t testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(h.gw.ServeStream))
	t.Cleanup(srv.Close)
	return "ws" + srv.URL[len("http"):]
}

func dialStream(t testing.TB, base, token, query string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := base + "/ws?token=" + token
	if query != "" {
		u += "&" + query
	}
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// next reads frames until one of type typ.
func next(t testing.TB, c *websocket.Conn, typ string) frame {
	t.Helper()
	for {
		if f := readFrame(t, c); f.Type == typ {
			return f
		}
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// One bus subscription per room per instance, whatever number of streams
// and room sockets carry it, plus one for Everyone; a stream's rooms are
// registrations in local maps.
func TestStreamSharesSubscriptions(t *testing.T) {
	h := newHarness(t, nil)
	const rooms = 50
	for i := range rooms {
		id := room.ID(1000 + i)
		h.rooms.private[id] = false
		h.rooms.members[id] = map[user.ID]bool{alice: true, bob: true}
	}
	base := h.streamServer(t)
	sa := dialStream(t, base, "tok-alice", "")
	next(t, sa, "ready")
	sb := dialStream(t, base, "tok-bob", "")
	next(t, sb, "ready")
	h.dial(t, publicRoom, "tok-bob", "") // a room socket shares the room's subscription

	// alice and bob: the 50 rooms and the public room; alice: the private one.
	if got, want := h.bus.subscribed.Load(), int64(rooms+2+1); got != want {
		t.Fatalf("subscriptions = %d, want %d (one per room, one for Everyone)", got, want)
	}
	if n := h.hub.localSockets(1000); n != 2 {
		t.Fatalf("registrations in a shared room = %d, want 2", n)
	}
	// Messages of any of the rooms reach both streams once.
	if _, _, err := h.msgs.SendOnce(context.Background(), alice, 1042, "hi", ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*websocket.Conn{sa, sb} {
		if f := next(t, c, "message"); f.RoomID != 1042 || f.Content != "hi" {
			t.Fatalf("message = %+v", f)
		}
	}
	_ = sa.Close(websocket.StatusNormalClosure, "")
	_ = sb.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "streams to close", func() bool { return h.rooms.followsOf(alice) == 0 && h.rooms.followsOf(bob) == 0 })
	waitFor(t, "subscriptions of rooms without sockets to close", func() bool { return h.bus.active.Load() == 2 }) // public room, Everyone
}

func TestStreamFollowsAddedRoomAndDropsLostOne(t *testing.T) {
	h := newHarness(t, nil)
	base := h.streamServer(t)
	sc := dialStream(t, base, "tok-carol", "")
	if f := next(t, sc, "ready"); f.Type != "ready" {
		t.Fatal(f)
	}
	const added room.ID = 77
	h.rooms.add(added, carol)
	if f := next(t, sc, "room_added"); f.RoomID != int64(added) {
		t.Fatalf("room_added = %+v", f)
	}
	if _, _, err := h.msgs.SendOnce(context.Background(), carol, added, "first", ""); err != nil {
		t.Fatal(err)
	}
	if f := next(t, sc, "message"); f.RoomID != int64(added) || f.Content != "first" {
		t.Fatalf("message = %+v", f)
	}
	// A duplicate RoomAdded (a bus that repeats) attaches nothing twice.
	h.rooms.add(added, carol)
	if n := h.hub.localSockets(added); n != 1 {
		t.Fatalf("registrations after a repeated room_added = %d", n)
	}

	// Removal: room_removed, the stream stays, the room's events stop.
	h.rooms.remove(added, carol)
	if f := next(t, sc, "room_removed"); f.RoomID != int64(added) {
		t.Fatalf("room_removed = %+v", f)
	}
	waitFor(t, "the lost room to be unfollowed", func() bool { return h.rooms.followsOf(carol) == 0 && h.hub.localSockets(added) == 0 })
	_ = h.bus.Publish(context.Background(), ports.Event{RoomID: added, Payload: ports.Typing{UserID: alice, Username: "user1"}})
	// A frame for the lost room is refused without closing the stream.
	writeJSON(t, sc, fmt.Sprintf(`{"type":"message","room_id":%d,"content":"still here?"}`, added))
	if f := next(t, sc, "error"); f.Code != "not_a_member" || f.RoomID != int64(added) {
		t.Fatalf("error = %+v", f)
	}
	if h.msgs.count(added) != 1 {
		t.Fatalf("a refused frame was stored")
	}
}

func TestStreamReadEvents(t *testing.T) {
	h := newHarness(t, nil)
	base := h.streamServer(t)
	laptop := dialStream(t, base, "tok-alice", "")
	next(t, laptop, "ready")
	phone := dialStream(t, base, "tok-alice", "")
	next(t, phone, "ready")
	sb := dialStream(t, base, "tok-bob", "")
	next(t, sb, "ready")
	roomSocket := h.dial(t, publicRoom, "tok-bob", "")

	writeJSON(t, phone, fmt.Sprintf(`{"type":"read","room_id":%d,"seq":5}`, publicRoom))
	if f := next(t, laptop, "read"); f.RoomID != int64(publicRoom) {
		t.Fatalf("read = %+v", f)
	}
	if f := next(t, sb, "read_receipt"); f.UserID != int64(alice) || f.Seq != 5 {
		t.Fatalf("read_receipt = %+v", f)
	}
	// Room sockets keep the events they always had: the next frame the
	// room socket sees is the message, not the receipt.
	if _, _, err := h.msgs.SendOnce(context.Background(), alice, publicRoom, "after", ""); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, roomSocket); f.Type != "message" {
		t.Fatalf("room socket got %+v before the message", f)
	}
}

func TestStreamResumeReplaysEachRoomOnce(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	for i := range 5 {
		if _, _, err := h.msgs.SendOnce(ctx, alice, publicRoom, fmt.Sprintf("p%d", i), ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.msgs.SendOnce(ctx, alice, privateRoom, fmt.Sprintf("q%d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	// A message published while the replay runs must come once.
	h.msgs.afterSnapshot = func(call int, short bool) {
		if call == 1 {
			if _, _, err := h.msgs.SendOnce(ctx, bob, publicRoom, "during", ""); err != nil {
				t.Error(err)
			}
		}
	}
	base := h.streamServer(t)
	c := dialStream(t, base, "tok-alice", "resume=1")
	writeJSON(t, c, fmt.Sprintf(`{"type":"resume","rooms":{"%d":2,"%d":4,"999":1}}`, publicRoom, privateRoom))
	seen := map[int64][]int64{}
	ready := false
	for len(seen[int64(publicRoom)]) < 4 || len(seen[int64(privateRoom)]) < 1 || !ready {
		switch f := readFrame(t, c); f.Type {
		case "message":
			seen[f.RoomID] = append(seen[f.RoomID], f.Seq)
		case "ready":
			ready = true
		}
	}
	want := map[int64][]int64{int64(publicRoom): {3, 4, 5, 6}, int64(privateRoom): {5}}
	for id, seqs := range want {
		if fmt.Sprint(seen[id]) != fmt.Sprint(seqs) {
			t.Errorf("room %d: seqs %v, want %v", id, seen[id], seqs)
		}
	}
	// Nothing more (no repeat of "during").
	if _, _, err := h.msgs.SendOnce(ctx, alice, publicRoom, "sentinel", ""); err != nil {
		t.Fatal(err)
	}
	if f := next(t, c, "message"); f.Content != "sentinel" {
		t.Fatalf("after the replay: %+v", f)
	}
}

func TestStreamRefusesBadResume(t *testing.T) {
	h := newHarness(t, nil)
	base := h.streamServer(t)
	for _, bad := range []string{
		`{"type":"message"}`,
		`{"type":"resume","rooms":{"-1":3}}`,
		`{"type":"resume","rooms":{"10":-3}}`,
		`not json`,
	} {
		c := dialStream(t, base, "tok-alice", "resume=1")
		writeJSON(t, c, bad)
		if f := readFrame(t, c); f.Type != "error" || f.Code != "invalid_resume" {
			t.Fatalf("%s: %+v", bad, f)
		}
		expectClose(t, c, websocket.StatusPolicyViolation)
	}
	waitFor(t, "refused streams to be forgotten", func() bool { return h.rooms.followsOf(alice) == 0 })
}

// A stream answers a heartbeat ping with pong, at most one a second,
// without charging the frame rate.
func TestStreamPingPong(t *testing.T) {
	h := newHarness(t, func(c *GatewayConfig) { c.MessageRate, c.MessageBurst = 1, 1 })
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	h.gw.now = func() time.Time { return now }
	c := dialStream(t, h.streamServer(t), "tok-alice", "")
	next(t, c, "ready")
	for range 5 {
		writeJSON(t, c, `{"type":"ping"}`)
	}
	if f := next(t, c, "pong"); f.Type != "pong" {
		t.Fatal(f)
	}
	// The other four were dropped; the frame rate is untouched: one
	// message (burst 1) still goes through.
	writeJSON(t, c, fmt.Sprintf(`{"type":"message","room_id":%d,"content":"after pings"}`, publicRoom))
	if f := readFrame(t, c); f.Type != "message" || f.Content != "after pings" {
		t.Fatalf("after the pings: %+v", f)
	}
}

// After the bus reconnects (Resync on Everyone), a stream re-reads its
// rooms: one added and one lost while directory events could not arrive
// are attached (room_added) and detached (room_removed).
func TestStreamResyncReadsRoomsAgain(t *testing.T) {
	h := newHarness(t, nil)
	c := dialStream(t, h.streamServer(t), "tok-carol", "")
	next(t, c, "ready")
	const gained room.ID = 88
	h.rooms.mu.Lock()
	h.rooms.private[gained] = false
	h.rooms.members[gained] = map[user.ID]bool{carol: true} // no RoomAdded: it was lost
	h.rooms.mu.Unlock()
	h.hub.directoryEvent(ports.Event{RoomID: ports.Everyone, Payload: ports.Resync{}})
	if f := next(t, c, "room_added"); f.RoomID != int64(gained) {
		t.Fatalf("room_added = %+v", f)
	}
	waitFor(t, "the gained room to stream", func() bool { return h.hub.localSockets(gained) == 1 })

	h.rooms.mu.Lock()
	delete(h.rooms.members[gained], carol) // and its MemberRemoved was lost too
	h.rooms.mu.Unlock()
	h.hub.directoryEvent(ports.Event{RoomID: ports.Everyone, Payload: ports.Resync{}})
	if f := next(t, c, "room_removed"); f.RoomID != int64(gained) {
		t.Fatalf("room_removed = %+v", f)
	}
	waitFor(t, "the lost room to be detached", func() bool { return h.hub.localSockets(gained) == 0 && h.rooms.followsOf(carol) == 0 })
}
