package e2e

import (
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"chat/test/proc"
	"chat/test/services"
)

// Issue 15: message changes on the room's stream, replies, mentions,
// reactions, direct conversations and scheduled messages, end to end.

func runConversationScenarios(t *testing.T, c cluster) {
	t.Run("changes reach both instances in seq order", func(t *testing.T) { changesLive(t, c) })
	t.Run("a deleted message is unreadable everywhere", func(t *testing.T) { deletedUnreadable(t, c) })
	t.Run("conversation authorization matrix", func(t *testing.T) { conversationAuthorization(t, c) })
	t.Run("concurrent direct conversation opens make one room", func(t *testing.T) { directOnce(t, c) })
	t.Run("mentions are counted and cleared", func(t *testing.T) { mentionCounts(t, c) })
}

type convMessage struct {
	ID       int64  `json:"id"`
	Seq      int64  `json:"seq"`
	UserID   int64  `json:"user_id"`
	Content  string `json:"content"`
	ClientID string `json:"client_id"`
	EditedAt string `json:"edited_at"`
	Deleted  bool   `json:"deleted"`
	ReplyTo  *struct {
		ID      int64  `json:"id"`
		Content string `json:"content"`
		Deleted bool   `json:"deleted"`
	} `json:"reply_to"`
	Mentions  []int64 `json:"mentions"`
	Reactions []struct {
		Emoji   string  `json:"emoji"`
		Count   int     `json:"count"`
		UserIDs []int64 `json:"user_ids"`
	} `json:"reactions"`
	Files []fileJSON `json:"files"`
}

func (c *client) send(room int64, body map[string]any) convMessage {
	c.t.Helper()
	var m convMessage
	c.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room), body, &m)
	return m
}

func reactPath(room, msg int64, emoji string) string {
	return fmt.Sprintf("/rooms/%d/messages/%d/reactions/%s", room, msg, url.PathEscape(emoji))
}

// sequenced reads s until it has every seq up to last of room, failing on
// a gap or a repeat; it returns the events in order.
func (s *socket) sequenced(room, after, last int64) []event {
	s.t.Helper()
	var out []event
	for after < last {
		e := s.next("message", "message_edited", "message_deleted", "reaction_added", "reaction_removed")
		if e.RoomID != room {
			continue
		}
		if e.Seq != after+1 {
			s.t.Fatalf("room %d: %s with seq %d after %d (a gap or a repeat)", room, e.Type, e.Seq, after)
		}
		after = e.Seq
		out = append(out, e)
	}
	return out
}

func types(es []event) string {
	var b []string
	for _, e := range es {
		b = append(b, e.Type)
	}
	return strings.Join(b, " ")
}

func changesLive(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("changes", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	sb := bob.stream("")
	sb.next("ready")
	rs := bob.dial(r.ID, "")
	m := alice.send(r.ID, map[string]any{"content": "first"})
	var edited convMessage
	alice.must(200, "PATCH", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), map[string]any{"content": "first, edited"}, &edited)
	if edited.Content != "first, edited" || edited.EditedAt == "" {
		t.Fatalf("edited = %+v", edited)
	}
	bob.must(204, "PUT", reactPath(r.ID, m.ID, "👍"), nil, nil)
	bob.must(204, "PUT", reactPath(r.ID, m.ID, "👍"), nil, nil) // idempotent: no new seq
	reply := bob.send(r.ID, map[string]any{"content": "a reply", "reply_to": m.ID})
	if reply.ReplyTo == nil || reply.ReplyTo.ID != m.ID || reply.ReplyTo.Content != "first, edited" {
		t.Fatalf("reply quotes %+v", reply.ReplyTo)
	}
	bob.must(204, "DELETE", reactPath(r.ID, m.ID, "👍"), nil, nil)
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), nil, nil)
	const want = "message message_edited reaction_added message reaction_removed message_deleted"
	for name, s := range map[string]*socket{"stream": sb, "room socket": rs} {
		es := s.sequenced(r.ID, 0, 6)
		if got := types(es); got != want {
			t.Errorf("%s got %s, want %s", name, got, want)
		}
		if es[2].Emoji != "👍" || es[2].Count != 1 || es[4].Count != 0 || es[1].Content != "first, edited" || es[5].MessageID != m.ID {
			t.Errorf("%s change fields: %+v", name, es)
		}
	}
	// A room socket that resumes from the start replays the same stream,
	// the message in its current state and the edit without its text.
	replay := bob.dial(r.ID, "after_seq=0").sequenced(r.ID, 0, 6)
	if got := types(replay); got != want {
		t.Fatalf("replay %s, want %s", got, want)
	}
	if replay[0].Content != "" || replay[1].Content != "" || !replay[0].Deleted {
		t.Errorf("replay shows deleted text: %+v %+v", replay[0], replay[1])
	}
}

func deletedUnreadable(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("secrets", true)
	alice.must(204, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"user_id": bob.ID}, nil)
	f := alice.share(r.ID, "plan.txt", "text/plain", []byte("the secret plan"))
	m := alice.send(r.ID, map[string]any{"content": "secret words v1", "file_ids": []int64{f.ID}})
	if len(m.Files) != 1 || m.Files[0].ID != f.ID || m.Files[0].FileURL == "" {
		t.Fatalf("message files %+v", m.Files)
	}
	// The file is someone's message's now: it cannot go in another.
	if r := alice.call("POST", fmt.Sprintf("/rooms/%d/messages", r.ID), map[string]any{"content": "again", "file_ids": []int64{f.ID}}); r.Status != 404 {
		t.Errorf("attaching a file twice = %d %s, want 404", r.Status, r.Body)
	}
	alice.must(200, "PATCH", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), map[string]any{"content": "secret words v2"}, nil)
	var versions []struct{ Content string }
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages/%d/versions", r.ID, m.ID), nil, &versions)
	if len(versions) != 1 || versions[0].Content != "secret words v1" {
		t.Fatalf("versions %+v", versions)
	}
	var seen convMessage
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), nil, &seen)
	fileURL := seen.Files[0].FileURL
	if got := do(t, "GET", c.B.URL+fileURL, "", "", nil); got.Status != 200 || string(got.Body) != "the secret plan" {
		t.Fatalf("file before deletion = %d %q", got.Status, got.Body)
	}
	sb := bob.stream("")
	sb.next("ready")
	bob.must(204, "PUT", reactPath(r.ID, m.ID, "😮"), nil, nil)
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), nil, nil)
	if e := sb.next("message_deleted"); e.MessageID != m.ID || e.Content != "" {
		t.Fatalf("message_deleted %+v", e)
	}
	leak := func(where string, body []byte) {
		t.Helper()
		for _, s := range []string{"secret words", "plan.txt"} {
			if strings.Contains(string(body), s) {
				t.Errorf("%s still shows %q: %s", where, s, body)
			}
		}
	}
	for _, path := range []string{
		fmt.Sprintf("/rooms/%d/messages", r.ID),
		fmt.Sprintf("/rooms/%d/messages?after_seq=0", r.ID),
		fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID),
		fmt.Sprintf("/rooms/%d/messages/%d/versions", r.ID, m.ID),
		fmt.Sprintf("/rooms/%d/files", r.ID),
	} {
		for _, u := range []*client{alice, bob.on(c.A)} {
			resp := u.call("GET", path, nil)
			if resp.Status != 200 {
				t.Errorf("GET %s = %d", path, resp.Status)
			}
			leak(path, resp.Body)
		}
	}
	seen = convMessage{}
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), nil, &seen)
	if !seen.Deleted || seen.Content != "" || len(seen.Files) != 0 || len(seen.Reactions) != 0 {
		t.Errorf("tombstone %+v", seen)
	}
	if got := do(t, "GET", c.B.URL+fileURL, "", "", nil); got.Status != 404 {
		t.Errorf("the deleted message's file link = %d %q, want 404", got.Status, got.Body)
	}
	// Replay over both sockets carries no text either.
	for _, s := range []*socket{bob.dial(r.ID, "after_seq=0"), bob.on(c.A).dial(r.ID, "after_seq=0")} {
		for _, e := range s.sequenced(r.ID, 0, 4) {
			leak("replayed "+e.Type, []byte(e.Content+e.Filename))
		}
	}
	// Edits and reactions of a tombstone are refused.
	if r := alice.call("PATCH", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), map[string]any{"content": "back"}); r.Status != 409 {
		t.Errorf("edit of a deleted message = %d, want 409", r.Status)
	}
	if r := bob.call("PUT", reactPath(r.ID, m.ID, "👍"), nil); r.Status != 409 {
		t.Errorf("reaction on a deleted message = %d, want 409", r.Status)
	}
}

func conversationAuthorization(t *testing.T, c cluster) {
	owner, author, member, outsider := newUser(t, c.A, "owner"), newUser(t, c.B, "author"), newUser(t, c.A, "member"), newUser(t, c.B, "outsider")
	removed := newUser(t, c.A, "removed")
	for _, private := range []bool{false, true} {
		r := owner.createRoom("matrix", private)
		for _, u := range []*client{author, member, removed} {
			owner.must(204, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"user_id": u.ID}, nil)
		}
		m := author.send(r.ID, map[string]any{"content": "hello"})
		owner.must(204, "DELETE", fmt.Sprintf("/rooms/%d/members/%d", r.ID, removed.ID), nil, nil)
		out := 403
		if private {
			out = 404
		}
		msg := fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID)
		type call struct {
			method, path string
			body         any
		}
		calls := map[string]call{
			"get":      {"GET", msg, nil},
			"versions": {"GET", msg + "/versions", nil},
			"edit":     {"PATCH", msg, map[string]any{"content": "x"}},
			"react":    {"PUT", reactPath(r.ID, m.ID, "👍"), nil},
			"unreact":  {"DELETE", reactPath(r.ID, m.ID, "👍"), nil},
			"reply":    {"POST", fmt.Sprintf("/rooms/%d/messages", r.ID), map[string]any{"content": "re", "reply_to": m.ID}},
			"schedule": {"POST", fmt.Sprintf("/rooms/%d/messages", r.ID), map[string]any{"content": "later", "send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}},
			"delete":   {"DELETE", msg, nil},
		}
		want := map[string]map[string]int{
			"member":   {"get": 200, "versions": 200, "edit": 403, "react": 204, "unreact": 204, "reply": 201, "schedule": 202, "delete": 403},
			"outsider": {"get": out, "versions": out, "edit": out, "react": out, "unreact": out, "reply": out, "schedule": out, "delete": out},
			"removed":  {"get": out, "versions": out, "edit": out, "react": out, "unreact": out, "reply": out, "schedule": out, "delete": out},
			"owner":    {"edit": 403},
		}
		who := map[string]*client{"member": member, "outsider": outsider, "removed": removed, "owner": owner}
		for name, row := range want {
			for op, status := range row {
				cl := calls[op]
				if got := who[name].call(cl.method, cl.path, cl.body); got.Status != status {
					t.Errorf("private=%v %s %s: %d %s, want %d", private, name, op, got.Status, got.Body, status)
				}
			}
		}
		owner.must(204, "DELETE", msg, nil, nil) // the owner deletes anyone's
	}
	// Someone else's scheduled message is nobody's business.
	r := owner.createRoom("later", false)
	var sc struct{ ID int64 }
	owner.must(202, "POST", fmt.Sprintf("/rooms/%d/messages", r.ID), map[string]any{"content": "later", "send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, &sc)
	for _, m := range []string{"PATCH", "DELETE"} {
		if got := outsider.call(m, fmt.Sprintf("/scheduled/%d", sc.ID), map[string]any{"content": "mine now"}); got.Status != 404 {
			t.Errorf("%s someone else's scheduled message = %d, want 404", m, got.Status)
		}
	}
	var list []struct{ ID int64 }
	outsider.must(200, "GET", "/scheduled", nil, &list)
	if len(list) != 0 {
		t.Errorf("outsider lists %+v", list)
	}
	// A direct conversation is closed to everyone else.
	var dm struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
	}
	owner.must(201, "POST", "/dms", map[string]any{"user_id": member.ID}, &dm)
	if dm.Kind != "dm" {
		t.Fatalf("dm kind %q", dm.Kind)
	}
	for _, cl := range []struct {
		who          *client
		method, path string
		body         any
		status       int
	}{
		{outsider, "POST", fmt.Sprintf("/rooms/%d/join", dm.ID), nil, 404},
		{outsider, "GET", fmt.Sprintf("/rooms/%d/messages", dm.ID), nil, 404},
		{owner, "POST", fmt.Sprintf("/rooms/%d/members", dm.ID), map[string]any{"user_id": outsider.ID}, 403},
		{owner, "POST", fmt.Sprintf("/rooms/%d/invites", dm.ID), map[string]any{}, 403},
		{member, "DELETE", fmt.Sprintf("/rooms/%d/leave", dm.ID), nil, 403},
		{owner, "PATCH", fmt.Sprintf("/rooms/%d", dm.ID), map[string]any{"name": "x"}, 403},
		{owner, "DELETE", fmt.Sprintf("/rooms/%d", dm.ID), nil, 403},
		{owner, "POST", "/dms", map[string]any{"user_id": owner.ID}, 422},
		{owner, "POST", "/dms", map[string]any{"username": "no-such-user-x"}, 404},
		{owner, "POST", "/dms", map[string]any{}, 422},
	} {
		if got := cl.who.call(cl.method, cl.path, cl.body); got.Status != cl.status {
			t.Errorf("%s %s = %d %s, want %d", cl.method, cl.path, got.Status, got.Body, cl.status)
		}
	}
}

func directOnce(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[int64]int{}
		created int
	)
	for i := range 12 {
		wg.Go(func() {
			opener, body := alice, map[string]any{"user_id": bob.ID}
			if i%2 == 1 {
				opener, body = bob, map[string]any{"username": alice.Name}
			}
			resp := opener.call("POST", "/dms", body)
			var r struct {
				ID int64 `json:"id"`
			}
			if resp.Status != 200 && resp.Status != 201 {
				t.Errorf("POST /dms = %d %s", resp.Status, resp.Body)
				return
			}
			resp.decode(t, &r)
			mu.Lock()
			defer mu.Unlock()
			ids[r.ID]++
			if resp.Status == 201 {
				created++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Fatalf("12 opens on two instances: rooms %v, created %d times; want one room created once", ids, created)
	}
	for id := range ids {
		rooms := bob.rooms()
		if l, ok := rooms[id]; !ok || !l.IsMember {
			t.Errorf("bob's room list lacks the conversation %d: %+v", id, rooms)
		}
		if _, ok := newUser(t, c.A, "carol").rooms()[id]; ok {
			t.Errorf("an outsider lists the conversation %d", id)
		}
	}
}

func mentionCounts(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("mentions", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	m := alice.send(r.ID, map[string]any{"content": "ping @" + bob.Name + " and @nobody"})
	if len(m.Mentions) != 1 || m.Mentions[0] != bob.ID {
		t.Fatalf("mentions %v, want [%d]", m.Mentions, bob.ID)
	}
	alice.send(r.ID, map[string]any{"content": "no mention"})
	var rooms []struct {
		ID           int64 `json:"id"`
		MentionCount int64 `json:"mention_count"`
		UnreadCount  int64 `json:"unread_count"`
		LastSeq      int64 `json:"last_seq"`
	}
	count := func() (int64, int64, int64) {
		bob.must(200, "GET", "/rooms", nil, &rooms)
		for _, l := range rooms {
			if l.ID == r.ID {
				return l.MentionCount, l.UnreadCount, l.LastSeq
			}
		}
		t.Fatal("room not listed")
		return 0, 0, 0
	}
	// A reaction takes a seq but is no unread message.
	alice.must(204, "PUT", reactPath(r.ID, m.ID, "🎉"), nil, nil)
	if mc, un, last := count(); mc != 1 || un != 2 || last != 3 {
		t.Fatalf("mentions %d unread %d last_seq %d, want 1 2 3", mc, un, last)
	}
	bob.must(200, "POST", fmt.Sprintf("/rooms/%d/read", r.ID), map[string]any{"seq": 3}, nil)
	if mc, un, _ := count(); mc != 0 || un != 0 {
		t.Fatalf("after reading: mentions %d unread %d", mc, un)
	}
}

// TestConversationResume: a user stream killed with its instance resumes
// on another instance (scale-out) or the restarted one (embedded) and gets
// every message and change made meanwhile exactly once, in seq order.
func TestConversationResume(t *testing.T) {
	t.Run("scale-out", func(t *testing.T) {
		env := map[string]string{
			"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
			"JWT_SECRET": "e2e-secret-e2e-secret-e2e-secret-0123", "DATA_DIR": t.TempDir(), "UPLOAD_PATH": t.TempDir(),
		}
		a, b := start(t, env), start(t, env)
		conversationResume(t, a, b, func() *server { return a })
	})
	t.Run("embedded", func(t *testing.T) {
		env := map[string]string{"DATA_DIR": t.TempDir(), "ADDR": proc.FreeAddr(t)}
		s := start(t, env)
		conversationResume(t, s, s, func() *server { return start(t, env) })
	})
}

func conversationResume(t *testing.T, a, victim *server, after func() *server) {
	alice, bob := newUser(t, a, "alice"), newUser(t, victim, "bob")
	r := alice.createRoom("resume", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	sb := bob.stream("")
	sb.next("ready")
	m1 := alice.send(r.ID, map[string]any{"content": "one"})
	m2 := alice.send(r.ID, map[string]any{"content": "two"})
	sb.sequenced(r.ID, 0, 2)

	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	victim.done <- nil
	target := after()
	al := alice.on(target)
	al.must(200, "PATCH", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m1.ID), map[string]any{"content": "one, edited"}, nil)
	al.must(204, "PUT", reactPath(r.ID, m2.ID, "❤️"), nil, nil)
	al.send(r.ID, map[string]any{"content": "three"})
	al.must(204, "DELETE", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m2.ID), nil, nil)
	sr := bob.on(target).stream("resume=1")
	sr.send(map[string]any{"type": "resume", "rooms": map[string]int64{fmt.Sprint(r.ID): 2}})
	// Live changes while the replay runs.
	if got := al.call("DELETE", reactPath(r.ID, m2.ID, "❤️"), nil); got.Status != 409 { // a tombstone has no reactions
		t.Errorf("unreact on a deleted message = %d, want 409", got.Status)
	}
	al.must(200, "PATCH", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m1.ID), map[string]any{"content": "one, again"}, nil)
	es := sr.sequenced(r.ID, 2, 7)
	if got, want := types(es), "message_edited reaction_added message message_deleted message_edited"; got != want {
		t.Fatalf("resumed %s, want %s", got, want)
	}
	if es[4].Content != "one, again" {
		t.Errorf("last edit %+v", es[4])
	}
	sr.none(300*time.Millisecond, "message", "message_edited", "message_deleted", "reaction_added", "reaction_removed")
}

// TestScheduledAcrossRestart: a message scheduled a few seconds ahead is
// delivered exactly once, with a normal seq, by one of two instances'
// workers (scale-out) — also when the instance that scheduled it restarts
// in between — and in embedded mode by the restarted server when its time
// passed while it was down.
func TestScheduledAcrossRestart(t *testing.T) {
	t.Run("scale-out", func(t *testing.T) {
		env := map[string]string{
			"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
			"JWT_SECRET": "e2e-secret-e2e-secret-e2e-secret-0123", "DATA_DIR": t.TempDir(), "UPLOAD_PATH": t.TempDir(),
			"WORKERS": "2", "ADDR": proc.FreeAddr(t),
		}
		a := start(t, env)
		envB := map[string]string{}
		for k, v := range env {
			envB[k] = v
		}
		envB["ADDR"] = proc.FreeAddr(t)
		b := start(t, envB)
		scheduledOnce(t, a, b, func() *server {
			if err := a.stop(); err != nil {
				t.Fatal(err)
			}
			return start(t, env)
		})
	})
	t.Run("embedded", func(t *testing.T) {
		env := map[string]string{"DATA_DIR": t.TempDir(), "ADDR": proc.FreeAddr(t), "WORKERS": "2"}
		s := start(t, env)
		scheduledOnce(t, s, s, func() *server {
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(7 * time.Second) // the send time passes while it is down
			return start(t, env)
		})
	})
}

func scheduledOnce(t *testing.T, a, watcher *server, restart func() *server) {
	alice := newUser(t, a, "alice")
	r := alice.createRoom("later", false)
	alice.send(r.ID, map[string]any{"content": "before"})
	var sc struct {
		ID     int64  `json:"id"`
		SendAt string `json:"send_at"`
	}
	at := time.Now().Add(6 * time.Second).UTC()
	alice.must(202, "POST", fmt.Sprintf("/rooms/%d/messages", r.ID), map[string]any{"content": "on time", "send_at": at.Format(time.RFC3339Nano)}, &sc)
	var list []struct{ ID int64 }
	alice.must(200, "GET", "/scheduled", nil, &list)
	if len(list) != 1 || list[0].ID != sc.ID {
		t.Fatalf("pending %+v", list)
	}
	s := restart()
	al := alice.on(s)
	deadline := time.Now().Add(45 * time.Second)
	for {
		var ms []convMessage
		al.must(200, "GET", fmt.Sprintf("/rooms/%d/messages?after_seq=0", r.ID), nil, &ms)
		n := 0
		for _, m := range ms {
			if m.Content == "on time" {
				n++
				if m.ClientID != fmt.Sprintf("scheduled-%d", sc.ID) || m.Seq != 2 {
					t.Errorf("delivered %+v", m)
				}
			}
		}
		if n > 1 {
			t.Fatalf("delivered %d times", n)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered 45 s after its time; pending: %s", al.call("GET", "/scheduled", nil).Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a second delivery would have shown by now
	var ms []convMessage
	alice.on(watcher).must(200, "GET", fmt.Sprintf("/rooms/%d/messages?after_seq=0", r.ID), nil, &ms)
	if len(ms) != 2 {
		t.Errorf("history has %d messages, want 2", len(ms))
	}
	al.must(200, "GET", "/scheduled", nil, &list)
	if len(list) != 0 {
		t.Errorf("still pending: %+v", list)
	}
}

// TestDeletedMessageFilesPurged: a deleted message's files leave the disk
// (a job removes them).
func TestDeletedMessageFilesPurged(t *testing.T) {
	dir := t.TempDir()
	s := start(t, map[string]string{"DATA_DIR": dir})
	alice := newUser(t, s, "alice")
	r := alice.createRoom("files", false)
	count := func() int {
		n := 0
		filepath.WalkDir(filepath.Join(dir, "uploads"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	before := count()
	f := alice.share(r.ID, "gone.txt", "text/plain", []byte("to be purged"))
	m := alice.send(r.ID, map[string]any{"content": "with a file", "file_ids": []int64{f.ID}})
	if count() != before+1 {
		t.Fatalf("files on disk %d, want %d", count(), before+1)
	}
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, m.ID), nil, nil)
	deadline := time.Now().Add(20 * time.Second)
	for count() != before {
		if time.Now().After(deadline) {
			t.Fatalf("the deleted message's file is still on disk (%d files)", count())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
