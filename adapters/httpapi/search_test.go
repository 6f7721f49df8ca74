package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/auth"
	"chat/adapters/memory"
	"chat/application"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The query a route case expects the use case to be asked.
func searched(want message.SearchQuery) func(*testing.T, *fixture) {
	return func(t *testing.T, f *fixture) {
		t.Helper()
		if d := cmp.Diff(want, f.messages.gotQuery); d != "" {
			t.Errorf("query (-want +got):\n%s", d)
		}
		if f.messages.gotActor != aliceID {
			t.Errorf("searched by %d", f.messages.gotActor)
		}
	}
}

func TestSearchRoute(t *testing.T) {
	hit := func(id message.ID) message.Hit {
		return message.Hit{
			Message: message.Message{ID: id, RoomID: 42, Seq: 4, UserID: 1, Username: "alice", Content: "Сообщения о релизе", CreatedAt: created},
			Snippet: []message.Fragment{{Text: "Сообщен", Match: true}, {Text: "ия о релизе"}},
		}
	}
	wantHit := func(id float64) any {
		return map[string]any{
			"message": map[string]any{"id": id, "room_id": float64(42), "seq": float64(4), "user_id": float64(1), "username": "alice",
				"content": "Сообщения о релизе", "created_at": "2026-01-02T02:04:05.000000Z"},
			"snippet": []any{map[string]any{"text": "Сообщен", "match": true}, map[string]any{"text": "ия о релизе", "match": false}},
		}
	}
	twoHits := func(f *fixture) { f.messages.hits = []message.Hit{hit(9), hit(7)} }
	search := func(query string) request { return request{method: "GET", path: "/search?" + query} }
	long := url.QueryEscape(strings.Repeat("я", message.SearchTextMax+1))
	cases := []routeCase{
		{
			name: "a full page has the next cursor", setup: twoHits, wantStatus: 200,
			rq:       search("q=" + url.QueryEscape(`сообщение "о релизе"`) + "&room_id=42&before=100&limit=2"),
			wantBody: map[string]any{"hits": []any{wantHit(9), wantHit(7)}, "next_before": float64(7)},
			check: searched(message.SearchQuery{Terms: []message.Term{{Text: "сообщение"}, {Text: "о релизе", Phrase: true}},
				RoomID: 42, Before: 100, Limit: 2}),
		},
		{
			name: "every room, the default page", setup: twoHits, wantStatus: 200,
			rq:       search("q=kubectl"),
			wantBody: map[string]any{"hits": []any{wantHit(9), wantHit(7)}},
			check:    searched(message.SearchQuery{Terms: []message.Term{{Text: "kubectl"}}, Limit: message.SearchDefault}),
		},
		{
			name: "nothing found", wantStatus: 200,
			rq: search("q=" + url.QueryEscape("部署")), wantBody: map[string]any{"hits": []any{}},
		},
		{name: "no q", rq: search(""), wantStatus: 422, wantCode: "empty_query", check: calls()},
		{name: "blank q", rq: search("q=+%22+%22+"), wantStatus: 422, wantCode: "empty_query", check: calls()},
		{name: "q too long", rq: search("q=" + long), wantStatus: 422, wantCode: "query_too_long", check: calls()},
		{name: "too many terms", rq: search("q=a+b+c+d+e+f+g+h+i"), wantStatus: 422, wantCode: "too_many_terms", check: calls()},
		{name: "q not UTF-8", rq: search("q=%FF"), wantStatus: 422, wantCode: "invalid_query", check: calls()},
		{name: "limit over the page", rq: search("q=a&limit=51"), wantStatus: 422, wantCode: "invalid_limit", check: calls()},
		{name: "negative limit", rq: search("q=a&limit=-1"), wantStatus: 422, wantCode: "invalid_limit", check: calls()},
		{name: "limit not a number", rq: search("q=a&limit=ten"), wantStatus: 400, wantCode: "malformed_request", check: calls()},
		{name: "room_id not a number", rq: search("q=a&room_id=general"), wantStatus: 400, wantCode: "malformed_request", check: calls()},
		{name: "before not a number", rq: search("q=a&before=1e3"), wantStatus: 400, wantCode: "malformed_request", check: calls()},
		{name: "negative before", rq: search("q=a&before=-5"), wantStatus: 422, wantCode: "invalid_cursor", check: calls()},
		{name: "negative room_id", rq: search("q=a&room_id=-5"), wantStatus: 422, wantCode: "invalid_cursor", check: calls()},
		{
			name: "a room the caller may not read", wantStatus: 404, wantCode: "room_not_found",
			setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.NotFound, "room_not_found", "no such room") },
			rq:    search("q=a&room_id=9"),
		},
		{
			name: "search turned off", wantStatus: 503, wantCode: "search_off",
			setup: func(f *fixture) {
				f.messages.err = domain.Errorf(domain.Unavailable, "search_off", "search is turned off")
			},
			rq: search("q=a"),
		},
	}
	runRouteCases(t, cases)
}

func TestSearchNeedsAToken(t *testing.T) {
	f := newFixture(t, nil)
	checkProblem(t, f.do(t, request{method: "GET", path: "/search?q=a"}), 401, "missing_token")
	if f.messages.calls != nil {
		t.Errorf("use cases ran: %v", f.messages.calls)
	}
}

func TestSearchRateLimited(t *testing.T) {
	f := newFixture(t, nil)
	f.messages.err = domain.Limited(1500*time.Millisecond, "too many searches")
	w := f.do(t, request{method: "GET", path: "/search?q=a", auth: true})
	checkProblem(t, w, 429, "rate_limited")
	if got := w.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2", got)
	}
}

func TestHistoryAround(t *testing.T) {
	page := func(want message.Page) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if d := cmp.Diff(want, f.messages.gotPage); d != "" {
				t.Errorf("page (-want +got):\n%s", d)
			}
		}
	}
	runRouteCases(t, []routeCase{
		{
			name: "around a message", wantStatus: 200, wantBody: []any{},
			rq: request{method: "GET", path: "/rooms/42/messages?around=7&limit=10"}, check: page(message.Page{Around: 7, Limit: 10}),
		},
		{
			name: "around not a number", wantStatus: 400, wantCode: "malformed_request",
			rq: request{method: "GET", path: "/rooms/42/messages?around=seven"},
		},
	})
}

// searchApp is the REST server over the real application and the memory
// stores, with users who sign in for real.
type searchApp struct {
	t   *testing.T
	app *application.App
	srv http.Handler
}

func newSearchApp(t *testing.T, searches ports.Rate) *searchApp {
	t.Helper()
	st := memory.NewStores()
	tokens, err := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	bus := memory.NewBus()
	t.Cleanup(func() { bus.Close() })
	app, err := application.New(application.Deps{
		Users: st.Users(), Accounts: st.Users(), Rooms: st.Rooms(), Members: st.Members(), Messages: st.Messages(), Reads: st.Reads(),
		Invites: st.Invites(), Search: st.Search(), Bus: bus, Presence: memory.NewPresence(30*time.Second, time.Now), Cache: memory.NewCache(),
		Tokens: tokens, Passwords: &auth.Passwords{Params: auth.TestParams},
		Sessions: st.Sessions(), SessionCache: memory.NewSessionCache(nil), Tickets: memory.NewTickets(nil),
		Limiter: memory.NewLimiter(time.Now), Limits: application.Limits{Search: searches},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &searchApp{t: t, app: app, srv: New(Config{Users: app.Users, Rooms: app.Rooms, Messages: app.Messages, Sessions: app.Sessions}).Handler()}
}

// user registers name and returns its id and a token.
func (a *searchApp) user(name string) (user.ID, string) {
	a.t.Helper()
	ctx := context.Background()
	u, err := a.app.Users.Register(ctx, user.Registration{Username: name, Password: "password1"})
	if err != nil {
		a.t.Fatal(err)
	}
	tok, err := a.app.Users.Login(ctx, name, "password1")
	if err != nil {
		a.t.Fatal(err)
	}
	return u.ID, tok.AccessToken
}

func (a *searchApp) room(owner user.ID, name string, private bool) room.ID {
	a.t.Helper()
	r, err := a.app.Rooms.Create(context.Background(), owner, room.Spec{Name: name, IsPrivate: private})
	if err != nil {
		a.t.Fatal(err)
	}
	return r.ID
}

func (a *searchApp) send(u user.ID, r room.ID, text string) message.ID {
	a.t.Helper()
	m, err := a.app.Messages.Send(context.Background(), u, r, text, "")
	if err != nil {
		a.t.Fatal(err)
	}
	return m.ID
}

func (a *searchApp) get(tok, path string) *httptest.ResponseRecorder {
	a.t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	a.srv.ServeHTTP(w, r)
	return w
}

// hitIDs are the ids of a search answer's hits and its cursor (0: none).
func hitIDs(t *testing.T, w *httptest.ResponseRecorder) ([]float64, float64) {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	body := decodeBody(t, w).(map[string]any)
	var ids []float64
	for _, h := range body["hits"].([]any) {
		ids = append(ids, h.(map[string]any)["message"].(map[string]any)["id"].(float64))
	}
	next, _ := body["next_before"].(float64)
	return ids, next
}

// GET /search over the real application: members find what they may read,
// in every language, page by page; outsiders find nothing and are refused
// a room they cannot read; the rate limit answers 429 with its wait.
func TestSearchOverTheApplication(t *testing.T) {
	a := newSearchApp(t, ports.Rate{Burst: 12, Per: time.Hour})
	ctx := context.Background()
	alice, aliceTok := a.user("alice")
	bob, bobTok := a.user("bob")
	_, eveTok := a.user("eve")
	pub := a.room(alice, "general", false)
	priv := a.room(alice, "secret", true)
	if _, err := a.app.Rooms.AddMember(ctx, alice, priv, bob); err != nil {
		t.Fatal(err)
	}
	if err := a.app.Rooms.Join(ctx, bob, pub); err != nil {
		t.Fatal(err)
	}
	ru := a.send(alice, pub, "Новые сообщения о релизе")
	zh := a.send(bob, priv, "我们明天部署新版本")
	a.send(alice, pub, "nothing to see")
	gone := a.send(alice, priv, "удалённые сообщения")
	if _, err := a.app.Messages.Delete(ctx, alice, priv, gone); err != nil {
		t.Fatal(err)
	}
	var older []message.ID
	for i := range 3 {
		older = append(older, a.send(bob, priv, "kubectl-apply run "+string(rune('a'+i))))
	}

	q := func(s string) string { return "/search?q=" + url.QueryEscape(s) }
	for _, tc := range []struct {
		name, tok, path string
		want            []message.ID
	}{
		{"a Russian word form", bobTok, q("сообщение"), []message.ID{ru}},
		{"Chinese without spaces", aliceTok, q("部署"), []message.ID{zh}},
		{"part of an identifier, one room", aliceTok, q("kubectl") + "&room_id=" + itoa(int64(priv)), []message.ID{older[2], older[1], older[0]}},
		{"an outsider finds nothing", eveTok, q("сообщение"), nil},
	} {
		ids, next := hitIDs(t, a.get(tc.tok, tc.path))
		var want []float64
		for _, id := range tc.want {
			want = append(want, float64(id))
		}
		if d := cmp.Diff(want, ids); d != "" || next != 0 {
			t.Errorf("%s: hits (-want +got):\n%s next_before %v", tc.name, d, next)
		}
	}

	// Page by page: a full page says where the next one starts.
	ids, next := hitIDs(t, a.get(aliceTok, q("kubectl")+"&limit=2"))
	if d := cmp.Diff([]float64{float64(older[2]), float64(older[1])}, ids); d != "" || next != float64(older[1]) {
		t.Fatalf("first page (-want +got):\n%s next_before %v", d, next)
	}
	ids, next = hitIDs(t, a.get(aliceTok, q("kubectl")+"&limit=2&before="+itoa(int64(next))))
	if d := cmp.Diff([]float64{float64(older[0])}, ids); d != "" || next != 0 {
		t.Fatalf("second page (-want +got):\n%s next_before %v", d, next)
	}

	// A hit's snippet marks the match.
	w := a.get(bobTok, q("сообщение"))
	snippet := decodeBody(t, w).(map[string]any)["hits"].([]any)[0].(map[string]any)["snippet"].([]any)
	var marked []string
	for _, f := range snippet {
		if f := f.(map[string]any); f["match"] == true {
			marked = append(marked, f["text"].(string))
		}
	}
	if len(marked) != 1 || !strings.HasPrefix("сообщения", marked[0]) {
		t.Errorf("marked %q in %v, want the start of сообщения", marked, snippet)
	}

	checkProblem(t, a.get(eveTok, q("a")+"&room_id="+itoa(int64(priv))), 404, "room_not_found")
	checkProblem(t, a.get(eveTok, q("a")+"&room_id="+itoa(int64(pub))), 403, "not_a_member")

	// The burst is spent: the next search waits.
	for {
		w := a.get(eveTok, q("a"))
		if w.Code == 200 {
			continue
		}
		checkProblem(t, w, 429, "rate_limited")
		if w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		break
	}
}

// GET /rooms/{id}/messages?around= over the real application: the page
// around a message, newest first; around goes alone.
func TestHistoryAroundOverTheApplication(t *testing.T) {
	a := newSearchApp(t, ports.Rate{})
	alice, tok := a.user("alice")
	r := a.room(alice, "general", false)
	var ids []message.ID
	for i := range 10 {
		ids = append(ids, a.send(alice, r, "m"+itoa(int64(i))))
	}
	base := "/rooms/" + itoa(int64(r)) + "/messages?"
	w := a.get(tok, base+"around="+itoa(int64(ids[4]))+"&limit=4")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got []float64
	for _, m := range decodeBody(t, w).([]any) {
		got = append(got, m.(map[string]any)["id"].(float64))
	}
	if d := cmp.Diff([]float64{float64(ids[5]), float64(ids[4]), float64(ids[3]), float64(ids[2])}, got); d != "" {
		t.Errorf("around page (-want +got):\n%s", d)
	}
	checkProblem(t, a.get(tok, base+"around=3&before=5"), 422, "invalid_cursor")
	checkProblem(t, a.get(tok, base+"around=3&after_seq=0"), 422, "invalid_cursor")
	checkProblem(t, a.get(tok, base+"around=-3"), 422, "invalid_cursor")
	checkProblem(t, a.get(tok, base+"around="+itoa(int64(ids[9])+100)), 404, "message_not_found")
}
