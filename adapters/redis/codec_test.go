package redis

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

const codecRoom = room.ID(42)

var codecTime = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

var codecEvents = []ports.Event{
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 1 << 50, RoomID: codecRoom, Seq: 1, UserID: 2,
		Username: "alice", Content: "hi \x00 \xff ✓", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC), ClientID: "c-1"}}},
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 3, RoomID: codecRoom, Seq: 4, UserID: 5, CreatedAt: time.Unix(0, 0).UTC()}}},
	{RoomID: codecRoom, Payload: ports.Typing{UserID: 1<<63 - 1, Username: "bob"}},
	{RoomID: codecRoom, Payload: ports.PresenceChanged{UserID: 7, Username: "carol", Joined: true}},
	{RoomID: codecRoom, Payload: ports.PresenceChanged{UserID: 7, Username: "carol"}},
	{RoomID: codecRoom, Payload: ports.FileShared{File: attachment.Attachment{ID: 9, RoomID: codecRoom, UserID: 2, Filename: "a.png",
		ContentType: "image/png", Size: 1 << 40, ThumbnailStatus: attachment.ThumbnailPending}}},
	{RoomID: codecRoom, Payload: ports.FileUpdated{FileID: 9, Thumbnail: attachment.ThumbnailReady}},
	{RoomID: codecRoom, Payload: ports.RoomUpdated{Room: room.Room{ID: codecRoom, Name: "general", Description: "d\n", IsPrivate: true, OwnerID: 3,
		CreatedAt: codecTime, EditWindow: 15 * time.Minute}, Actor: 2}},
	{RoomID: codecRoom, Payload: ports.RoomUpdated{Room: room.Room{ID: codecRoom, Name: "alice, bob", IsPrivate: true, OwnerID: 3,
		CreatedAt: codecTime, Kind: room.Direct}, Actor: 3}},
	{RoomID: ports.Everyone, Payload: ports.RoomCreated{Room: room.Room{ID: 7, Name: "new", OwnerID: 3, CreatedAt: codecTime, EditWindow: time.Hour}}},
	{RoomID: ports.Everyone, Payload: ports.RoomAdded{UserID: 2, Room: room.Room{ID: 8, Name: "alice, bob", IsPrivate: true, OwnerID: 3,
		CreatedAt: codecTime, Kind: room.Direct, EditWindow: 90 * time.Second}}},
	// A message with every optional part, and one with each alone.
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 10, RoomID: codecRoom, Seq: 11, UserID: 2, Username: "alice",
		Content: "@bob look", ClientID: "c-2", CreatedAt: codecTime, EditedAt: codecTime.Add(time.Minute),
		ReplyTo:   &message.Quote{ID: 3, Seq: 4, UserID: 5, Username: "bob", Content: "the parent…", Deleted: false},
		Mentions:  []user.ID{5, 1 << 40},
		Reactions: []message.Reaction{{Emoji: "👍🏽", Count: 250, UserIDs: []user.ID{5, 6}}, {Emoji: "🎉", Count: 1, UserIDs: []user.ID{2}}},
		Files: []attachment.Attachment{
			{ID: 20, RoomID: codecRoom, UserID: 2, Filename: "a.png", ContentType: "image/png", Size: 1 << 33, ThumbnailStatus: attachment.ThumbnailReady, CreatedAt: codecTime},
			{ID: 21, RoomID: codecRoom, UserID: 2, Filename: "b.txt", ContentType: "text/plain", Size: 1, ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: codecTime},
		}}}},
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 12, RoomID: codecRoom, Seq: 13, UserID: 2, CreatedAt: codecTime, Deleted: true}}},
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 12, RoomID: codecRoom, Seq: 13, UserID: 2, CreatedAt: codecTime, EditedAt: codecTime}}},
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 12, RoomID: codecRoom, Seq: 13, UserID: 2, CreatedAt: codecTime,
		ReplyTo: &message.Quote{ID: 3, Seq: 4, UserID: 5, Username: "bob", Deleted: true}}}},
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 12, RoomID: codecRoom, Seq: 13, UserID: 2, CreatedAt: codecTime, Mentions: []user.ID{9}}}},
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 12, RoomID: codecRoom, Seq: 13, UserID: 2, CreatedAt: codecTime,
		Reactions: []message.Reaction{{Emoji: "❤️", Count: 1, UserIDs: []user.ID{9}}}}}},
	{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 12, RoomID: codecRoom, Seq: 13, UserID: 2, CreatedAt: codecTime,
		Files: []attachment.Attachment{{ID: 20, RoomID: codecRoom, UserID: 2, Filename: "x", ThumbnailStatus: attachment.ThumbnailPending, CreatedAt: codecTime}}}}},
	// Every kind of change, with every field it has.
	{RoomID: codecRoom, Payload: ports.MessageChanged{Change: message.Change{Kind: message.Edited, RoomID: codecRoom, Seq: 14, MessageID: 10, UserID: 2,
		Username: "alice", At: codecTime, Content: "@bob @carol", Mentions: []user.ID{5, 6}}}},
	{RoomID: codecRoom, Payload: ports.MessageChanged{Change: message.Change{Kind: message.Edited, RoomID: codecRoom, Seq: 15, MessageID: 10, UserID: 2, At: codecTime}}},
	{RoomID: codecRoom, Payload: ports.MessageChanged{Change: message.Change{Kind: message.Deleted, RoomID: codecRoom, Seq: 16, MessageID: 10, UserID: 3,
		Username: "owner", At: codecTime}}},
	{RoomID: codecRoom, Payload: ports.MessageChanged{Change: message.Change{Kind: message.ReactionAdded, RoomID: codecRoom, Seq: 17, MessageID: 10, UserID: 5,
		Username: "bob", At: codecTime, Emoji: "👩‍👩‍👧", Count: 1 << 31}}},
	{RoomID: codecRoom, Payload: ports.MessageChanged{Change: message.Change{Kind: message.ReactionRemoved, RoomID: codecRoom, Seq: 18, MessageID: 10, UserID: 5,
		Username: "bob", At: codecTime, Emoji: "👍"}}},
	{RoomID: codecRoom, Payload: ports.MemberRemoved{UserID: 9}},
	{RoomID: codecRoom, Payload: ports.RoomDeleted{}},
	{RoomID: codecRoom, Payload: ports.SessionEnded{UserID: 9, Session: "Q2RZ4S7K5VHM3XJ6WZ0AB1CD2E"}},
	{RoomID: codecRoom, Payload: ports.SessionEnded{UserID: 9, Session: "Q2RZ4S7K5VHM3XJ6WZ0AB1CD2E", Suspended: true}},
}

func encode(t testing.TB, e ports.Event) []byte {
	t.Helper()
	b, ok := encodeEvent(e)
	if !ok {
		t.Fatalf("encodeEvent(%+v) refused", e)
	}
	return b
}

func TestEventCodecRoundTrip(t *testing.T) {
	for _, e := range codecEvents {
		got, err := decodeEvent(encode(t, e), e.RoomID)
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v", e, err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	if _, ok := encodeEvent(ports.Event{RoomID: codecRoom, Payload: ports.Resync{}}); ok {
		t.Error("a resync was encoded: it never leaves its bus")
	}
}

func TestDecodeEventRejectsGarbage(t *testing.T) {
	valid := encode(t, codecEvents[0])
	for name, b := range map[string][]byte{
		"empty":            nil,
		"one byte":         {eventV3},
		"json":             []byte(`{"type":"message"}`),
		"version 1 frame":  append([]byte{1, byte(ports.EventMessage), 2, 2}, `{"type":"message"}`...),
		"unknown version":  append([]byte{4}, valid[1:]...),
		"version 2":        append([]byte{2}, valid[1:]...),
		"kind zero":        {eventV3, 0, 2, 2},
		"unknown kind":     {eventV3, byte(ports.EventKindLast) + 1, 2, 2},
		"resync":           {eventV3, byte(ports.EventResync)},
		"no fields":        {eventV3, byte(ports.EventMessage)},
		"truncated":        valid[:len(valid)-1],
		"trailing bytes":   append(append([]byte{}, valid...), 0),
		"long string":      {eventV3, byte(ports.EventTyping), 2, 0x7f, 'a'},
		"bad bool":         {eventV3, byte(ports.EventPresence), 2, 1, 'a', 7},
		"unknown file sub": {eventV3, byte(ports.EventFile), 9, 2, 0},
		"overlong varint":  append([]byte{eventV3, byte(ports.EventMemberRemoved)}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	} {
		if e, err := decodeEvent(b, codecRoom); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, e)
		}
	}
}

// A newer instance's additions are dropped, not guessed at: a message
// part, a room kind or a change kind this codec does not know, and lists
// longer than the event.
func TestDecodeEventRejectsUnknownParts(t *testing.T) {
	edit := func(e ports.Event, f func(b []byte)) []byte {
		b := encode(t, e)
		f(b)
		return b
	}
	// plain has no optional parts: it ends with its flags; dm ends with
	// its kind and an edit window of 0.
	plain := codecEvents[1]
	dm := ports.Event{RoomID: codecRoom, Payload: ports.RoomUpdated{Room: room.Room{ID: codecRoom, Kind: room.Direct}}}
	change := ports.Event{RoomID: codecRoom, Payload: ports.MessageChanged{Change: message.Change{Kind: message.Deleted, RoomID: codecRoom, Seq: 1}}}
	mention := ports.Event{RoomID: codecRoom, Payload: ports.MessageCreated{Message: message.Message{ID: 1, RoomID: codecRoom, Seq: 1, Mentions: []user.ID{9}}}}
	for name, b := range map[string][]byte{
		"unknown message part": edit(plain, func(b []byte) { b[len(b)-1] = 0x40 }),
		"unknown room kind":    edit(dm, func(b []byte) { b[len(b)-2] = 7 }),
		"change kind zero":     edit(change, func(b []byte) { b[2] = 0 }),
		"unknown change kind":  edit(change, func(b []byte) { b[2] = byte(message.ReactionRemoved) + 1 }),
		"list past the end":    edit(mention, func(b []byte) { b[len(b)-2] = 0x7e }),
	} {
		if e, err := decodeEvent(b, codecRoom); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, e)
		}
	}
	// The edits hit what they meant to: unedited, each decodes.
	for _, e := range []ports.Event{plain, dm, change, mention} {
		if _, err := decodeEvent(encode(t, e), codecRoom); err != nil {
			t.Errorf("%+v: %v", e, err)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, e := range codecEvents {
		f.Add(encode(f, e))
	}
	f.Add([]byte{eventV3, 1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEvent(b, codecRoom)
		if err != nil {
			return
		}
		again, err := decodeEvent(encode(t, e), codecRoom)
		if err != nil {
			t.Fatalf("re-decode of %+v: %v", e, err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Errorf("re-encode changed the event (-first +second):\n%s", diff)
		}
	})
}

// BenchmarkEventCodec is the cost of one message event on the bus, both
// ways.
func BenchmarkEventCodec(b *testing.B) {
	e := codecEvents[0]
	for b.Loop() {
		msg, _ := encodeEvent(e)
		if _, err := decodeEvent(msg, codecRoom); err != nil {
			b.Fatal(err)
		}
	}
}
