package wire

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
)

var restTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func jsonMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

func TestRoomShapes(t *testing.T) {
	channel := room.Room{ID: 1, Name: "general", OwnerID: 2, CreatedAt: restTime, EditWindow: 90 * time.Second}
	dm := room.Room{ID: 3, Name: "alice, bob", IsPrivate: true, OwnerID: 2, CreatedAt: restTime, Kind: room.Direct}
	base := func(id float64, name string, private bool, kind string, window float64) map[string]any {
		return map[string]any{"id": id, "name": name, "description": "", "is_private": private, "owner_id": float64(2),
			"created_at": "2026-01-02T03:04:05.000000Z", "kind": kind, "edit_window": window}
	}
	listing := func(m map[string]any, member bool, last, read, unread, mentions float64) map[string]any {
		for k, v := range map[string]any{"is_member": member, "last_seq": last, "last_read_seq": read, "unread_count": unread, "mention_count": mentions} {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name string
		got  any
		want map[string]any
	}{
		{"channel", RoomOf(channel), base(1, "general", false, "room", 90)},
		{"direct", RoomOf(dm), base(3, "alice, bob", true, "dm", 0)},
		{"listing", ListingOf(room.Listing{Room: dm, IsMember: true, Standing: room.Standing{LastSeq: 9, LastReadSeq: 4, Unread: 3, Mentions: 2}}),
			listing(base(3, "alice, bob", true, "dm", 0), true, 9, 4, 3, 2)},
	} {
		if d := cmp.Diff(tc.want, jsonMap(t, tc.got)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

func TestStreamRoomFrames(t *testing.T) {
	var added map[string]any
	if err := json.Unmarshal(RoomAddedFrame(room.Room{ID: 3, Name: "x", CreatedAt: restTime, Kind: room.Direct}, room.Standing{LastSeq: 5, Mentions: 1}), &added); err != nil {
		t.Fatal(err)
	}
	r := added["room"].(map[string]any)
	if r["kind"] != "dm" || r["mention_count"] != float64(1) || r["edit_window"] != float64(0) {
		t.Errorf("room_added room %v", r)
	}
	got := string(ReadyFrame(map[room.ID]room.Standing{7: {LastSeq: 9, LastReadSeq: 2, Unread: 4, Mentions: 1}, 3: {}}))
	want := `{"type":"ready","rooms":[{"room_id":3,"last_seq":0,"last_read_seq":0,"unread_count":0,"mention_count":0},` +
		`{"room_id":7,"last_seq":9,"last_read_seq":2,"unread_count":4,"mention_count":1}]}`
	if got != want {
		t.Errorf("ready:\n got %s\nwant %s", got, want)
	}
}

func TestVersionAndScheduledShapes(t *testing.T) {
	if d := cmp.Diff(map[string]any{"content": "old", "at": "2026-01-02T03:04:05.000000Z"},
		jsonMap(t, VersionOf(message.Version{Content: "old", At: restTime}))); d != "" {
		t.Errorf("version (-want +got):\n%s", d)
	}
	s := message.Scheduled{ID: 4, RoomID: 5, UserID: 6, Content: "later", SendAt: restTime.Add(time.Hour), CreatedAt: restTime}
	want := map[string]any{"id": float64(4), "room_id": float64(5), "content": "later",
		"send_at": "2026-01-02T04:04:05.000000Z", "created_at": "2026-01-02T03:04:05.000000Z"}
	if d := cmp.Diff(want, jsonMap(t, ScheduledOf(s))); d != "" {
		t.Errorf("scheduled (-want +got):\n%s", d)
	}
	s.ReplyTo = 8
	want["reply_to"] = float64(8)
	if d := cmp.Diff(want, jsonMap(t, ScheduledOf(s))); d != "" {
		t.Errorf("scheduled reply (-want +got):\n%s", d)
	}
}

func TestDraftOf(t *testing.T) {
	ids := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i + 1)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		replyTo  int64
		files    []int64
		want     message.Draft
		wantCode string
	}{
		{name: "text only", want: message.Draft{Content: "hi", ClientID: "c"}},
		{name: "reply with files", replyTo: 7, files: []int64{3, 4},
			want: message.Draft{Content: "hi", ClientID: "c", ReplyTo: 7, Files: []attachment.ID{3, 4}}},
		{name: "ten files", files: ids(10), want: message.Draft{Content: "hi", ClientID: "c",
			Files: []attachment.ID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}},
		{name: "eleven files", files: ids(11), wantCode: "too_many_files"},
		{name: "zero file id", files: []int64{1, 0}, wantCode: "invalid_file_id"},
		{name: "negative reply", replyTo: -1, wantCode: "invalid_reply_to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DraftOf("hi", "c", tc.replyTo, tc.files)
			if tc.wantCode != "" {
				if domain.KindOf(err) != domain.Invalid || domain.CodeOf(err) != tc.wantCode {
					t.Fatalf("err = %v, want Invalid %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("draft (-want +got):\n%s", d)
			}
		})
	}
}
