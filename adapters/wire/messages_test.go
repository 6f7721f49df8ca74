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
)

// wantMessagesJSON is what encoding/json writes for ms as viewer sees
// them, the way echo's c.JSON does.
func wantMessagesJSON(t testing.TB, ms []message.Message, l *Links, viewer user.ID) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(List(ms, MessageOf(l, viewer))); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var tricky = []string{
	"", "hi", `"quoted" \ back\slash`, "<script>&amp;</script>", "tab\there\nnew\rline\b\f",
	"\x00\x01\x1f\x7f", "héllo wörld ✓ 😀", "line\u2028sep\u2029para", "bad \xff\xfe utf8 \xe2\x82",
	"emoji 👩‍👩‍👧 and ZWJ", string([]byte{0xed, 0xa0, 0x80}), // a surrogate half, invalid in UTF-8
}

// ampSigner signs with a query of several parameters, so links carry the
// & that JSON escapes.
type ampSigner struct{}

func (ampSigner) Sign(path string, u user.ID, exp time.Time) string {
	return path + "?u=" + strconv.FormatInt(int64(u), 10) + "&exp=" + strconv.FormatInt(exp.Unix(), 10) + "&sig=<s>"
}

func (ampSigner) Verify(string, url.Values, time.Time) (user.ID, error) { return 0, nil }

// randomMessage is a message with every optional part present or not at
// random, its strings drawn from tricky and random bytes.
func randomMessage(r *rand.Rand, i int) message.Message {
	str := func() string { return tricky[r.IntN(len(tricky))] + randomString(r) }
	at := func() time.Time {
		return time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(time.FixedZone("x", 3600*int(r.IntN(5))))
	}
	ids := func() []user.ID {
		out := make([]user.ID, r.IntN(4))
		for i := range out {
			out[i] = user.ID(r.Int64N(1 << 40))
		}
		return out
	}
	m := message.Message{
		ID: message.ID(r.Int64()), RoomID: room.ID(r.Int64N(1000)), Seq: r.Int64(), UserID: user.ID(r.Int64N(1 << 40)),
		Username: tricky[r.IntN(len(tricky))], Content: str(), CreatedAt: at(),
	}
	if i%3 != 0 {
		m.ClientID = str()
	}
	if r.IntN(3) == 0 {
		m.EditedAt = at()
	}
	m.Deleted = r.IntN(5) == 0
	if r.IntN(3) == 0 {
		m.ReplyTo = &message.Quote{ID: message.ID(r.Int64()), Seq: r.Int64(), UserID: user.ID(r.Int64N(1 << 40)),
			Username: str(), Content: str(), Deleted: r.IntN(2) == 0}
	}
	if r.IntN(3) == 0 {
		m.Mentions = ids()
	}
	for range r.IntN(3) {
		m.Reactions = append(m.Reactions, message.Reaction{Emoji: str(), Count: r.IntN(1000), UserIDs: ids()})
	}
	statuses := []attachment.ThumbnailStatus{attachment.ThumbnailNone, attachment.ThumbnailPending, attachment.ThumbnailReady, attachment.ThumbnailFailed}
	for range r.IntN(3) {
		m.Files = append(m.Files, attachment.Attachment{ID: attachment.ID(r.Int64N(1 << 50)), RoomID: m.RoomID, UserID: m.UserID,
			Filename: str(), ContentType: str(), Size: r.Int64(), ThumbnailStatus: statuses[r.IntN(len(statuses))], CreatedAt: at(),
			BlobKey: "never on the wire"})
	}
	return m
}

func TestAppendMessagesMatchesEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links *Links
	}{
		{"unsigned", nil},
		{"signed", NewLinks(ampSigner{}, 0, func() time.Time { return time.Unix(1e9, 0) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			const viewer = user.ID(9)
			var ms []message.Message
			if got, want := appendMessages(nil, ms, tc.links, viewer), wantMessagesJSON(t, ms, tc.links, viewer); !bytes.Equal(got, want) {
				t.Fatalf("empty page: got %s, want %s", got, want)
			}
			for i := range 1000 {
				m := randomMessage(r, i)
				ms = append(ms, m)
				if got, want := appendMessages(nil, ms[len(ms)-1:], tc.links, viewer), wantMessagesJSON(t, ms[len(ms)-1:], tc.links, viewer); !bytes.Equal(got, want) {
					t.Fatalf("message %+v:\n got %s\nwant %s", m, got, want)
				}
			}
			if got, want := appendMessages(nil, ms, tc.links, viewer), wantMessagesJSON(t, ms, tc.links, viewer); !bytes.Equal(got, want) {
				t.Fatal("a page of 1000 differs from encoding/json")
			}
		})
	}
}

// A message without the new parts encodes exactly as before them.
func TestPlainMessageShapeUnchanged(t *testing.T) {
	m := message.Message{ID: 1, RoomID: 2, Seq: 3, UserID: 4, Username: "a", Content: "hi", ClientID: "c",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), Mentions: []user.ID{}, Reactions: []message.Reaction{}}
	want := `[{"id":1,"room_id":2,"seq":3,"user_id":4,"username":"a","content":"hi","created_at":"2026-01-02T03:04:05.000006Z","client_id":"c"}]`
	if got := appendMessages(nil, []message.Message{m}, nil, 1); string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// The files of a message are as GET /rooms/{id}/files lists them, signed
// for the reader; the rest of the page is the same for every reader.
func TestMessageFilesSignedForTheReader(t *testing.T) {
	links := NewLinks(stubSigner{}, 0, nil)
	m := message.Message{ID: 1, RoomID: 2, Seq: 3, UserID: 4, Username: "a", CreatedAt: time.Unix(0, 0),
		Files: []attachment.Attachment{
			{ID: 5, RoomID: 2, UserID: 4, Filename: "a.png", ContentType: "image/png", Size: 10, ThumbnailStatus: attachment.ThumbnailReady, CreatedAt: time.Unix(0, 0)},
			{ID: 6, RoomID: 2, UserID: 4, Filename: "b.txt", ContentType: "text/plain", Size: 1, ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: time.Unix(0, 0)},
		}}
	var page []map[string]any
	if err := json.Unmarshal(appendMessages(nil, []message.Message{m}, links, 9), &page); err != nil {
		t.Fatal(err)
	}
	files := page[0]["files"].([]any)
	for i, want := range []File{FileOf(links, 9)(m.Files[0]), FileOf(links, 9)(m.Files[1])} {
		b, _ := json.Marshal(want)
		var w map[string]any
		_ = json.Unmarshal(b, &w)
		if got := files[i].(map[string]any); !equalJSON(got, w) {
			t.Errorf("file %d = %v, want %v", i, got, w)
		}
	}
	if f := files[0].(map[string]any); f["file_url"] != "/files/5?u=9" || f["thumbnail_url"] != "/files/5/thumbnail?u=9" {
		t.Errorf("file 0 links %v, %v: not signed for reader 9", f["file_url"], f["thumbnail_url"])
	}
	if files[1].(map[string]any)["thumbnail_url"] != nil {
		t.Errorf("file 1 has a thumbnail_url: %v", files[1])
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func randomString(r *rand.Rand) string {
	b := make([]byte, r.IntN(40))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
	})
}

func BenchmarkHistoryPageJSON(b *testing.B) {
	ms := make([]message.Message, 50)
	for i := range ms {
		ms[i] = message.Message{ID: message.ID(1000 + i), RoomID: 7, Seq: int64(900 + i), UserID: 42, Username: "alice",
			Content: "a message of about fifty bytes, like most chat lines", ClientID: "c-123456", CreatedAt: time.Now()}
	}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			wantMessagesJSON(b, ms, nil, 1)
		}
	})
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 16<<10)
		for b.Loop() {
			buf = appendMessages(buf[:0], ms, nil, 1)
		}
	})
}
