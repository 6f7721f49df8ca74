package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strconv"
	"testing"
	"time"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var sample = message.Message{
	ID: 123456, RoomID: 42, Seq: 9876, UserID: 7, Username: "alice",
	Content:   "hello, this is a typical chat message of about sixty bytes",
	ClientID:  "550e8400-e29b-41d4-a716-446655440000",
	CreatedAt: time.Date(2026, 11, 23, 20, 0, 0, 123456000, time.UTC),
}

// The socket's message frame is the REST message with its type first,
// byte for byte what encoding/json writes: one shape, one time format.
func TestMessageFrameIsTheRESTShape(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	links := NewLinks(ampSigner{}, 0, nil)
	frames := NewFrames(links)
	ms := []message.Message{sample, {ID: 1, RoomID: 2, Seq: 3, UserID: 4, Username: "<b>", Content: tricky[4], CreatedAt: time.Unix(0, 0)}}
	for i := range 200 {
		ms = append(ms, randomMessage(r, i))
	}
	for _, m := range ms {
		type typed struct {
			Type string `json:"type"`
			Message
		}
		want, err := json.Marshal(typed{"message", MessageOf(links, 9)(m)})
		if err != nil {
			t.Fatal(err)
		}
		if got := frames.Message(m, 9); !bytes.Equal(got, want) {
			t.Errorf("Message:\n got %s\nwant %s", got, want)
		}
		dup := frames.Duplicate(m, 9)
		if want := append(want[:len(want)-1:len(want)-1], `,"duplicate":true}`...); !bytes.Equal(dup, want) {
			t.Errorf("Duplicate:\n got %s\nwant %s", dup, want)
		}
		if got := frames.Entry(message.Entry{Message: &m}, 9); !bytes.Equal(got, frames.Message(m, 9)) {
			t.Errorf("Entry of a message:\n got %s\nwant its message frame", got)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(frames.Message(sample, 0), &got); err != nil || got["created_at"] != "2026-11-23T20:00:00.123456Z" {
		t.Errorf("frame %v (%v)", got, err)
	}
}

// A message event is encoded once for everyone unless it has files, whose
// links are signed per recipient; its live frame is its replayed frame.
func TestMessageEventFrames(t *testing.T) {
	frames := NewFrames(NewLinks(stubSigner{}, 0, nil))
	plain := frames.Encode(ports.Event{RoomID: sample.RoomID, Payload: ports.MessageCreated{Message: sample}})
	if plain.For != nil || !bytes.Equal(plain.Bytes, frames.Message(sample, 0)) {
		t.Errorf("plain message: %+v, want its bytes once", plain)
	}
	withFile := sample
	withFile.Files = []attachment.Attachment{{ID: 5, RoomID: 42, UserID: 7, Filename: "a.txt", ContentType: "text/plain", Size: 1, ThumbnailStatus: attachment.ThumbnailNone}}
	f := frames.Encode(ports.Event{RoomID: sample.RoomID, Payload: ports.MessageCreated{Message: withFile}})
	if f.For == nil || f.Bytes != nil {
		t.Fatalf("message with files: %+v, want a frame per recipient", f)
	}
	for _, viewer := range []user.ID{7, 9} {
		got := f.For(viewer)
		if !bytes.Equal(got, frames.Message(withFile, viewer)) {
			t.Errorf("viewer %d: %s", viewer, got)
		}
		if want := `"file_url":"/files/5?u=` + strconv.FormatInt(int64(viewer), 10) + `"`; !bytes.Contains(got, []byte(want)) {
			t.Errorf("viewer %d: %s lacks %s", viewer, got, want)
		}
	}
}

// The frames of a message's changes, live and replayed alike.
func TestChangeFrames(t *testing.T) {
	frames := NewFrames(nil)
	at := time.Date(2026, 11, 23, 20, 0, 0, 123456000, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		c    message.Change
		want string
	}{
		{message.Change{Kind: message.Edited, RoomID: 42, Seq: 9, MessageID: 5, UserID: 7, Username: "alice", At: at, Content: "new <text>", Mentions: []user.ID{2, 3}},
			`{"type":"message_edited","room_id":42,"seq":9,"message_id":5,"user_id":7,"content":"new \u003ctext\u003e","mentions":[2,3],"edited_at":"2026-11-23T19:00:00.123456Z"}`},
		{message.Change{Kind: message.Edited, RoomID: 42, Seq: 9, MessageID: 5, UserID: 7, At: at},
			`{"type":"message_edited","room_id":42,"seq":9,"message_id":5,"user_id":7,"content":"","mentions":[],"edited_at":"2026-11-23T19:00:00.123456Z"}`},
		{message.Change{Kind: message.Deleted, RoomID: 42, Seq: 10, MessageID: 5, UserID: 3, Username: "owner", At: at},
			`{"type":"message_deleted","room_id":42,"seq":10,"message_id":5,"user_id":3,"deleted_at":"2026-11-23T19:00:00.123456Z"}`},
		{message.Change{Kind: message.ReactionAdded, RoomID: 42, Seq: 11, MessageID: 5, UserID: 2, Username: "bob", At: at, Emoji: "👍🏽", Count: 3},
			`{"type":"reaction_added","room_id":42,"seq":11,"message_id":5,"user_id":2,"username":"bob","emoji":"👍🏽","count":3}`},
		{message.Change{Kind: message.ReactionRemoved, RoomID: 42, Seq: 12, MessageID: 5, UserID: 2, Username: "bob", At: at, Emoji: "👍🏽"},
			`{"type":"reaction_removed","room_id":42,"seq":12,"message_id":5,"user_id":2,"username":"bob","emoji":"👍🏽","count":0}`},
	} {
		f := frames.Encode(ports.Event{RoomID: tc.c.RoomID, Payload: ports.MessageChanged{Change: tc.c}})
		if f.For != nil || string(f.Bytes) != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.c.Kind, f.Bytes, tc.want)
		}
		c := tc.c
		if got := frames.Entry(message.Entry{Change: &c}, 9); string(got) != tc.want {
			t.Errorf("replayed %v:\n got %s\nwant %s", tc.c.Kind, got, tc.want)
		}
	}
	if f := frames.Encode(ports.Event{RoomID: 42, Payload: ports.MessageChanged{Change: message.Change{Kind: 99}}}); f.Bytes != nil || f.For != nil {
		t.Errorf("unknown change kind encoded: %s", f.Bytes)
	}
}

// stubSigner signs a path with the viewer's id only.
type stubSigner struct{}

func (stubSigner) Sign(path string, u user.ID, _ time.Time) string {
	return path + "?u=" + strconv.FormatInt(int64(u), 10)
}

func (stubSigner) Verify(string, url.Values, time.Time) (user.ID, error) { return 0, nil }

func TestEventFrames(t *testing.T) {
	frames := NewFrames(NewLinks(stubSigner{}, 0, nil))
	const r = room.ID(42)
	for _, tc := range []struct {
		payload ports.Payload
		want    string // for viewer 9 when the frame is per recipient
	}{
		{ports.Typing{UserID: 7, Username: "alice"}, `{"type":"typing","room_id":42,"user_id":7,"username":"alice"}`},
		{ports.PresenceChanged{UserID: 7, Username: "alice", Joined: true}, `{"type":"user_joined","room_id":42,"user_id":7,"username":"alice"}`},
		{ports.PresenceChanged{UserID: 7, Username: "alice"}, `{"type":"user_left","room_id":42,"user_id":7,"username":"alice"}`},
		{ports.RoomUpdated{Room: room.Room{ID: r, Name: "general", Description: "d", IsPrivate: true, OwnerID: 3, EditWindow: 15 * time.Minute}, Actor: 3},
			`{"type":"room_updated","room_id":42,"name":"general","description":"d","is_private":true,"owner_id":3,"kind":"room","edit_window":900}`},
		{ports.RoomUpdated{Room: room.Room{ID: r, Name: "alice, bob", IsPrivate: true, OwnerID: 3, Kind: room.Direct}, Actor: 3},
			`{"type":"room_updated","room_id":42,"name":"alice, bob","description":"","is_private":true,"owner_id":3,"kind":"dm","edit_window":0}`},
		{ports.FileShared{File: attachment.Attachment{ID: 5, RoomID: r, UserID: 7, Filename: "a.png", ContentType: "image/png", Size: 10, ThumbnailStatus: attachment.ThumbnailReady}},
			`{"type":"file_shared","room_id":42,"user_id":7,"file_id":5,"file_url":"/files/5?u=9","filename":"a.png","content_type":"image/png","size":10,"thumbnail_url":"/files/5/thumbnail?u=9","thumbnail_status":"ready"}`},
		{ports.FileShared{File: attachment.Attachment{ID: 5, RoomID: r, UserID: 7, Filename: "a.txt", ContentType: "text/plain", Size: 1, ThumbnailStatus: attachment.ThumbnailNone}},
			`{"type":"file_shared","room_id":42,"user_id":7,"file_id":5,"file_url":"/files/5?u=9","filename":"a.txt","content_type":"text/plain","size":1,"thumbnail_status":"none"}`},
		{ports.FileUpdated{FileID: 5, Thumbnail: attachment.ThumbnailReady}, `{"type":"file_updated","room_id":42,"file_id":5,"thumbnail_url":"/files/5/thumbnail?u=9","thumbnail_status":"ready"}`},
		{ports.FileUpdated{FileID: 5, Thumbnail: attachment.ThumbnailFailed}, `{"type":"file_updated","room_id":42,"file_id":5,"thumbnail_status":"failed"}`},
		{ports.MemberRemoved{UserID: 7}, ""},
		{ports.RoomDeleted{}, ""},
		{ports.SessionEnded{UserID: 7, Session: "s"}, ""},
	} {
		f := frames.Encode(ports.Event{RoomID: r, Payload: tc.payload})
		got := f.Bytes
		if f.For != nil {
			got = f.For(9)
		}
		if string(got) != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.payload, got, tc.want)
		}
	}
}

// BenchmarkMessageFrame measures encoding one message event: done once
// per message on each instance, whatever the number of recipients.
func BenchmarkMessageFrame(b *testing.B) {
	frames := NewFrames(nil)
	b.ReportAllocs()
	for b.Loop() {
		_ = frames.Message(sample, 0)
	}
}
