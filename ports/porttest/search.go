package porttest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/domain/message"
	"chat/domain/room"
	"chat/ports"
)

// The contract of ports.SearchStore: one fixed multilingual corpus and
// what each query must find in it, the same on every store; the index
// following edits and deletions; cursors and snippets.

// SearchSet is the stores of one database with its search port.
type SearchSet struct {
	StoreSet
	Search ports.SearchStore
}

// Search runs the contract of ports.SearchStore. open must return stores
// over a fresh, empty database for each call.
func Search(t *testing.T, open func(t *testing.T) SearchSet) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s SearchSet)
	}{
		{"Corpus", testSearchCorpus},
		{"FollowsEditsAndDeletes", testSearchFollowsChanges},
		{"PagesNewestFirst", testSearchPages},
		{"Snippets", testSearchSnippets},
		{"OnlyTheRoomsGiven", testSearchRooms},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// searchCorpus is the fixed corpus: English, Russian, Chinese, Japanese,
// identifiers, emoji, and texts built to catch LIKE wildcards that were
// not escaped. Its keys name the messages in the expectations.
var searchCorpus = []struct{ key, text string }{
	{"ru-plural", "Новые сообщения пришли утром"},
	{"ru-singular", "Я отправил одно сообщение вчера"},
	{"ru-caps", "ПРИВЕТ всем, кто на связи"},
	{"en-running", "Running the integration tests now"},
	{"en-run", "We run nightly builds"},
	{"id-kubectl", "try kubectl-apply before the rollout"},
	{"en-redeployed", "the service was redeployed at noon"},
	{"id-config", "deploy_config.yaml updated by CI"},
	{"ja-tokyo", "明日は東京の会議です"},
	{"zh-beijing", "我们明天在北京开会"},
	{"ja-busho", "新しい部署に配属されました"},
	{"emoji-party", "release done 🎉"},
	{"en-release", "the release is almost done"},
	{"en-go", "let's go now"},
	{"en-good", "good morning everyone"},
	{"pct", "progress 100% done"},
	{"thousand", "1000 users online"},
	{"mixed", "Deploy 完了: сервер обновлён ✅"},
}

// searchExpect is what each query finds in the corpus, by key, newest
// (last appended) first.
var searchExpect = []struct {
	q    string
	want []string
}{
	{"сообщение", []string{"ru-singular", "ru-plural"}},
	{"сообщения", []string{"ru-singular", "ru-plural"}},
	{"привет", []string{"ru-caps"}},
	{"сервер", []string{"mixed"}},
	{"run", []string{"en-run", "en-running"}},
	{"running", []string{"en-run", "en-running"}},
	{"tests", []string{"en-running"}},
	{"kubectl", []string{"id-kubectl"}},
	{"kubectl-apply", []string{"id-kubectl"}},
	{"apply", []string{"id-kubectl"}},
	{"deploy", []string{"mixed", "id-config", "en-redeployed"}},
	{"config.yaml", []string{"id-config"}},
	{"ci", []string{"id-config"}},
	{"東京", []string{"ja-tokyo"}},
	{"会議", []string{"ja-tokyo"}},
	{"東", []string{"ja-tokyo"}},
	{"京", []string{"zh-beijing", "ja-tokyo"}},
	{"北京", []string{"zh-beijing"}},
	{"开会", []string{"zh-beijing"}},
	{"明天", []string{"zh-beijing"}},
	{"部署", []string{"ja-busho"}},
	{"完了", []string{"mixed"}},
	{"大阪", nil},
	{"🎉", []string{"emoji-party"}},
	{"✅", []string{"mixed"}},
	{`"release done"`, []string{"emoji-party"}},
	{"release done", []string{"en-release", "emoji-party"}},
	{`"done release"`, nil},
	{"go", []string{"en-go"}},
	{"GOOD", []string{"en-good"}},
	{"100%", []string{"pct"}},
	{"g_od", nil},
	{"%", nil},
	{"deploy сервер", []string{"mixed"}},
	{"nothing-like-this", nil},
}

func loadSearchCorpus(t *testing.T, s SearchSet) (room.Room, map[string]message.Message, map[message.ID]string) {
	t.Helper()
	alice := mustUser(t, s.StoreSet, "alice")
	r := mustRoom(t, s.StoreSet, alice.ID, "corpus", false)
	byKey := map[string]message.Message{}
	keyOf := map[message.ID]string{}
	for _, c := range searchCorpus {
		m := mustAppend(t, s.StoreSet, newMessage(t, r.ID, alice, c.text, ""))
		byKey[c.key], keyOf[m.ID] = m, c.key
	}
	return r, byKey, keyOf
}

func mustSearch(t *testing.T, s SearchSet, rooms []room.ID, text string, before message.ID, limit int) []message.Hit {
	t.Helper()
	q, err := message.NewSearchQuery(text, 0, before, limit)
	if err != nil {
		t.Fatalf("NewSearchQuery(%q): %v", text, err)
	}
	hits, err := s.Search.Search(ctxOf(t), rooms, q)
	if err != nil {
		t.Fatalf("Search(%q): %v", text, err)
	}
	return hits
}

func hitKeys(hits []message.Hit, keyOf map[message.ID]string) []string {
	var out []string
	for _, h := range hits {
		k, ok := keyOf[h.Message.ID]
		if !ok {
			k = fmt.Sprintf("message %d", h.Message.ID)
		}
		out = append(out, k)
	}
	return out
}

func testSearchCorpus(t *testing.T, s SearchSet) {
	r, byKey, keyOf := loadSearchCorpus(t, s)
	for _, tc := range searchExpect {
		hits := mustSearch(t, s, []room.ID{r.ID}, tc.q, 0, message.SearchPageMax)
		if diff := cmp.Diff(tc.want, hitKeys(hits, keyOf)); diff != "" {
			t.Errorf("search %q (-want +got):\n%s", tc.q, diff)
		}
		for _, h := range hits {
			m := byKey[keyOf[h.Message.ID]]
			got := h.Message
			if got.RoomID != r.ID || got.Seq != m.Seq || got.UserID != m.UserID || got.Username != m.Username ||
				got.Content != m.Content || !got.CreatedAt.Equal(m.CreatedAt) || got.Deleted {
				t.Errorf("search %q: hit %+v, want the message as stored %+v", tc.q, got, m)
			}
		}
	}
}

func testSearchFollowsChanges(t *testing.T, s SearchSet) {
	r, byKey, keyOf := loadSearchCorpus(t, s)
	alice, err := s.Users.ByID(ctxOf(t), byKey["en-go"].UserID)
	if err != nil {
		t.Fatal(err)
	}
	rooms := []room.ID{r.ID}

	// An edit: found by its new text only, with EditedAt.
	edited := mustAppend(t, s.StoreSet, newMessage(t, r.ID, alice, "old wording banana", ""))
	keyOf[edited.ID] = "edited"
	mustEdit(t, s.StoreSet, edited, alice, "new wording cherry", nil, at(1))
	if got := hitKeys(mustSearch(t, s, rooms, "banana", 0, 10), keyOf); len(got) != 0 {
		t.Errorf("the replaced text is still found: %v", got)
	}
	hits := mustSearch(t, s, rooms, "cherry", 0, 10)
	if diff := cmp.Diff([]string{"edited"}, hitKeys(hits, keyOf)); diff != "" {
		t.Fatalf("search the edited text (-want +got):\n%s", diff)
	}
	if h := hits[0].Message; h.Content != "new wording cherry" || !h.EditedAt.Equal(at(1)) {
		t.Errorf("edited hit = %q edited %v, want the current text edited %v", h.Content, h.EditedAt, at(1))
	}
	if got := hitKeys(mustSearch(t, s, rooms, "wording", 0, 10), keyOf); !slices.Equal(got, []string{"edited"}) {
		t.Errorf("search a word the edit kept = %v", got)
	}

	// A deletion: never found again, by any of its words.
	mustDelete(t, s.StoreSet, byKey["id-kubectl"], alice, at(2))
	mustDelete(t, s.StoreSet, edited, alice, at(3))
	for _, q := range []string{"kubectl", "rollout", "cherry", "wording"} {
		if got := hitKeys(mustSearch(t, s, rooms, q, 0, 10), keyOf); len(got) != 0 {
			t.Errorf("search %q finds deleted messages: %v", q, got)
		}
	}
	// The rest of the corpus is untouched.
	if got := hitKeys(mustSearch(t, s, rooms, "deploy", 0, 10), keyOf); !slices.Equal(got, []string{"mixed", "id-config", "en-redeployed"}) {
		t.Errorf("search deploy after the deletions = %v", got)
	}

	// A deleted room's messages are gone with it.
	if _, err := s.Rooms.Delete(ctxOf(t), r.ID); err != nil {
		t.Fatal(err)
	}
	if got := hitKeys(mustSearch(t, s, rooms, "deploy", 0, 10), keyOf); len(got) != 0 {
		t.Errorf("search a deleted room = %v", got)
	}
}

func testSearchPages(t *testing.T, s SearchSet) {
	alice := mustUser(t, s.StoreSet, "alice")
	r := mustRoom(t, s.StoreSet, alice.ID, "pages", false)
	var want []message.ID
	for i := range 7 {
		m := mustAppend(t, s.StoreSet, newMessage(t, r.ID, alice, fmt.Sprintf("needle number %d", i), ""))
		mustAppend(t, s.StoreSet, newMessage(t, r.ID, alice, fmt.Sprintf("hay number %d", i), ""))
		want = append([]message.ID{m.ID}, want...)
	}
	var got []message.ID
	var before message.ID
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatalf("cursor does not advance: %v", got)
		}
		hits := mustSearch(t, s, []room.ID{r.ID}, "needle", before, 3)
		if len(hits) > 3 {
			t.Fatalf("a page of limit 3 has %d hits", len(hits))
		}
		for _, h := range hits {
			got = append(got, h.Message.ID)
		}
		if len(hits) < 3 {
			break
		}
		before = hits[len(hits)-1].Message.ID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged hits (-want +got):\n%s", diff)
	}
}

func testSearchSnippets(t *testing.T, s SearchSet) {
	alice := mustUser(t, s.StoreSet, "alice")
	r := mustRoom(t, s.StoreSet, alice.ID, "snippets", false)
	mustAppend(t, s.StoreSet, newMessage(t, r.ID, alice, "We Redeployed it, then deploy again", ""))
	long := strings.Repeat("filler ", 200) + "the needle is here " + strings.Repeat("tail ", 200)
	mustAppend(t, s.StoreSet, newMessage(t, r.ID, alice, long, ""))

	hits := mustSearch(t, s, []room.ID{r.ID}, "deploy", 0, 10)
	if len(hits) != 1 {
		t.Fatalf("search deploy: %d hits, want 1", len(hits))
	}
	if got, want := marked(hits[0].Snippet), "We Re[deploy]ed it, then [deploy] again"; got != want {
		t.Errorf("snippet %q, want %q", got, want)
	}
	hits = mustSearch(t, s, []room.ID{r.ID}, "needle", 0, 10)
	if len(hits) != 1 {
		t.Fatalf("search needle: %d hits, want 1", len(hits))
	}
	sn := marked(hits[0].Snippet)
	if !strings.Contains(sn, "[needle]") || !strings.HasPrefix(sn, "…") || !strings.HasSuffix(sn, "…") || len([]rune(sn)) > 200 {
		t.Errorf("snippet of a long text = %q, want the part around [needle], cut at both ends", sn)
	}
}

// marked writes a snippet with its matches in brackets.
func marked(fs []message.Fragment) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Match {
			b.WriteString("[" + f.Text + "]")
		} else {
			b.WriteString(f.Text)
		}
	}
	return b.String()
}

func testSearchRooms(t *testing.T, s SearchSet) {
	alice := mustUser(t, s.StoreSet, "alice")
	bob := mustUser(t, s.StoreSet, "bob")
	a := mustRoom(t, s.StoreSet, alice.ID, "a", false)
	b := mustRoom(t, s.StoreSet, bob.ID, "b", true)
	c := mustRoom(t, s.StoreSet, bob.ID, "c", false)
	ma := mustAppend(t, s.StoreSet, newMessage(t, a.ID, alice, "сообщение в комнате A", ""))
	mb := mustAppend(t, s.StoreSet, newMessage(t, b.ID, bob, "сообщение в комнате B", ""))
	mc := mustAppend(t, s.StoreSet, newMessage(t, c.ID, bob, "сообщения в комнате C", ""))
	ids := func(hits []message.Hit) []message.ID {
		var out []message.ID
		for _, h := range hits {
			out = append(out, h.Message.ID)
		}
		return out
	}
	for _, tc := range []struct {
		rooms []room.ID
		want  []message.ID
	}{
		{[]room.ID{a.ID}, []message.ID{ma.ID}},
		{[]room.ID{b.ID}, []message.ID{mb.ID}},
		{[]room.ID{a.ID, c.ID}, []message.ID{mc.ID, ma.ID}},
		{[]room.ID{a.ID, b.ID, c.ID}, []message.ID{mc.ID, mb.ID, ma.ID}},
		{nil, nil},
		{[]room.ID{c.ID + 1000}, nil},
	} {
		got := ids(mustSearch(t, s, tc.rooms, "сообщение", 0, 10))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("search rooms %v (-want +got):\n%s", tc.rooms, diff)
		}
	}
	// Members of a room: RoomsOf.
	if _, err := s.Members.Add(ctxOf(t), c.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.Members.RoomsOf(ctxOf(t), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]room.ID{a.ID, c.ID}, got); diff != "" {
		t.Errorf("RoomsOf(alice) (-want +got):\n%s", diff)
	}
}
