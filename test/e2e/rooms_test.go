package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// privateRoomsHidden: on every room-scoped route, an outsider asking about
// a private room gets exactly what a room that does not exist answers.
func privateRoomsHidden(t *testing.T, c cluster) {
	owner, outsider := newUser(t, c.A, "owner"), newUser(t, c.B, "outsider")
	priv := owner.createRoom("hidden", true)
	file := owner.share(priv.ID, "secret.txt", "", []byte("secret words"))
	missing := priv.ID + 1_000_000
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/rooms/%d", nil},
		{"PATCH", "/rooms/%d", map[string]any{"name": "mine now"}},
		{"DELETE", "/rooms/%d", nil},
		{"POST", "/rooms/%d/owner", map[string]any{"user_id": outsider.ID}},
		{"POST", "/rooms/%d/join", nil},
		{"DELETE", "/rooms/%d/leave", nil},
		{"GET", "/rooms/%d/members", nil},
		{"POST", "/rooms/%d/members", map[string]any{"user_id": outsider.ID}},
		{"DELETE", "/rooms/%d/members/" + fmt.Sprint(owner.ID), nil},
		{"GET", "/rooms/%d/messages", nil},
		{"GET", "/rooms/%d/messages?before=5", nil},
		{"GET", "/rooms/%d/messages?after_seq=0", nil},
		{"POST", "/rooms/%d/messages", map[string]any{"content": "hello?"}},
		{"GET", "/rooms/%d/files", nil},
	} {
		got := outsider.call(tc.method, fmt.Sprintf(tc.path, priv.ID), tc.body)
		want := outsider.call(tc.method, fmt.Sprintf(tc.path, missing), tc.body)
		if got.Status != 404 || want.Status != 404 || !bytes.Equal(got.Body, want.Body) {
			t.Errorf("%s %s: private room %d %s; missing room %d %s", tc.method, tc.path, got.Status, got.Body, want.Status, want.Body)
		}
	}
	got := outsider.upload(fmt.Sprintf("/rooms/%d/files", priv.ID), "x.txt", "", []byte("x"))
	want := outsider.upload(fmt.Sprintf("/rooms/%d/files", missing), "x.txt", "", []byte("x"))
	if got.Status != 404 || !bytes.Equal(got.Body, want.Body) {
		t.Errorf("upload: private room %d %s; missing room %d %s", got.Status, got.Body, want.Status, want.Body)
	}
	dialBody := func(room int64) (int, []byte) {
		_, resp, err := outsider.tryDial(room, "")
		if err == nil || resp == nil {
			t.Fatalf("outsider's socket to room %d: %v", room, err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	gs, gb := dialBody(priv.ID)
	ws, wb := dialBody(missing)
	if gs != 404 || ws != 404 || !bytes.Equal(gb, wb) {
		t.Errorf("socket: private room %d %s; missing room %d %s", gs, gb, ws, wb)
	}
	dl := outsider.call("GET", fmt.Sprintf("/files/%d", file.ID), nil)
	dlMissing := outsider.call("GET", fmt.Sprintf("/files/%d", file.ID+1_000_000), nil)
	if dl.Status != 404 || !bytes.Equal(dl.Body, dlMissing.Body) {
		t.Errorf("download: private room's file %d %s; missing file %d %s", dl.Status, dl.Body, dlMissing.Status, dlMissing.Body)
	}
	// Nothing the outsider asked for happened.
	var r roomJSON
	owner.must(200, "GET", fmt.Sprintf("/rooms/%d", priv.ID), nil, &r)
	if r.Name != "hidden" || r.OwnerID != owner.ID {
		t.Errorf("room after the outsider's requests: %+v", r)
	}
	var members []struct{ ID int64 }
	owner.must(200, "GET", fmt.Sprintf("/rooms/%d/members", priv.ID), nil, &members)
	if len(members) != 1 {
		t.Errorf("members after the outsider's requests: %+v", members)
	}
}

// roomKeeping: the owner renames, hands over and deletes a room; members
// see it live on every instance; nobody else may.
func roomKeeping(t *testing.T, c cluster) {
	owner, member, outsider := newUser(t, c.A, "owner"), newUser(t, c.B, "member"), newUser(t, c.A, "outsider")
	pub := owner.createRoom("kept", false)
	priv := owner.createRoom("kept-private", true)
	member.must(204, "POST", fmt.Sprintf("/rooms/%d/join", pub.ID), nil, nil)
	owner.must(204, "POST", fmt.Sprintf("/rooms/%d/members", priv.ID), map[string]any{"user_id": member.ID}, nil)

	// Who may do what, before anything changes.
	for _, rm := range []roomJSON{pub, priv} {
		for _, route := range []struct {
			method, path string
			body         any
		}{
			{"PATCH", "/rooms/%d", map[string]any{"description": "not yours"}},
			{"POST", "/rooms/%d/owner", map[string]any{"user_id": outsider.ID}},
			{"DELETE", "/rooms/%d", nil},
		} {
			path := fmt.Sprintf(route.path, rm.ID)
			outsiderWant, outsiderCode := 403, "not_owner"
			if rm.IsPrivate {
				outsiderWant, outsiderCode = 404, "room_not_found"
			}
			for _, who := range []struct {
				name   string
				c      *client
				status int
				code   string
			}{
				{"anonymous", &client{t: t, base: c.A.URL}, 401, "missing_token"},
				{"outsider", outsider, outsiderWant, outsiderCode},
				{"member", member, 403, "not_owner"},
			} {
				r := who.c.call(route.method, path, route.body)
				var p struct{ Code string }
				_ = json.Unmarshal(r.Body, &p)
				if r.Status != who.status || p.Code != who.code {
					t.Errorf("%s %s %s (private %v) = %d %s, want %d %s", who.name, route.method, path, rm.IsPrivate, r.Status, r.Body, who.status, who.code)
				}
			}
		}
	}

	so := owner.dial(pub.ID, "")  // on A
	sm := member.dial(pub.ID, "") // on B
	var got roomJSON
	owner.must(200, "PATCH", fmt.Sprintf("/rooms/%d", pub.ID), map[string]any{"name": " kept renamed ", "description": "new words"}, &got)
	if got.Name != "kept renamed" || got.OwnerID != owner.ID {
		t.Fatalf("PATCH answered %+v", got)
	}
	for _, s := range []*socket{so, sm} {
		e := s.next("room_updated")
		if e.RoomID != pub.ID || e.Name != "kept renamed" || e.Description != "new words" || e.IsPrivate || e.OwnerID != owner.ID {
			t.Errorf("room_updated = %+v", e)
		}
	}
	if r := owner.call("PATCH", fmt.Sprintf("/rooms/%d", pub.ID), map[string]any{"name": "\u202egnp.exe"}); r.Status != 422 {
		t.Errorf("bidi room name: %d %s", r.Status, r.Body)
	}
	if r := owner.call("POST", fmt.Sprintf("/rooms/%d/owner", pub.ID), map[string]any{"user_id": outsider.ID}); r.Status != 404 || !strings.Contains(string(r.Body), "not_a_member") {
		t.Errorf("transfer to a non-member: %d %s", r.Status, r.Body)
	}
	owner.must(200, "POST", fmt.Sprintf("/rooms/%d/owner", pub.ID), map[string]any{"user_id": member.ID}, &got)
	if got.OwnerID != member.ID {
		t.Fatalf("transfer answered %+v", got)
	}
	if e := sm.next("room_updated"); e.OwnerID != member.ID {
		t.Errorf("room_updated after the transfer = %+v", e)
	}
	if r := owner.call("PATCH", fmt.Sprintf("/rooms/%d", pub.ID), map[string]any{"name": "still mine?"}); r.Status != 403 {
		t.Errorf("the old owner renamed the room: %d", r.Status)
	}

	// The new owner deletes it: its files go, every socket closes.
	f := member.share(pub.ID, "notes.txt", "", []byte("notes"))
	if r := fetch(t, c.A, f.FileURL, ""); r.Status != 200 {
		t.Fatalf("file link before the delete: %d", r.Status)
	}
	member.must(204, "DELETE", fmt.Sprintf("/rooms/%d", pub.ID), nil, nil)
	for _, s := range []*socket{so, sm} {
		if code := s.closeStatus(); code != 4403 {
			t.Errorf("socket of the deleted room closed with %d, want 4403", code)
		}
	}
	for _, who := range []*client{owner, member} {
		if r := who.call("GET", fmt.Sprintf("/rooms/%d", pub.ID), nil); r.Status != 404 {
			t.Errorf("deleted room: %d", r.Status)
		}
	}
	if r := fetch(t, c.B, f.FileURL, ""); r.Status != 404 {
		t.Errorf("file link after the delete: %d %s", r.Status, r.Body)
	}
	if _, resp, err := owner.tryDial(pub.ID, ""); err == nil || resp == nil || resp.StatusCode != 404 {
		t.Errorf("socket to a deleted room: %v", err)
	}
}

// ownerLeaves: the owner's leave hands the room to the member who joined
// first; the last member's leave deletes it.
func ownerLeaves(t *testing.T, c cluster) {
	owner, first, second := newUser(t, c.A, "owner"), newUser(t, c.B, "first"), newUser(t, c.A, "second")
	r := owner.createRoom("inherited", false)
	path := fmt.Sprintf("/rooms/%d", r.ID)
	first.must(204, "POST", path+"/join", nil, nil)
	second.must(204, "POST", path+"/join", nil, nil)
	ss := second.dial(r.ID, "")
	owner.must(204, "DELETE", path+"/leave", nil, nil)
	if e := ss.next("room_updated"); e.OwnerID != first.ID {
		t.Fatalf("room_updated after the owner left = %+v, want %d as owner", e, first.ID)
	}
	var got roomJSON
	second.must(200, "GET", path, nil, &got)
	if got.OwnerID != first.ID {
		t.Fatalf("owner after the owner left = %d, want %d", got.OwnerID, first.ID)
	}
	if r := owner.call("GET", path+"/messages", nil); r.Status != 403 {
		t.Errorf("the old owner still reads the room: %d", r.Status)
	}
	first.must(204, "DELETE", path+"/leave", nil, nil)
	if e := ss.next("room_updated"); e.OwnerID != second.ID {
		t.Fatalf("room_updated after the second owner left = %+v", e)
	}
	second.must(204, "DELETE", path+"/leave", nil, nil)
	for _, who := range []*client{owner, first, second} {
		if r := who.call("GET", path, nil); r.Status != 404 {
			t.Errorf("room after its last member left: %d %s", r.Status, r.Body)
		}
	}
}

type messageJSON struct {
	ID       int64  `json:"id"`
	RoomID   int64  `json:"room_id"`
	Content  string `json:"content"`
	ClientID string `json:"client_id"`
}

// clientIDPerRoom replays the lost message of the audit: a client_id used
// in one room and reused in another must not answer with the first.
func clientIDPerRoom(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	priv := alice.createRoom("dm", true)
	pub := alice.createRoom("lobby", false)
	var first, second, retry messageJSON
	alice.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", priv.ID), map[string]any{"content": "private text", "client_id": "dup-k1"}, &first)
	alice.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", pub.ID), map[string]any{"content": "public text", "client_id": "dup-k1"}, &second)
	if second.ID == first.ID || second.RoomID != pub.ID || second.Content != "public text" {
		t.Fatalf("the same client_id in another room answered %+v (first %+v)", second, first)
	}
	r := alice.call("POST", fmt.Sprintf("/rooms/%d/messages", pub.ID), map[string]any{"content": "other text", "client_id": "dup-k1"})
	if r.Status != 409 || !strings.Contains(string(r.Body), `"client_id_reused"`) {
		t.Errorf("the same client_id with other content: %d %s", r.Status, r.Body)
	}
	alice.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", pub.ID), map[string]any{"content": "public text", "client_id": "dup-k1"}, &retry)
	if retry.ID != second.ID {
		t.Errorf("a retry answered %d, want %d", retry.ID, second.ID)
	}
	var page []messageJSON
	alice.must(200, "GET", fmt.Sprintf("/rooms/%d/messages", pub.ID), nil, &page)
	if len(page) != 1 || page[0].Content != "public text" {
		t.Errorf("the public room holds %+v, want only the public text", page)
	}
	s := alice.on(c.B).dial(pub.ID, "")
	s.send(map[string]any{"type": "message", "content": "third text", "client_id": "dup-k1"})
	if e := s.next("error"); e.Code != "client_id_reused" {
		t.Errorf("socket reuse of a client_id: %+v", e)
	}
}

// textHygiene: invalid UTF-8 is refused, names cannot hide characters,
// invisible messages are empty.
func textHygiene(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("words", false)
	raw := func(cl *client, method, path, body string) response {
		return do(t, method, cl.base+path, cl.token, "application/json", strings.NewReader(body))
	}
	for _, tc := range []struct {
		who          *client
		method, path string
		body         string
		status       int
		code         string
	}{
		{alice, "POST", fmt.Sprintf("/rooms/%d/messages", r.ID), "{\"content\":\"caf\xe9\"}", 400, "invalid_utf8"},
		{alice, "POST", "/rooms", "{\"name\":\"\xff\xfe\"}", 400, "invalid_utf8"},
		{alice, "POST", "/rooms", `{"name":"\u202egnp.exe"}`, 422, "invalid_room_name"},
		{alice, "POST", "/rooms", `{"name":"ok","description":"a\u200bb"}`, 422, "invalid_room_description"},
		{bob, "PATCH", "/users/me", `{"display_name":"` + strings.ToUpper(alice.Name) + `"}`, 409, "display_name_taken"},
		{bob, "PATCH", "/users/me", `{"display_name":"bo\u200bb"}`, 422, "invalid_display_name"},
		{alice, "POST", fmt.Sprintf("/rooms/%d/messages", r.ID), `{"content":"\u200b\u200b \u200b"}`, 422, "empty_message"},
	} {
		got := raw(tc.who, tc.method, tc.path, tc.body)
		var p struct{ Code string }
		_ = json.Unmarshal(got.Body, &p)
		if got.Status != tc.status || p.Code != tc.code || !strings.Contains(got.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s %s %q = %d %s, want %d %s", tc.method, tc.path, tc.body, got.Status, got.Body, tc.status, tc.code)
		}
	}
	// The name as a browser sends it: raw UTF-8 in the part's header.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", "form-data; name=\"file\"; filename=\"\u202egnp.exe\"")
	part, _ := mw.CreatePart(h)
	part.Write([]byte("MZ not really"))
	mw.Close()
	up := do(t, "POST", alice.base+fmt.Sprintf("/rooms/%d/files", r.ID), alice.token, mw.FormDataContentType(), &mp)
	var f fileJSON
	up.decode(t, &f)
	if up.Status != 201 || f.Filename != "gnp.exe" {
		t.Errorf("file name stored as %q (%d), want gnp.exe", f.Filename, up.Status)
	}
	s := alice.dial(r.ID, "")
	s.sendRaw([]byte("{\"type\":\"message\",\"content\":\"a\xffb\"}"))
	if e := s.next("error"); e.Code != "invalid_utf8" {
		t.Errorf("invalid UTF-8 frame: %+v", e)
	}
	s.send(map[string]any{"type": "message", "content": "\u2066\u200b\u2069"})
	if e := s.next("error"); e.Code != "empty_message" {
		t.Errorf("invisible message frame: %+v", e)
	}
}

// edgeProblems: the answers written by net/http, http.ServeContent, the
// socket's origin check and the static handler are problem+json too; the
// page's CSP names no foreign host.
func edgeProblems(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "alice")
	r := alice.createRoom("edges", false)
	f := alice.share(r.ID, "digits.txt", "", []byte("0123456789"))
	isProblem := func(what string, status int, h http.Header, body []byte, code string) {
		t.Helper()
		var p struct {
			Status int
			Code   string
		}
		if err := json.Unmarshal(body, &p); err != nil || status != p.Status || p.Code != code || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %q %s, want a %s problem", what, status, h.Get("Content-Type"), body, code)
		}
	}

	req, _ := http.NewRequest("GET", c.B.URL+f.FileURL, nil)
	req.Header.Set("Range", "bytes=50-60")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 416 {
		t.Errorf("range past the end: %d", resp.StatusCode)
	}
	isProblem("range past the end", resp.StatusCode, resp.Header, body, "range_not_satisfiable")

	// Headers over net/http's limit (1 MiB): net/http answers by itself.
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.A.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	go io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 1100<<10)+"\r\n\r\n")
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("oversized headers: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 431 {
		t.Errorf("oversized headers: %d", resp.StatusCode)
	}
	isProblem("oversized headers", resp.StatusCode, resp.Header, body, "header_too_large")

	page := do(t, "GET", c.A.URL+"/no-such-page.html", "", "", nil)
	isProblem("a missing page", page.Status, page.Header, page.Body, "not_found")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, wresp, err := websocket.Dial(ctx, wsURL(c.A.URL, r.ID, "token="+url.QueryEscape(alice.token)), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"https://evil.example"}},
	})
	if err == nil || wresp == nil {
		t.Fatalf("a foreign origin opened a socket: %v", err)
	}
	body, _ = io.ReadAll(wresp.Body)
	isProblem("a foreign origin", wresp.StatusCode, wresp.Header, body, "origin_not_allowed")

	index := do(t, "GET", c.A.URL+"/", "", "", nil)
	csp := index.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self';") || !strings.Contains(csp, "form-action 'self'") || strings.Contains(csp, "ws:") {
		t.Errorf("CSP = %q, want connect-src 'self' only and form-action 'self'", csp)
	}
}

// TestEmbeddedDatabaseIsPrivate: chat.db and its WAL files are 0600 even in
// a DATA_DIR that existed before chatd started.
func TestEmbeddedDatabaseIsPrivate(t *testing.T) {
	dir := t.TempDir() // exists already, with the umask's permissions
	s := start(t, map[string]string{"DATA_DIR": dir})
	alice := newUser(t, s, "alice")
	alice.createRoom("written", false)
	for _, name := range []string{"chat.db", "chat.db-wal", "chat.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, mode)
		}
	}
}
