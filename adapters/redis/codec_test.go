package redis

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/ports"
)

const codecRoom = room.ID(42)

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
	{RoomID: codecRoom, Payload: ports.RoomUpdated{Room: room.Room{ID: codecRoom, Name: "general", Description: "d\n", IsPrivate: true, OwnerID: 3}, Actor: 2}},
	{RoomID: codecRoom, Payload: ports.MemberRemoved{UserID: 9}},
	{RoomID: codecRoom, Payload: ports.RoomDeleted{}},
	{RoomID: codecRoom, Payload: ports.SessionEnded{UserID: 9, Session: "Q2RZ4S7K5VHM3XJ6WZ0AB1CD2E"}},
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
		got, err := decodeEvent(encode(t, e), codecRoom)
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
		"one byte":         {eventV2},
		"json":             []byte(`{"type":"message"}`),
		"version 1 frame":  append([]byte{1, byte(ports.EventMessage), 2, 2}, `{"type":"message"}`...),
		"unknown version":  append([]byte{3}, valid[1:]...),
		"kind zero":        {eventV2, 0, 2, 2},
		"unknown kind":     {eventV2, byte(ports.EventKindLast) + 1, 2, 2},
		"resync":           {eventV2, byte(ports.EventResync)},
		"no fields":        {eventV2, byte(ports.EventMessage)},
		"truncated":        valid[:len(valid)-1],
		"trailing bytes":   append(append([]byte{}, valid...), 0),
		"long string":      {eventV2, byte(ports.EventTyping), 2, 0x7f, 'a'},
		"bad bool":         {eventV2, byte(ports.EventPresence), 2, 1, 'a', 7},
		"unknown file sub": {eventV2, byte(ports.EventFile), 9, 2, 0},
		"overlong varint":  append([]byte{eventV2, byte(ports.EventMemberRemoved)}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	} {
		if e, err := decodeEvent(b, codecRoom); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, e)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, e := range codecEvents {
		f.Add(encode(f, e))
	}
	f.Add([]byte{eventV2, 1, 0x80})
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
