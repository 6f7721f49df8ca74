package wire

import (
	"bytes"
	"encoding/json"
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
	for _, m := range []message.Message{sample, {ID: 1, RoomID: 2, Seq: 3, UserID: 4, Username: "<b>", Content: tricky[4], CreatedAt: time.Unix(0, 0)}} {
		type typed struct {
			Type string `json:"type"`
			Message
		}
		want, err := json.Marshal(typed{"message", MessageOf(m)})
		if err != nil {
			t.Fatal(err)
		}
		if got := MessageFrame(m); !bytes.Equal(got, want) {
			t.Errorf("MessageFrame:\n got %s\nwant %s", got, want)
		}
		dup := DuplicateFrame(m)
		if want := append(want[:len(want)-1:len(want)-1], `,"duplicate":true}`...); !bytes.Equal(dup, want) {
			t.Errorf("DuplicateFrame:\n got %s\nwant %s", dup, want)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(MessageFrame(sample), &got); err != nil || got["created_at"] != "2026-11-23T20:00:00.123456Z" {
		t.Errorf("frame %v (%v)", got, err)
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
		{ports.RoomUpdated{Room: room.Room{ID: r, Name: "general", Description: "d", IsPrivate: true, OwnerID: 3}, Actor: 3},
			`{"type":"room_updated","room_id":42,"name":"general","description":"d","is_private":true,"owner_id":3}`},
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
	b.ReportAllocs()
	for b.Loop() {
		_ = MessageFrame(sample)
	}
}
