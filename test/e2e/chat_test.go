package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/test/services"
)

// Every scenario runs in both modes: a difference is a bug in an adapter.
func TestScaleOut(t *testing.T) { runScenarios(t, scaleOut(t)) }
func TestEmbedded(t *testing.T) { runScenarios(t, embedded(t)) }

func runScenarios(t *testing.T, c cluster) {
	t.Run("accounts", func(t *testing.T) { accounts(t, c) })
	t.Run("live messages across instances", func(t *testing.T) { liveMessages(t, c) })
	t.Run("typing and presence", func(t *testing.T) { typingAndPresence(t, c) })
	t.Run("one time format over REST and WebSocket", func(t *testing.T) { oneTimeFormat(t, c) })
	t.Run("history pages", func(t *testing.T) { historyPages(t, c) })
	t.Run("resume after a dropped socket", func(t *testing.T) { resume(t, c) })
	t.Run("authorization matrix", func(t *testing.T) { authorization(t, c) })
	t.Run("bad input", func(t *testing.T) { badInput(t, c) })
	t.Run("owner removes a member", func(t *testing.T) { removeMember(t, c) })
	t.Run("private rooms answer outsiders as missing rooms", func(t *testing.T) { privateRoomsHidden(t, c) })
	t.Run("room keeping", func(t *testing.T) { roomKeeping(t, c) })
	t.Run("owner leaves, heir inherits", func(t *testing.T) { ownerLeaves(t, c) })
	t.Run("client_id per sender and room", func(t *testing.T) { clientIDPerRoom(t, c) })
	t.Run("text hygiene", func(t *testing.T) { textHygiene(t, c) })
	t.Run("errors net/http and the static handler write are problems", func(t *testing.T) { edgeProblems(t, c) })
	runStreamScenarios(t, c)
	runConversationScenarios(t, c)
	runSearchScenarios(t, c)
	t.Run("graceful shutdown", func(t *testing.T) { shutdown(t, c) }) // last: stops B
}

func removeMember(t *testing.T, c cluster) {
	owner, bob := newUser(t, c.A, "owner"), newUser(t, c.B, "bob")
	room := owner.createRoom("team", true)
	owner.must(204, "POST", fmt.Sprintf("/rooms/%d/members", room.ID), map[string]any{"username": strings.ToUpper(bob.Name)}, nil)
	sb := bob.dial(room.ID, "") // on B
	sb.next("user_joined")
	if r := bob.call("DELETE", fmt.Sprintf("/rooms/%d/members/%d", room.ID, owner.ID), nil); r.Status != 403 {
		t.Fatalf("member removed the owner: %d", r.Status)
	}
	owner.must(204, "DELETE", fmt.Sprintf("/rooms/%d/members/%d", room.ID, bob.ID), nil, nil) // on A
	if code := sb.closeStatus(); code != 4403 {
		t.Fatalf("removed member's socket closed with %d, want 4403", code)
	}
	if _, resp, err := bob.tryDial(room.ID, ""); err == nil || resp == nil || resp.StatusCode != 404 {
		t.Fatalf("removed member reconnected: %v", err)
	}
}

// TestCrashedInstanceUsersGoOffline kills an instance without a goodbye and
// checks that its users are shown offline within the presence TTL.
func TestCrashedInstanceUsersGoOffline(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
		"JWT_SECRET": "e2e-secret-e2e-secret-e2e-secret-0123", "PRESENCE_TTL": "3s",
	}
	a, b := start(t, env), start(t, env)
	alice, bob := newUser(t, a, "alice"), newUser(t, b, "bob")
	room := alice.createRoom("crash", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
	sa := alice.dial(room.ID, "")
	bob.dial(room.ID, "")
	if e := sa.next("user_joined"); e.UserID == alice.ID {
		sa.next("user_joined")
	}
	online := func() map[int64]bool {
		var ms []struct {
			ID     int64 `json:"id"`
			Online bool  `json:"online"`
		}
		alice.must(200, "GET", fmt.Sprintf("/rooms/%d/members", room.ID), nil, &ms)
		out := map[int64]bool{}
		for _, m := range ms {
			out[m.ID] = m.Online
		}
		return out
	}
	if o := online(); !o[bob.ID] || !o[alice.ID] {
		t.Fatalf("before the crash: %v", o)
	}
	_ = b.cmd.Process.Kill() // SIGKILL: no shutdown, no user_left
	<-b.done
	b.done <- nil
	deadline := time.Now().Add(15 * time.Second)
	for online()[bob.ID] {
		if time.Now().After(deadline) {
			t.Fatal("bob still online 15 s after his instance crashed (TTL 3 s)")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !online()[alice.ID] {
		t.Fatal("alice, on the live instance, went offline: heartbeats are not refreshing")
	}
}

func accounts(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	// The username is unique case-insensitively.
	r := do(t, "POST", c.B.URL+"/auth/register", "", "application/json", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"password123"}`, strings.ToUpper(alice.Name))))
	if r.Status != 409 || !strings.Contains(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("duplicate register = %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	// OAuth2 password form login, as FastAPI clients send it, on the other instance.
	form := url.Values{"username": {alice.Name}, "password": {"password123"}, "grant_type": {"password"}}
	r = do(t, "POST", c.B.URL+"/auth/login", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.Status != 200 || !strings.Contains(string(r.Body), `"token_type":"bearer"`) {
		t.Fatalf("form login = %d %s", r.Status, r.Body)
	}
	r = do(t, "POST", c.B.URL+"/auth/login", "", "application/json", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"wrong-password"}`, alice.Name)))
	if r.Status != 401 {
		t.Fatalf("wrong password = %d", r.Status)
	}
	// A profile change on A is seen at once on B (cache invalidated everywhere).
	var me struct {
		ID          int64   `json:"id"`
		Username    string  `json:"username"`
		DisplayName string  `json:"display_name"`
		Bio         string  `json:"bio"`
		AvatarURL   *string `json:"avatar_url"`
		CreatedAt   string  `json:"created_at"`
	}
	alice.on(c.B).must(200, "GET", "/users/me", nil, &me) // warm B's cache
	if me.ID != alice.ID || me.Username != alice.Name || !strings.HasSuffix(me.CreatedAt, "Z") {
		t.Fatalf("me = %+v, alice = %d %q", me, alice.ID, alice.Name)
	}
	alice.must(200, "PATCH", "/users/me", map[string]any{"display_name": "Alice A.", "bio": "hi"}, nil)
	// Redis pushes the invalidation to B's client-side cache as the key
	// changes; it lands within milliseconds, far inside the cache's TTL
	// (10 min), so a stale copy past 2 s means invalidation is broken.
	deadline := time.Now().Add(2 * time.Second)
	for {
		alice.on(c.B).must(200, "GET", "/users/me", nil, &me)
		if me.DisplayName == "Alice A." && me.Bio == "hi" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B still shows the old profile 2 s after the update: %+v", me)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func liveMessages(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	room := alice.createRoom("general", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
	sa := alice.dial(room.ID, "")
	sb := bob.dial(room.ID, "")
	sb.next("user_joined") // presence settles: bob sees at least his own arrival
	sa.send(map[string]any{"type": "message", "content": "hello from A", "client_id": "c1"})
	own := sa.next("message")
	got := sb.next("message")
	if got.Content != "hello from A" || got.ID == 0 || got.Seq != 1 || got.UserID != alice.ID || got.Username != alice.Name || got.ClientID != "c1" || got.RoomID != room.ID {
		t.Fatalf("B got %+v", got)
	}
	if own.ID != got.ID || own.Seq != got.Seq {
		t.Fatalf("sender's copy %+v differs from B's %+v", own, got)
	}
	if _, err := time.Parse(time.RFC3339Nano, got.CreatedAt); err != nil || !strings.HasSuffix(got.CreatedAt, "Z") {
		t.Fatalf("created_at %q", got.CreatedAt)
	}
	// A retried client_id is stored once, and its sender alone is answered
	// with the stored copy, marked duplicate.
	sa.send(map[string]any{"type": "message", "content": "hello from A", "client_id": "c1"})
	if e := sa.next("message"); e.ID != own.ID || e.Seq != 1 || !e.Duplicate {
		t.Fatalf("retried client_id answered %+v, want the stored message %d marked duplicate", e, own.ID)
	}
	sa.send(map[string]any{"type": "message", "content": "second"})
	for _, s := range []*socket{sa, sb} {
		if e := s.next("message"); e.Seq != 2 || e.Content != "second" {
			t.Fatalf("after a retried client_id got %+v, want seq 2", e)
		}
	}
	// REST sends go through the same use case and reach sockets.
	var m event
	bob.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room.ID), map[string]any{"content": "via REST"}, &m)
	if e := sa.next("message"); e.ID != m.ID || e.Seq != 3 {
		t.Fatalf("REST message on socket: %+v, REST answer %+v", e, m)
	}
	// One sender's messages keep their order.
	for i := 0; i < 20; i++ {
		sb.send(map[string]any{"type": "message", "content": fmt.Sprintf("n%d", i)})
	}
	sb.next("message") // bob's own REST message
	for i := 0; i < 20; i++ {
		if e := sa.next("message"); e.Content != fmt.Sprintf("n%d", i) {
			t.Fatalf("order: got %q at %d", e.Content, i)
		}
	}
}

// timestampRE is the one time format of every timestamp (docs/openapi.yaml
// Timestamp): RFC 3339 in UTC, a Z and six fractional digits.
var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$`)

// oneTimeFormat: the same message has the same created_at string on the
// socket (live and replayed) and over REST (history and the POST's answer),
// on either instance; every other timestamp has the same format.
func oneTimeFormat(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	room := alice.createRoom("times", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
	sb := bob.dial(room.ID, "")
	sa := alice.dial(room.ID, "")
	sa.send(map[string]any{"type": "message", "content": "what time is it", "client_id": "t1"})
	live := sb.next("message")
	var posted event
	bob.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room.ID), map[string]any{"content": "via REST"}, &posted)
	liveREST := sa.next("message")
	for liveREST.ID != posted.ID {
		liveREST = sa.next("message")
	}
	var history []event
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages", room.ID), nil, &history)
	alice.on(c.B).must(200, "GET", fmt.Sprintf("/rooms/%d/messages", room.ID), nil, &history)
	byID := map[int64]string{}
	for _, m := range history {
		byID[m.ID] = m.CreatedAt
	}
	replayed := alice.on(c.B).dial(room.ID, "after_seq=0").next("message")
	for _, tc := range []struct{ what, socket, rest string }{
		{"socket vs history", live.CreatedAt, byID[live.ID]},
		{"replayed socket vs history", replayed.CreatedAt, byID[replayed.ID]},
		{"socket vs the POST's answer", liveREST.CreatedAt, posted.CreatedAt},
		{"history vs the POST's answer", byID[posted.ID], posted.CreatedAt},
	} {
		if tc.socket != tc.rest || !timestampRE.MatchString(tc.socket) {
			t.Errorf("%s: created_at %q and %q, want one string in the one format", tc.what, tc.socket, tc.rest)
		}
	}
	var me struct {
		CreatedAt string `json:"created_at"`
	}
	var rooms []struct {
		CreatedAt string `json:"created_at"`
	}
	alice.must(200, "GET", "/users/me", nil, &me)
	alice.must(200, "GET", "/rooms", nil, &rooms)
	for _, ts := range append([]string{me.CreatedAt}, rooms[0].CreatedAt) {
		if !timestampRE.MatchString(ts) {
			t.Errorf("timestamp %q is not in the one format", ts)
		}
	}
}

func typingAndPresence(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	room := alice.createRoom("presence", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
	sa := alice.dial(room.ID, "")
	if e := sa.next("user_joined"); e.UserID != alice.ID {
		t.Fatalf("first user_joined %+v", e)
	}
	sb := bob.dial(room.ID, "")
	if e := sa.next("user_joined"); e.UserID != bob.ID || e.Username != bob.Name || e.RoomID != room.ID {
		t.Fatalf("A saw %+v", e)
	}
	var members []struct {
		ID     int64 `json:"id"`
		Online bool  `json:"online"`
	}
	alice.must(200, "GET", fmt.Sprintf("/rooms/%d/members", room.ID), nil, &members)
	if len(members) != 2 || !members[0].Online || !members[1].Online {
		t.Fatalf("members %+v", members)
	}
	// A second socket of bob's does not announce him again; closing one of two does not say he left.
	sb2 := bob.on(c.A).dial(room.ID, "")
	sb2.conn.Close(websocket.StatusNormalClosure, "")
	sb.send(map[string]any{"type": "typing"})
	if e := sa.next("typing", "user_joined", "user_left"); e.Type != "typing" || e.UserID != bob.ID || e.Username != bob.Name {
		t.Fatalf("A saw %+v, want bob typing", e)
	}
	sb.none(300*time.Millisecond, "typing") // not echoed to the typist
	sb.conn.Close(websocket.StatusNormalClosure, "")
	if e := sa.next("user_left"); e.UserID != bob.ID {
		t.Fatalf("user_left %+v", e)
	}
	alice.must(200, "GET", fmt.Sprintf("/rooms/%d/members", room.ID), nil, &members)
	for _, m := range members {
		if m.ID == bob.ID && m.Online {
			t.Fatal("bob still online after his last socket closed")
		}
	}
}

func historyPages(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	room := alice.createRoom("history", false)
	for i := 1; i <= 120; {
		r := alice.call("POST", fmt.Sprintf("/rooms/%d/messages", room.ID), map[string]any{"content": fmt.Sprintf("m%d", i)})
		switch {
		case r.Status == 201:
			i++
		case r.Status == 429 && r.Header.Get("Retry-After") != "":
			// 120 at once is over a user's burst (100): wait as told.
			secs, _ := strconv.Atoi(r.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(secs, 1)) * time.Second)
		default:
			t.Fatalf("send %d = %d %s", i, r.Status, r.Body)
		}
	}
	reader := alice.on(c.B)
	seen := map[int64]bool{}
	var sizes []int
	before := int64(0)
	for {
		path := fmt.Sprintf("/rooms/%d/messages?limit=50", room.ID)
		if before > 0 {
			path += fmt.Sprintf("&before=%d", before)
		}
		var page []event
		reader.must(200, "GET", path, nil, &page)
		if len(page) == 0 {
			break
		}
		sizes = append(sizes, len(page))
		for i, m := range page {
			if seen[m.Seq] {
				t.Fatalf("seq %d twice", m.Seq)
			}
			seen[m.Seq] = true
			if i > 0 && m.ID >= page[i-1].ID {
				t.Fatal("page not newest first")
			}
		}
		before = page[len(page)-1].ID
	}
	if fmt.Sprint(sizes) != "[50 50 20]" || len(seen) != 120 {
		t.Fatalf("pages %v, %d distinct", sizes, len(seen))
	}
	var fwd []event
	reader.must(200, "GET", fmt.Sprintf("/rooms/%d/messages?after_seq=100&limit=50", room.ID), nil, &fwd)
	if len(fwd) != 20 || fwd[0].Seq != 101 || fwd[19].Seq != 120 {
		t.Fatalf("after_seq page: %d, first %+v", len(fwd), fwd)
	}
}

func resume(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	room := alice.createRoom("resume", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
	sb := bob.dial(room.ID, "")
	sa := alice.dial(room.ID, "")
	sa.send(map[string]any{"type": "message", "content": "before the drop"})
	last := sb.next("message").Seq
	sb.conn.CloseNow() // dropped

	// 30 messages while bob is away, and more while he reconnects.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 30; i++ {
			sa.send(map[string]any{"type": "message", "content": fmt.Sprintf("r%d", i)})
		}
	}()
	time.Sleep(20 * time.Millisecond) // let some arrive before the reconnect, some during replay
	sb2 := bob.dial(room.ID, fmt.Sprintf("after_seq=%d", last))
	wg.Wait()
	got := map[int64]int{}
	for want := last + 1; want <= last+30; want++ {
		e := sb2.next("message")
		got[e.Seq]++
		if e.Seq != want {
			t.Fatalf("resume: got seq %d, want %d (no gap, no repeat, in order)", e.Seq, want)
		}
	}
	sa.send(map[string]any{"type": "message", "content": "after"})
	if e := sb2.next("message"); e.Seq != last+31 {
		t.Fatalf("live after replay: seq %d, want %d", e.Seq, last+31)
	}
	// after_seq=0 replays from the very start.
	sb3 := bob.dial(room.ID, "after_seq=0")
	if e := sb3.next("message"); e.Seq != 1 {
		t.Fatalf("after_seq=0 starts at seq %d", e.Seq)
	}
}

func authorization(t *testing.T, c cluster) {
	owner, outsider, friend := newUser(t, c.A, "owner"), newUser(t, c.B, "outsider"), newUser(t, c.B, "friend")
	priv := owner.createRoom("secret", true)
	pub := owner.createRoom("open", false)
	var list []roomJSON
	outsider.must(200, "GET", "/rooms", nil, &list)
	for _, r := range list {
		if r.ID == priv.ID {
			t.Fatal("outsider can list the private room")
		}
	}
	p := fmt.Sprintf("/rooms/%d", priv.ID)
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", p, nil, 404},
		{"GET", p + "/messages", nil, 404},
		{"POST", p + "/messages", map[string]any{"content": "x"}, 404},
		{"GET", p + "/members", nil, 404},
		{"POST", p + "/join", nil, 404},
		{"POST", p + "/members", map[string]any{"user_id": outsider.ID}, 404},
		{"GET", fmt.Sprintf("/rooms/%d/messages", pub.ID), nil, 403},
		{"POST", fmt.Sprintf("/rooms/%d/messages", pub.ID), map[string]any{"content": "x"}, 403},
	} {
		if r := outsider.call(tc.method, tc.path, tc.body); r.Status != tc.want {
			t.Errorf("outsider %s %s = %d %s, want %d", tc.method, tc.path, r.Status, r.Body, tc.want)
		}
	}
	if _, resp, err := outsider.tryDial(priv.ID, ""); err == nil || resp == nil || (resp.StatusCode != 404 && resp.StatusCode != 403) {
		t.Errorf("outsider connected to the private room: %v %v", err, resp)
	}
	if _, resp, err := outsider.tryDial(pub.ID, ""); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("non-member connected to a public room: %v", err)
	}
	// The owner adds friend; friend reads and listens; then friend leaves and stops receiving.
	owner.must(204, "POST", p+"/members", map[string]any{"user_id": friend.ID}, nil)
	if r := friend.call("POST", p+"/members", map[string]any{"user_id": outsider.ID}); r.Status != 403 {
		t.Errorf("non-owner added a member: %d", r.Status)
	}
	sf := friend.dial(priv.ID, "")
	so := owner.dial(priv.ID, "")
	so.send(map[string]any{"type": "message", "content": "for members"})
	if e := sf.next("message"); e.Content != "for members" {
		t.Fatalf("friend got %+v", e)
	}
	friend.must(204, "DELETE", p+"/leave", nil, nil)
	if code := sf.closeStatus(); code != 4403 {
		t.Fatalf("leaver's socket closed with %d, want 4403", code)
	}
	if r := friend.call("GET", p+"/messages", nil); r.Status != 404 {
		t.Fatalf("leaver reads history: %d", r.Status)
	}
	// Anonymous and garbage tokens.
	for _, tok := range []string{"", "garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."} {
		r := do(t, "GET", c.A.URL+"/rooms", tok, "", nil)
		if r.Status != 401 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("token %q: %d %s", tok, r.Status, r.Body)
		}
		u := wsURL(c.A.URL, pub.ID, "token="+url.QueryEscape(tok))
		resp, err := http.Get(strings.Replace(u, "ws://", "http://", 1))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Errorf("socket with token %q: %d", tok, resp.StatusCode)
			}
		}
	}
}

func badInput(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	room := alice.createRoom("bad", false)
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/rooms", `{"name":`, 400},
		{"POST", "/rooms", `{"name":""}`, 422},
		{"POST", "/rooms", `[1,2]`, 400},
		{"GET", "/rooms/abc/messages", "", 400},
		{"GET", "/rooms/-1/messages", "", 400},
		{"GET", fmt.Sprintf("/rooms/%d/messages?limit=1000", room.ID), "", 422},
		{"GET", fmt.Sprintf("/rooms/%d/messages?before=x", room.ID), "", 400},
		{"POST", fmt.Sprintf("/rooms/%d/messages", room.ID), `{"content":"   "}`, 422},
		{"POST", fmt.Sprintf("/rooms/%d/messages", room.ID), `{"content":"` + strings.Repeat("a", 4001) + `"}`, 422},
		{"POST", "/auth/register", `{"username":"x","password":"y"}`, 422},
		{"PATCH", "/users/me", `{"bio":` + fmt.Sprintf("%q", strings.Repeat("b", 501)) + `}`, 422},
		{"GET", fmt.Sprintf("/rooms/%d/no-such-route", room.ID), "", 404},
		{"PUT", "/rooms", "{}", 405},
	} {
		r := alice.call(tc.method, tc.path, tc.body)
		if tc.body == "" {
			r = alice.call(tc.method, tc.path, nil)
		}
		if r.Status != tc.want || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s %s %.40s = %d %s (%s), want %d problem+json", tc.method, tc.path, tc.body, r.Status, r.Body, r.Header.Get("Content-Type"), tc.want)
		}
	}
	s := alice.dial(room.ID, "")
	for _, tc := range []struct{ frame, code string }{
		{`{"type":`, "invalid_json"},
		{`{"type":"dance"}`, "unknown_type"},
		{`{"type":"message","content":""}`, "empty_message"},
		{`{"type":"message","content":"` + strings.Repeat("x", 4001) + `"}`, "message_too_long"},
		{`{"type":"message","content":"a\u0000b"}`, "invalid_content"},
	} {
		s.sendRaw([]byte(tc.frame))
		e := s.next("error")
		if e.Code == "" || e.Detail == "" {
			t.Errorf("frame %.30s: error event %+v", tc.frame, e)
		}
		if e.Code != tc.code {
			t.Logf("frame %.30s: code %q (expected %q)", tc.frame, e.Code, tc.code)
		}
	}
	s.send(map[string]any{"type": "message", "content": "still works"})
	if e := s.next("message"); e.Content != "still works" {
		t.Fatalf("socket broken after bad frames: %+v", e)
	}
	// A frame over the 64 KiB read limit closes with 1009; the server keeps serving.
	big := alice.dial(room.ID, "")
	big.sendRaw([]byte(`{"type":"message","content":"` + strings.Repeat("x", 70<<10) + `"}`))
	if code := big.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame closed with %d, want 1009", code)
	}
	alice.must(200, "GET", "/rooms", nil, nil)
}

func shutdown(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	room := alice.createRoom("bye", false)
	s := alice.on(c.B).dial(room.ID, "")
	s.next("user_joined")
	if err := c.B.stop(); err != nil {
		t.Fatalf("chatd exited with %v after SIGTERM", err)
	}
	if code := s.closeStatus(); code != websocket.StatusGoingAway {
		t.Fatalf("socket closed with %d on shutdown, want 1001", code)
	}
	logs := c.B.logs.String()
	if strings.Contains(logs, alice.token) || strings.Contains(logs, "still works") || strings.Contains(logs, "password123") {
		t.Fatal("a token, a message body or a password reached the logs")
	}
	scanLines(logs, func(line string) {
		if strings.Contains(line, "token=") && !strings.Contains(line, "token=REDACTED") && !strings.Contains(line, "token=%5BREDACTED") && !strings.Contains(line, "token=xxx") {
			t.Errorf("unredacted token in log line: %.200s", line)
		}
	})
}
