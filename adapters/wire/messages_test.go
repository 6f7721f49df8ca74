package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// want is what encoding/json writes for ms, the way echo's c.JSON does.
func wantMessagesJSON(t testing.TB, ms []message.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(List(ms, MessageOf)); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var tricky = []string{
	"", "hi", `"quoted" \ back\slash`, "<script>&amp;</script>", "tab\there\nnew\rline\b\f",
	"\x00\x01\x1f\x7f", "héllo wörld ✓ 😀", "line\u2028sep\u2029para", "bad \xff\xfe utf8 \xe2\x82",
	"emoji 👩‍👩‍👧 and ZWJ", string([]byte{0xed, 0xa0, 0x80}), // a surrogate half, invalid in UTF-8
}

func TestAppendMessagesMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var ms []message.Message
	if got, want := appendMessages(nil, ms), wantMessagesJSON(t, ms); !bytes.Equal(got, want) {
		t.Fatalf("empty page: got %s, want %s", got, want)
	}
	for i := range 500 {
		m := message.Message{
			ID: message.ID(r.Int64()), RoomID: room.ID(r.Int64N(1000)), Seq: r.Int64(), UserID: user.ID(r.Int64N(1 << 40)),
			Username: tricky[r.IntN(len(tricky))], Content: tricky[r.IntN(len(tricky))] + randomString(r),
			CreatedAt: time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(time.FixedZone("x", 3600*int(r.IntN(5)))),
		}
		if i%3 != 0 {
			m.ClientID = tricky[r.IntN(len(tricky))] + randomString(r)
		}
		ms = append(ms, m)
		if got, want := appendMessages(nil, ms[len(ms)-1:]), wantMessagesJSON(t, ms[len(ms)-1:]); !bytes.Equal(got, want) {
			t.Fatalf("message %+v:\n got %s\nwant %s", m, got, want)
		}
	}
	if got, want := appendMessages(nil, ms), wantMessagesJSON(t, ms); !bytes.Equal(got, want) {
		t.Fatal("a page of 500 differs from encoding/json")
	}
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
			wantMessagesJSON(b, ms)
		}
	})
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 16<<10)
		for b.Loop() {
			buf = appendMessages(buf[:0], ms)
		}
	})
}
