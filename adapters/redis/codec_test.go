package redis

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/ports"
)

func TestEventCodecRoundTrip(t *testing.T) {
	for _, e := range []ports.Event{
		{Kind: ports.EventMessage, Seq: 1, UserID: 2, Frame: []byte(`{"type":"message","content":"hi"}`)},
		{Kind: ports.EventTyping, UserID: 1<<63 - 1, Frame: []byte(`{"type":"typing"}`)},
		{Kind: ports.EventPresence, Seq: -5, UserID: -1, Frame: []byte{0, 0xff, '\n'}},
		{Kind: ports.EventMemberRemoved, UserID: 9},
		{Kind: ports.EventRoom, UserID: 4, Frame: []byte(`{"type":"room_updated"}`)},
		{Kind: ports.EventRoomDeleted},
		{Kind: ports.EventSessionEnded, UserID: 9, Session: "Q2RZ4S7K5VHM3XJ6WZ0AB1CD2E"},
	} {
		got, err := decodeEvent(encodeEvent(e))
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v", e, err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

func TestDecodeEventRejectsGarbage(t *testing.T) {
	valid := encodeEvent(ports.Event{Kind: ports.EventMessage, Seq: 300, UserID: 70000, Frame: []byte("{}")})
	for name, b := range map[string][]byte{
		"empty":           nil,
		"one byte":        {eventV1},
		"json":            []byte(`{"type":"message"}`),
		"unknown version": append([]byte{2}, valid[1:]...),
		"kind zero":       {eventV1, 0, 2, 2},
		"unknown kind":    {eventV1, byte(ports.EventKindLast) + 1, 2, 2},
		"no seq":          {eventV1, byte(ports.EventMessage)},
		"truncated seq":   {eventV1, byte(ports.EventMessage), 0x80},
		"no user":         {eventV1, byte(ports.EventMessage), 2},
		"truncated user":  {eventV1, byte(ports.EventMessage), 2, 0xff, 0xff},
		"overlong varint": append([]byte{eventV1, byte(ports.EventMessage)}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2),
	} {
		if e, err := decodeEvent(b); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, e)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add(encodeEvent(ports.Event{Kind: ports.EventFile, Seq: 7, UserID: 3, Frame: []byte(`{"type":"file_shared"}`)}))
	f.Add([]byte{eventV1, 1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEvent(b)
		if err != nil {
			return
		}
		again, err := decodeEvent(encodeEvent(e))
		if err != nil {
			t.Fatalf("re-decode of %+v: %v", e, err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Errorf("re-encode changed the event (-first +second):\n%s", diff)
		}
	})
}
