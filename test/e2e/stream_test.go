package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/test/proc"
	"chat/test/services"
)

// The user stream (GET /ws): one socket for every room of its user.

func runStreamScenarios(t *testing.T, c cluster) {
	t.Run("user stream follows rooms joined after it opened", func(t *testing.T) { streamFollowsRooms(t, c) })
	t.Run("read pointers, unread counts and receipts", func(t *testing.T) { streamReads(t, c) })
	t.Run("user stream refuses what it must", func(t *testing.T) { streamRefusals(t, c) })
	t.Run("members and profiles change live", func(t *testing.T) { streamLiveChanges(t, c) })
	t.Run("invite links", func(t *testing.T) { invites(t, c) })
}

// streamLiveChanges: joins, leaves and removals reach the members' member
// lists, and a new display name reaches everyone who shares a room, with
// no reload.
func streamLiveChanges(t *testing.T, c cluster) {
	alice, bob, carol := newUser(t, c.A, "alice"), newUser(t, c.B, "bob"), newUser(t, c.B, "carol")
	r := alice.createRoom("team", true)
	sa := alice.stream("")
	sa.next("ready")
	alice.must(204, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"user_id": bob.ID}, nil)
	if e := sa.next("member_joined"); e.RoomID != r.ID || e.UserID != bob.ID || e.Username != bob.Name {
		t.Fatalf("member_joined = %+v", e)
	}
	// Adding bob again: a success the client can tell apart.
	var again struct {
		AlreadyMember bool `json:"already_member"`
	}
	alice.must(200, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"username": bob.Name}, &again)
	if !again.AlreadyMember {
		t.Fatal("re-adding a member did not say already_member")
	}

	sb := bob.stream("") // on B
	sb.next("ready")
	alice.must(200, "PATCH", "/users/me", map[string]any{"display_name": "Alice Liddell"}, nil)
	for _, s := range []*socket{sb, sa} { // bob shares the room; alice's own streams too
		if e := s.next("user_updated"); e.UserID != alice.ID || e.DisplayName != "Alice Liddell" {
			t.Fatalf("user_updated = %+v", e)
		}
	}
	// Someone who shares no room hears nothing of it.
	sc := carol.stream("")
	sc.next("ready")
	alice.must(200, "PATCH", "/users/me", map[string]any{"display_name": "Alice"}, nil)
	sb.next("user_updated")
	carol.must(204, "POST", fmt.Sprintf("/rooms/%d/join", carol.createRoom("own", false).ID), nil, nil)
	sc.none(200*time.Millisecond, "user_updated")

	// Leaving and being removed say which.
	bob.must(204, "DELETE", fmt.Sprintf("/rooms/%d/leave", r.ID), nil, nil)
	if e := sb.next("room_removed"); e.Reason != "left" || e.Deleted {
		t.Fatalf("room_removed after leaving = %+v", e)
	}
	if e := sa.next("member_left"); e.UserID != bob.ID || e.Reason != "left" {
		t.Fatalf("member_left = %+v", e)
	}
	alice.must(204, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"user_id": bob.ID}, nil)
	sb.next("room_added")
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/members/%d", r.ID, bob.ID), nil, nil)
	if e := sb.next("room_removed"); e.Reason != "removed" {
		t.Fatalf("room_removed after removal = %+v", e)
	}
	if e := sa.next("member_left"); e.UserID != bob.ID || e.Reason != "removed" {
		t.Fatalf("member_left after removal = %+v", e)
	}
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d", r.ID), nil, nil)
	if e := sa.next("room_removed"); e.Reason != "deleted" || !e.Deleted {
		t.Fatalf("room_removed after deletion = %+v", e)
	}
}

// rooms is the caller's GET /rooms, by id.
func (c *client) rooms() map[int64]listedRoom {
	c.t.Helper()
	var ls []listedRoom
	c.must(200, "GET", "/rooms", nil, &ls)
	out := make(map[int64]listedRoom, len(ls))
	for _, l := range ls {
		out[l.ID] = l
	}
	return out
}

func (c *client) post(room int64, text string) event {
	c.t.Helper()
	var m event
	c.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room), map[string]any{"content": text}, &m)
	return m
}

// untilMessage reads s until the message with content text, failing on
// any message of room skip before it.
func (s *socket) untilMessage(text string, skip int64) event {
	s.t.Helper()
	for {
		e := s.next("message")
		if e.RoomID == skip && skip != 0 {
			s.t.Fatalf("message of room %d delivered after it was lost: %+v", skip, e)
		}
		if e.Content == text {
			return e
		}
	}
}

func streamFollowsRooms(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	sb := bob.stream("") // on B, in no room yet
	ready := sb.next("ready")
	if len(ready.Rooms) != 0 {
		t.Fatalf("ready of a user in no room lists %+v", ready.Rooms)
	}

	// A new public room appears in everyone's list.
	pub := alice.createRoom("lobby", false) // on A
	if e := sb.next("room_created"); e.RoomID != pub.ID || e.Room == nil || e.Room.Name != "lobby" || e.Room.IsMember {
		t.Fatalf("room_created = %+v", e)
	}
	// Joining streams the room on the open socket, no reconnect.
	bob.on(c.A).must(204, "POST", fmt.Sprintf("/rooms/%d/join", pub.ID), nil, nil)
	if e := sb.next("room_added"); e.RoomID != pub.ID || e.Room == nil || !e.Room.IsMember {
		t.Fatalf("room_added = %+v", e)
	}
	m := alice.post(pub.ID, "welcome bob")
	if e := sb.untilMessage("welcome bob", 0); e.RoomID != pub.ID || e.Seq != m.Seq {
		t.Fatalf("message = %+v, want room %d seq %d", e, pub.ID, m.Seq)
	}

	// Being added to a private room streams it too.
	priv := alice.createRoom("secret", true)
	alice.must(204, "POST", fmt.Sprintf("/rooms/%d/members", priv.ID), map[string]any{"user_id": bob.ID}, nil)
	if e := sb.next("room_added"); e.RoomID != priv.ID || e.Room == nil || e.Room.Name != "secret" {
		t.Fatalf("room_added (private) = %+v", e)
	}
	alice.post(priv.ID, "psst")
	if e := sb.untilMessage("psst", 0); e.RoomID != priv.ID {
		t.Fatalf("private message in room %d", e.RoomID)
	}
	// Bob sends on the stream to a room he joined after it opened.
	sb.send(map[string]any{"type": "message", "room_id": priv.ID, "content": "from the stream", "client_id": "s-1"})
	if e := sb.untilMessage("from the stream", 0); e.RoomID != priv.ID || e.UserID != bob.ID {
		t.Fatalf("own message = %+v", e)
	}

	// Removal takes the room from the stream, which stays open.
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/members/%d", priv.ID, bob.ID), nil, nil)
	if e := sb.next("room_removed"); e.RoomID != priv.ID || e.Deleted {
		t.Fatalf("room_removed = %+v", e)
	}
	alice.post(priv.ID, "after bob left")
	alice.post(pub.ID, "sentinel")
	sb.untilMessage("sentinel", priv.ID)
	// And the stream no longer sends there.
	sb.send(map[string]any{"type": "message", "room_id": priv.ID, "content": "let me in"})
	if e := sb.next("error"); e.RoomID != priv.ID || e.Code != "room_not_found" {
		t.Fatalf("send to a lost private room: %+v", e)
	}

	// Leaving, and a deletion, both reach the stream.
	other := alice.createRoom("other", false)
	sb.next("room_created")
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", other.ID), nil, nil)
	sb.next("room_added")
	bob.must(204, "DELETE", fmt.Sprintf("/rooms/%d/leave", other.ID), nil, nil)
	if e := sb.next("room_removed"); e.RoomID != other.ID || e.Deleted {
		t.Fatalf("room_removed after leave = %+v", e)
	}
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d", pub.ID), nil, nil)
	if e := sb.next("room_removed"); e.RoomID != pub.ID || !e.Deleted {
		t.Fatalf("room_removed after delete = %+v", e)
	}
	// A public room deleted reaches non-members too (it leaves their list).
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d", other.ID), nil, nil)
	if e := sb.next("room_removed"); e.RoomID != other.ID || !e.Deleted {
		t.Fatalf("room_removed of a deleted public room = %+v", e)
	}
}

func streamReads(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("reads", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	sa := alice.stream("")
	sa.next("ready")
	laptop := bob.stream("")        // on B
	phone := bob.on(c.A).stream("") // on A
	laptop.next("ready")
	phone.next("ready")

	for i := range 3 {
		alice.post(r.ID, fmt.Sprintf("m%d", i))
	}
	bob.post(r.ID, "mine") // the user's own messages are never unread
	laptop.untilMessage("mine", 0)
	got := bob.rooms()[r.ID]
	if got.LastSeq != 4 || got.LastReadSeq != 0 || got.UnreadCount != 3 {
		t.Fatalf("bob's room before reading: %+v, want last_seq 4, last_read_seq 0, unread 3", got)
	}
	if a := alice.rooms()[r.ID]; a.UnreadCount != 1 {
		t.Fatalf("alice's unread = %d, want 1 (bob's message)", a.UnreadCount)
	}

	// Reading on the phone clears the laptop's badge, and alice sees it.
	phone.send(map[string]any{"type": "read", "room_id": r.ID, "seq": 2})
	if e := laptop.next("read"); e.RoomID != r.ID || e.LastReadSeq != 2 || e.UnreadCount != 1 {
		t.Fatalf("laptop's read = %+v, want last_read_seq 2, unread 1", e)
	}
	if e := sa.next("read_receipt"); e.RoomID != r.ID || e.UserID != bob.ID || e.Seq != 2 {
		t.Fatalf("alice's read_receipt = %+v", e)
	}
	if got := bob.rooms()[r.ID]; got.LastReadSeq != 2 || got.UnreadCount != 1 {
		t.Fatalf("bob's room after reading: %+v", got)
	}
	// Never backwards.
	var st listedRoom
	bob.must(200, "POST", fmt.Sprintf("/rooms/%d/read", r.ID), map[string]any{"seq": 1}, &st)
	if st.LastReadSeq != 2 || st.UnreadCount != 1 || st.LastSeq != 4 {
		t.Fatalf("read backwards answered %+v", st)
	}
	// The member list shows who read what.
	var members []struct {
		ID          int64  `json:"id"`
		Online      bool   `json:"online"`
		LastReadSeq *int64 `json:"last_read_seq"`
	}
	alice.must(200, "GET", fmt.Sprintf("/rooms/%d/members", r.ID), nil, &members)
	for _, m := range members {
		if m.ID == bob.ID && (m.LastReadSeq == nil || *m.LastReadSeq != 2 || !m.Online) {
			t.Fatalf("bob in the member list: online %v, last_read_seq %v", m.Online, m.LastReadSeq)
		}
	}

	// With receipts off, the user's own devices still follow; others not.
	bob.must(200, "PATCH", "/users/me", map[string]any{"read_receipts": false}, nil)
	var me struct {
		ReadReceipts *bool `json:"read_receipts"`
	}
	bob.must(200, "GET", "/users/me", nil, &me)
	if me.ReadReceipts == nil || *me.ReadReceipts {
		t.Fatalf("read_receipts after turning them off: %v", me.ReadReceipts)
	}
	bob.must(200, "POST", fmt.Sprintf("/rooms/%d/read", r.ID), nil, &st) // everything
	if st.LastReadSeq != 4 || st.UnreadCount != 0 {
		t.Fatalf("read all answered %+v", st)
	}
	if e := laptop.next("read"); e.LastReadSeq != 4 || e.UnreadCount != 0 {
		t.Fatalf("laptop's read = %+v", e)
	}
	alice.post(r.ID, "sentinel")
	for {
		e := sa.next("read_receipt", "message")
		if e.Type == "read_receipt" {
			t.Fatalf("receipt of a user who hides them: %+v", e)
		}
		if e.Content == "sentinel" {
			break
		}
	}
	members = nil // a field the body omits would keep its old value
	alice.must(200, "GET", fmt.Sprintf("/rooms/%d/members", r.ID), nil, &members)
	for _, m := range members {
		if m.ID == bob.ID && m.LastReadSeq != nil {
			t.Fatalf("member list shows the pointer of a user who hides it: %d", *m.LastReadSeq)
		}
	}

	// Presence per user: alice's streams closing takes her offline for bob.
	sa.conn.Close(websocket.StatusNormalClosure, "")
	for {
		e := laptop.next("presence")
		if e.UserID == alice.ID && !e.Online {
			break
		}
	}
	// An outsider moves no pointer.
	eve := newUser(t, c.B, "eve")
	if r := eve.call("POST", fmt.Sprintf("/rooms/%d/read", r.ID), map[string]any{"seq": 1}); r.Status != 403 {
		t.Fatalf("outsider's read: %d %s", r.Status, r.Body)
	}
	if r := eve.call("POST", fmt.Sprintf("/rooms/%d/read", r.ID), map[string]any{"seq": -1}); r.Status != 422 {
		t.Fatalf("negative seq: %d %s", r.Status, r.Body)
	}
}

func streamRefusals(t *testing.T, c cluster) {
	alice, eve := newUser(t, c.A, "alice"), newUser(t, c.B, "eve")
	priv := alice.createRoom("private", true)

	u, _ := url.Parse(c.A.URL)
	u.Scheme, u.Path = "ws", "/ws"
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"", http.StatusUnauthorized},
		{"token=nonsense", http.StatusUnauthorized},
		{"token=" + url.QueryEscape(alice.token) + "&resume=yes", http.StatusBadRequest},
	} {
		u.RawQuery = tc.query
		if _, resp, err := alice.dialURL(u.String()); err == nil || resp == nil || resp.StatusCode != tc.status {
			st := 0
			if resp != nil {
				st = resp.StatusCode
			}
			t.Errorf("GET /ws?%s: %v, HTTP %d; want %d", tc.query, err, st, tc.status)
		}
	}

	se := eve.stream("")
	se.next("ready")
	for _, f := range []map[string]any{
		{"type": "message", "room_id": priv.ID, "content": "hi"},
		{"type": "read", "room_id": priv.ID, "seq": 1},
	} {
		se.send(f)
		if e := se.next("error"); e.Code != "room_not_found" || e.RoomID != priv.ID {
			t.Fatalf("%v to an unknown private room: %+v", f["type"], e)
		}
	}
	se.send(map[string]any{"type": "message", "content": "where?"})
	if e := se.next("error"); e.Code != "invalid_room_id" {
		t.Fatalf("message without room_id: %+v", e)
	}
	var ms []event
	alice.must(200, "GET", fmt.Sprintf("/rooms/%d/messages", priv.ID), nil, &ms)
	if len(ms) != 0 {
		t.Fatalf("refused frames stored %d messages", len(ms))
	}

	// A malformed resume frame closes the socket with 1008.
	bad := eve.stream("resume=1")
	bad.send(map[string]any{"type": "resume", "rooms": map[string]any{"abc": 1}})
	if e := bad.next("error"); e.Code != "invalid_resume" {
		t.Fatalf("bad resume: %+v", e)
	}
	if code := bad.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Fatalf("bad resume closed with %d", code)
	}

	// Signing out closes the session's streams on every instance, also
	// those of a user in no room.
	onA := eve.on(c.A).stream("")
	onA.next("ready")
	eve.must(204, "POST", "/auth/logout", nil, nil)
	for _, s := range []*socket{se, onA} {
		if code := s.closeStatus(); code != 4401 {
			t.Fatalf("stream after logout closed with %d, want 4401", code)
		}
	}
}

// TestStreamResume kills the instance a user stream is on while messages
// keep coming in two rooms, and resumes on another instance (scale-out) or
// the restarted one (embedded): every message arrives exactly once, in
// order per room, whatever was replayed and whatever came live.
func TestStreamResume(t *testing.T) {
	t.Run("scale-out", func(t *testing.T) {
		env := map[string]string{
			"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
			"JWT_SECRET": "e2e-secret-e2e-secret-e2e-secret-0123", "DATA_DIR": t.TempDir(), "UPLOAD_PATH": t.TempDir(),
		}
		a, b := start(t, env), start(t, env)
		streamResume(t, a, b, func() *server { return a })
	})
	t.Run("embedded", func(t *testing.T) {
		env := map[string]string{"DATA_DIR": t.TempDir(), "ADDR": proc.FreeAddr(t)}
		s := start(t, env)
		streamResume(t, s, s, func() *server { return start(t, env) })
	})
}

// streamResume: alice sends through a, bob's stream is on victim, which
// is killed; after returns where bob resumes.
func streamResume(t *testing.T, a, victim *server, after func() *server) {
	alice, bob := newUser(t, a, "alice"), newUser(t, victim, "bob")
	r1, r2 := alice.createRoom("one", false), alice.createRoom("two", false)
	for _, r := range []roomJSON{r1, r2} {
		bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	}
	have := map[int64]int64{} // bob's last seq per room
	got := map[int64][]int64{}
	sb := bob.stream("")
	sb.next("ready")
	for i := range 4 {
		alice.post(r1.ID, fmt.Sprintf("one %d", i))
		alice.post(r2.ID, fmt.Sprintf("two %d", i))
	}
	for len(got[r1.ID])+len(got[r2.ID]) < 8 {
		e := sb.next("message")
		got[e.RoomID] = append(got[e.RoomID], e.Seq)
		have[e.RoomID] = e.Seq
	}

	// Kill bob's instance; alice keeps sending from a (in embedded mode
	// the server is down, so she sends once it is back).
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	victim.done <- nil
	target := after()
	sender := alice.on(target)
	if victim != a {
		for i := range 5 {
			sender.post(r1.ID, fmt.Sprintf("missed one %d", i))
		}
		sender.post(r2.ID, "missed two")
	}

	// Resume while alice goes on sending: the boundary between replay and
	// live must neither drop nor double.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			sender.post(r1.ID, fmt.Sprintf("during %d", i))
			if i%4 == 0 {
				sender.post(r2.ID, fmt.Sprintf("during two %d", i))
			}
		}
	}()
	sr := bob.on(target).stream("resume=1")
	sr.send(map[string]any{"type": "resume", "rooms": map[string]int64{
		fmt.Sprint(r1.ID): have[r1.ID], fmt.Sprint(r2.ID): have[r2.ID],
	}})
	wg.Wait()
	sender.post(r1.ID, "last one")
	sender.post(r2.ID, "last two")
	want := map[int64]int64{}
	for id, l := range sender.rooms() {
		want[id] = l.LastSeq
	}
	readyAt := -1
	n := 0
	for have[r1.ID] < want[r1.ID] || have[r2.ID] < want[r2.ID] {
		e := sr.next("message", "ready")
		n++
		if e.Type == "ready" {
			readyAt = n
			continue
		}
		if e.Seq != have[e.RoomID]+1 {
			t.Fatalf("room %d: got seq %d after %d (a gap or a repeat)", e.RoomID, e.Seq, have[e.RoomID])
		}
		have[e.RoomID] = e.Seq
	}
	if readyAt < 0 {
		sr.next("ready")
	}
	sr.none(300*time.Millisecond, "message")
}
