package ws

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"chat/adapters/wire"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// Issue 15 on the sockets: changes of messages take seqs in the room's
// stream; a resume replays messages (in their current state) and changes
// interleaved, in seq order, each once, and the live copies of what was
// replayed are skipped like those of messages.

// seen is one frame of the stream as a test checks it.
type seen struct {
	Seq  int64
	Type string
}

// readUntil reads c's frames of room r (other frames skipped) until one
// has seq last, and returns them.
func readUntil(t *testing.T, c *websocket.Conn, r room.ID, last int64) ([]seen, map[int64]frame) {
	t.Helper()
	var got []seen
	bySeq := make(map[int64]frame)
	for len(got) == 0 || got[len(got)-1].Seq < last {
		f := readFrame(t, c)
		if f.Seq == 0 || f.RoomID != int64(r) {
			continue // typing, ready, other rooms
		}
		got = append(got, seen{f.Seq, f.Type})
		bySeq[f.Seq] = f
	}
	return got, bySeq
}

// nextSequenced reads c's next frame that has a seq (a message or a
// change), skipping the others (presence, receipts).
func nextSequenced(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	for {
		if f := readFrame(t, c); f.Seq > 0 {
			return f
		}
	}
}

// stream builds room r's stream: messages 1–4, an edit of 2, a reaction on
// 3, the deletion of 4, message 5 and a reaction on 1 (seqs 1–9). It
// returns what each seq is.
func buildStream(t *testing.T, h *harness, r room.ID) map[int64]string {
	t.Helper()
	ctx := context.Background()
	var ids []message.ID
	for i := range 4 {
		m, err := h.msgs.Send(ctx, bob, r, fmt.Sprintf("m%d", i+1), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	h.msgs.edit(r, bob, ids[1], "m2, edited")
	h.msgs.react(r, alice, ids[2], "👍")
	h.msgs.remove(r, bob, ids[3])
	if _, err := h.msgs.Send(ctx, bob, r, "m5", ""); err != nil {
		t.Fatal(err)
	}
	h.msgs.react(r, alice, ids[0], "🎉")
	return map[int64]string{1: "message", 2: "message", 3: "message", 4: "message", 5: "message_edited",
		6: "reaction_added", 7: "message_deleted", 8: "message", 9: "reaction_added"}
}

// wantSeqs is every seq from after+1 to last with its type.
func wantSeqs(types map[int64]string, after, last int64) []seen {
	var want []seen
	for s := after + 1; s <= last; s++ {
		want = append(want, seen{s, types[s]})
	}
	return want
}

func TestResumeReplaysMessagesAndChangesInOrderOnce(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	types := buildStream(t, h, publicRoom)
	firstID := message.ID(1)
	// Stored after the hub subscribed but before the page is read: in the
	// replay and live, sent once.
	h.msgs.beforeSnapshot = func(call int) {
		if call == 1 {
			types[h.msgs.react(publicRoom, bob, firstID, "👀").Seq] = "reaction_added"
			m, err := h.msgs.Send(ctx, bob, publicRoom, "during", "")
			if err != nil {
				t.Error(err)
			}
			types[m.Seq] = "message"
		}
	}
	// Stored after the last page was read: live only.
	h.msgs.afterSnapshot = func(call int, short bool) {
		if short {
			types[h.msgs.edit(publicRoom, bob, firstID, "m1, edited").Seq] = "message_edited"
		}
	}
	c := h.dial(t, publicRoom, "tok-alice", "after_seq=1")
	last := h.msgs.count(publicRoom)
	got, bySeq := readUntil(t, c, publicRoom, last)
	if d := cmp.Diff(wantSeqs(types, 1, last), got); d != "" {
		t.Errorf("frames (-want +got):\n%s", d)
	}
	// Replayed messages are in their current state.
	if f := bySeq[2]; f.Content != "m2, edited" || f.EditedAt == "" {
		t.Errorf("replayed message 2 %+v, want its edited text", f)
	}
	if f := bySeq[4]; !f.Deleted || f.Content != "" {
		t.Errorf("replayed message 4 %+v, want a tombstone", f)
	}
	if f := bySeq[5]; f.MessageID != 2 || f.Content != "m2, edited" {
		t.Errorf("replayed edit %+v", f)
	}
	if f := bySeq[6]; f.MessageID != 3 || f.Emoji != "👍" || f.Count != 1 || f.Username != username(alice) {
		t.Errorf("replayed reaction %+v", f)
	}

	// A live change after the replay arrives once, then the next message.
	live := h.msgs.react(publicRoom, alice, 2, "❤️")
	if f := readFrame(t, c); f.Type != "reaction_added" || f.Seq != live.Seq {
		t.Fatalf("after the replay: %+v, want the reaction of seq %d", f, live.Seq)
	}
	if _, err := h.msgs.Send(ctx, bob, publicRoom, "sentinel", ""); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, c); f.Content != "sentinel" {
		t.Fatalf("after the live change: %+v, want the sentinel (no repeat)", f)
	}
}

func TestStreamResumeReplaysChangesOnce(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	types := buildStream(t, h, publicRoom)
	q, err := h.msgs.Send(ctx, alice, privateRoom, "q1", "")
	if err != nil {
		t.Fatal(err)
	}
	h.msgs.edit(privateRoom, alice, q.ID, "q1, edited") // seq 2 of the private room
	// Stored once the stream carries the room, before its page is read
	// (the public room's, replayed first: ids sorted): replayed and live,
	// sent once.
	h.msgs.beforeSnapshot = func(call int) {
		if call == 1 {
			types[h.msgs.react(publicRoom, bob, 1, "👀").Seq] = "reaction_added"
		}
	}
	base := h.streamServer(t)
	c := dialStream(t, base, "tok-alice", "resume=1")
	writeJSON(t, c, fmt.Sprintf(`{"type":"resume","rooms":{"%d":3,"%d":1}}`, publicRoom, privateRoom))
	got := map[int64][]seen{}
	var last int64 // the public room's last seq, once the replay is over
	pub := func() []seen { return got[int64(publicRoom)] }
	for last == 0 || len(pub()) == 0 || pub()[len(pub())-1].Seq < last {
		f := readFrame(t, c)
		switch {
		case f.Type == "ready":
			last = h.msgs.count(publicRoom)
		case f.Seq > 0:
			got[f.RoomID] = append(got[f.RoomID], seen{f.Seq, f.Type})
		}
	}
	want := map[int64][]seen{int64(publicRoom): wantSeqs(types, 3, last), int64(privateRoom): {{2, "message_edited"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("frames per room (-want +got):\n%s", d)
	}
	live := h.msgs.remove(publicRoom, bob, 2)
	if f := nextSequenced(t, c); f.Type != "message_deleted" || f.Seq != live.Seq || f.MessageID != 2 {
		t.Fatalf("after the replay: %+v, want the live deletion of seq %d (no repeat)", f, live.Seq)
	}
	if _, _, err := h.msgs.SendOnce(ctx, alice, publicRoom, "sentinel", ""); err != nil {
		t.Fatal(err)
	}
	if f := nextSequenced(t, c); f.Content != "sentinel" {
		t.Fatalf("after the live change: %+v, want the sentinel (no repeat)", f)
	}
}

// The message frame takes reply_to and file_ids on both sockets; a
// message's files reach each recipient signed for them.
func TestMessageFrameWithReplyAndFiles(t *testing.T) {
	h := newHarness(t, nil)
	h.hub.frames = wire.NewFrames(wire.NewLinks(stubSigner{}, 0, nil)) // before any socket
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, publicRoom, "tok-bob", "")
	writeJSON(t, a, `{"type":"message","content":"look","reply_to":1,"file_ids":[5,6]}`)
	for _, tc := range []struct {
		c      *websocket.Conn
		viewer user.ID
	}{{a, alice}, {b, bob}} {
		f := readFrame(t, tc.c)
		if f.Type != "message" || len(f.Files) != 2 {
			t.Fatalf("user %d got %+v", tc.viewer, f)
		}
		if want := "/files/5?u=" + strconv.FormatInt(int64(tc.viewer), 10); f.Files[0].FileURL != want {
			t.Errorf("user %d: file_url %q, want %q", tc.viewer, f.Files[0].FileURL, want)
		}
	}
	if d := cmp.Diff(message.Draft{Content: "look", ReplyTo: 1, Files: []attachment.ID{5, 6}}, h.msgs.draft()); d != "" {
		t.Errorf("draft (-want +got):\n%s", d)
	}

	// Too many files is refused as a frame; the socket stays open.
	writeJSON(t, a, `{"type":"message","content":"x","file_ids":[1,2,3,4,5,6,7,8,9,10,11]}`)
	if f := readFrame(t, a); f.Type != "error" || f.Code != "too_many_files" {
		t.Errorf("eleven files answered %+v", f)
	}
	writeJSON(t, a, `{"type":"message","content":"x","file_ids":"5"}`)
	if f := readFrame(t, a); f.Type != "error" || f.Code != "invalid_json" {
		t.Errorf("file_ids as a string answered %+v", f)
	}
	writeJSON(t, a, `{"type":"message","content":"still open"}`)
	if f := readFrame(t, a); f.Content != "still open" {
		t.Errorf("after the refusals: %+v", f)
	}

	// The stream's message frame names its room.
	base := h.streamServer(t)
	s := dialStream(t, base, "tok-alice", "")
	next(t, s, "ready")
	writeJSON(t, s, fmt.Sprintf(`{"type":"message","room_id":%d,"content":"reply","reply_to":2,"file_ids":[7]}`, publicRoom))
	if f := next(t, s, "message"); f.Content != "reply" || len(f.Files) != 1 || f.Files[0].FileURL != "/files/7?u=1" {
		t.Errorf("stream got %+v", f)
	}
	if d := cmp.Diff(message.Draft{Content: "reply", ReplyTo: 2, Files: []attachment.ID{7}}, h.msgs.draft()); d != "" {
		t.Errorf("stream draft (-want +got):\n%s", d)
	}
	writeJSON(t, s, fmt.Sprintf(`{"type":"message","room_id":%d,"content":"x","reply_to":-1}`, publicRoom))
	if f := next(t, s, "error"); f.Code != "invalid_reply_to" || f.RoomID != int64(publicRoom) {
		t.Errorf("a negative reply_to answered %+v", f)
	}
}

// A change is an ordinary room event: encoded once, the same bytes to
// every socket, with its seq for the writer's de-duplication; a message
// with files is signed for each recipient.
func TestHubDeliversChanges(t *testing.T) {
	hub := NewHub(newMemBus(), nil, HubOptions{Frames: wire.NewFrames(wire.NewLinks(stubSigner{}, 0, nil))})
	defer hub.Close()
	a, b := newSocket("a", publicRoom, alice, 4), newSocket("b", publicRoom, bob, 4)
	for _, s := range []*socket{a, b} {
		if err := hub.Register(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		defer hub.Unregister(s)
	}
	c := message.Change{Kind: message.Edited, RoomID: publicRoom, Seq: 7, MessageID: 3, UserID: alice, Content: "new"}
	hub.deliver(a.own.room, ports.Event{RoomID: publicRoom, Payload: ports.MessageChanged{Change: c}})
	m := message.Message{ID: 4, RoomID: publicRoom, Seq: 8, UserID: alice, Username: "alice", Content: "file",
		Files: []attachment.Attachment{{ID: 5, RoomID: publicRoom, UserID: alice, ThumbnailStatus: attachment.ThumbnailNone}}}
	hub.deliver(a.own.room, ports.Event{RoomID: publicRoom, Payload: ports.MessageCreated{Message: m}})
	frames := wire.NewFrames(wire.NewLinks(stubSigner{}, 0, nil))
	var changeBytes []byte
	for _, tc := range []struct {
		s      *socket
		viewer user.ID
	}{{a, alice}, {b, bob}} {
		got := take(tc.s)
		if len(got) != 2 {
			t.Fatalf("socket %s got %d frames", tc.s.id, len(got))
		}
		if string(got[0].b) != string(wire.ChangeFrame(c)) || got[0].seq != 7 || got[0].room != publicRoom {
			t.Errorf("socket %s: change frame %s seq %d", tc.s.id, got[0].b, got[0].seq)
		}
		if changeBytes == nil {
			changeBytes = got[0].b
		} else if &changeBytes[0] != &got[0].b[0] {
			t.Error("the change was encoded per socket, not once")
		}
		if string(got[1].b) != string(frames.Message(m, tc.viewer)) || got[1].seq != 8 {
			t.Errorf("socket %s: message frame %s seq %d, want it signed for %d", tc.s.id, got[1].b, got[1].seq, tc.viewer)
		}
	}
}
