package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

func decodeBody(t *testing.T, w *httptest.ResponseRecorder) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
	}
	return v
}

// checkProblem asserts a problem+json answer with the status and code.
func checkProblem(t *testing.T, w *httptest.ResponseRecorder, status int, code string) map[string]any {
	t.Helper()
	if w.Code != status {
		t.Errorf("status = %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != MIMEProblem {
		t.Errorf("Content-Type = %q, want %q", ct, MIMEProblem)
	}
	var p map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem %q is not JSON: %v", w.Body.String(), err)
	}
	want := map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": float64(status), "code": code}
	got := map[string]any{"type": p["type"], "title": p["title"], "status": p["status"], "code": p["code"]}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problem (-want +got):\n%s", d)
	}
	if s, _ := p["detail"].(string); s == "" {
		t.Errorf("problem has no detail: %v", p)
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want Bearer", w.Header().Get("WWW-Authenticate"))
	}
	return p
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantDetail string
	}{
		{"invalid", domain.Errorf(domain.Invalid, "invalid_room_name", "room name must be 1 to 80 characters"), 422, "invalid_room_name", "room name must be 1 to 80 characters"},
		{"unauthenticated", domain.Errorf(domain.Unauthenticated, "", "who are you"), 401, "unauthenticated", "who are you"},
		{"forbidden", domain.Errorf(domain.Forbidden, "private_room", "this room is private"), 403, "private_room", "this room is private"},
		{"not found", domain.Errorf(domain.NotFound, "room_not_found", "no such room"), 404, "room_not_found", "no such room"},
		{"conflict", domain.Errorf(domain.Conflict, "username_taken", "username is taken"), 409, "username_taken", "username is taken"},
		{"rate limited", domain.Errorf(domain.TooMany, "rate_limited", "slow down"), 429, "rate_limited", "slow down"},
		{"file too large", domain.Errorf(domain.TooMany, "file_too_large", "file is larger than 5 bytes"), 413, "file_too_large", "file is larger than 5 bytes"},
		{"unavailable", domain.Wrap(domain.Unavailable, "store_down", "try again later", errors.New("dial tcp: refused")), 503, "store_down", "try again later"},
		{"unsupported", domain.Errorf(domain.Unsupported, "unsupported_image", "not an image"), 415, "unsupported_image", "not an image"},
		{"internal", domain.Wrap(domain.Internal, "db", "secret cause", errors.New("pq: password for postgres")), 500, "internal", "internal error"},
		{"foreign", errors.New("pq: connection reset"), 500, "internal", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.rooms.err = tt.err
			w := f.do(t, request{method: "GET", path: "/rooms/5", auth: true})
			p := checkProblem(t, w, tt.wantStatus, tt.wantCode)
			if p["detail"] != tt.wantDetail {
				t.Errorf("detail = %q, want %q", p["detail"], tt.wantDetail)
			}
			if tt.wantStatus == 500 {
				logs := f.logs.String()
				if strings.Count(logs, `"msg":"request failed"`) != 1 || !strings.Contains(logs, w.Header().Get("X-Request-ID")) {
					t.Errorf("internal error not logged once with the request id:\n%s", logs)
				}
				if strings.Contains(w.Body.String(), "pq:") {
					t.Errorf("cause leaked to the client: %s", w.Body)
				}
			}
		})
	}
}

func TestPanicIs500(t *testing.T) {
	f := newFixture(t, nil)
	f.rooms.panicMsg = "boom"
	w := f.do(t, request{method: "GET", path: "/rooms", auth: true})
	checkProblem(t, w, 500, "internal")
	if logs := f.logs.String(); !strings.Contains(logs, "panic: boom") || !strings.Contains(logs, `"status":500`) {
		t.Errorf("panic not logged, or access log lacks the 500:\n%s", logs)
	}
	// The server keeps serving.
	f.rooms.panicMsg = ""
	if w := f.do(t, request{method: "GET", path: "/rooms", auth: true}); w.Code != 200 {
		t.Errorf("after a panic: status %d", w.Code)
	}
}

func TestLogin(t *testing.T) {
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	_ = mw.WriteField("username", "alice")
	_ = mw.WriteField("password", "correct horse")
	_ = mw.Close()

	tests := []struct {
		name        string
		body        string
		contentType string
		wantStatus  int
	}{
		{"json", `{"username":"alice","password":"correct horse"}`, "application/json", 200},
		{"json charset", `{"username":"alice","password":"correct horse"}`, "application/json; charset=utf-8", 200},
		{"json without content type", `{"username":"alice","password":"correct horse"}`, "", 200},
		{"oauth2 form", "grant_type=password&username=alice&password=correct+horse", "application/x-www-form-urlencoded", 200},
		{"multipart form", multi.String(), mw.FormDataContentType(), 200},
		{"wrong password json", `{"username":"alice","password":"nope"}`, "application/json", 401},
		{"wrong password form", "username=alice&password=nope", "application/x-www-form-urlencoded", 401},
		{"malformed json", `{"username":`, "application/json", 400},
		{"plain text", "alice:correct horse", "text/plain", 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			w := f.do(t, request{method: "POST", path: "/auth/login", body: tt.body, contentType: tt.contentType})
			switch tt.wantStatus {
			case 200:
				if w.Code != 200 {
					t.Fatalf("status = %d, body %s", w.Code, w.Body)
				}
				want := map[string]any{"access_token": aliceToken, "token_type": "bearer", "expires_in": float64(86400)}
				if d := cmp.Diff(want, decodeBody(t, w)); d != "" {
					t.Errorf("token (-want +got):\n%s", d)
				}
				if got := w.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", got)
				}
			case 401:
				checkProblem(t, w, 401, "invalid_credentials")
			case 400:
				checkProblem(t, w, 400, "malformed_request")
			case 415:
				checkProblem(t, w, 415, "unsupported_media_type")
			}
		})
	}
}

func TestMalformedRequests(t *testing.T) {
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name       string
		rq         request
		wantStatus int
		wantCode   string
	}{
		{"malformed json", request{method: "POST", path: "/rooms", body: `{"name":`, auth: true}, 400, "malformed_request"},
		{"not an object", request{method: "POST", path: "/rooms", body: `["general"]`, auth: true}, 400, "malformed_request"},
		{"wrong field type", request{method: "POST", path: "/rooms", body: `{"name":"a","is_private":"yes"}`, auth: true}, 400, "malformed_request"},
		{"trailing garbage", request{method: "POST", path: "/rooms", body: `{"name":"a"} {"name":"b"}`, auth: true}, 400, "malformed_request"},
		{"trailing junk bytes", request{method: "POST", path: "/rooms", body: `{"name":"a"}xyz`, auth: true}, 400, "malformed_request"},
		{"empty body", request{method: "POST", path: "/rooms", auth: true}, 400, "malformed_request"},
		{"invalid utf-8 in a string", request{method: "POST", path: "/rooms", body: "{\"name\":\"gen\xffral\"}", auth: true}, 400, "invalid_utf8"},
		{"invalid utf-8 in a message", request{method: "POST", path: "/rooms/1/messages", body: "{\"content\":\"private \xc3\"}", auth: true}, 400, "invalid_utf8"},
		{"invalid utf-8 in a profile", request{method: "PATCH", path: "/users/me", body: "{\"display_name\":\"\xed\xa0\x80\"}", auth: true}, 400, "invalid_utf8"},
		{"invalid utf-8 in a registration", request{method: "POST", path: "/auth/register", body: "{\"username\":\"bob\",\"password\":\"\xffpassword\"}"}, 400, "invalid_utf8"},
		{"bad media type", request{method: "POST", path: "/rooms", body: `{"name":"a"}`, contentType: "text/plain", auth: true}, 415, "unsupported_media_type"},
		{"unparsable content type", request{method: "POST", path: "/rooms", body: `{"name":"a"}`, contentType: "json/;;", auth: true}, 400, "malformed_request"},
		{"form to a json route", request{method: "POST", path: "/auth/register", body: "username=bob", contentType: "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"oversized body", request{method: "POST", path: "/rooms", body: big, contentType: "application/json", auth: true}, 413, "body_too_large"},
		{"oversized login", request{method: "POST", path: "/auth/login", body: "username=" + strings.Repeat("a", 1<<20+1), contentType: "application/x-www-form-urlencoded"}, 413, "body_too_large"},
		{"non-numeric room id", request{method: "GET", path: "/rooms/abc", auth: true}, 400, "invalid_id"},
		{"zero room id", request{method: "GET", path: "/rooms/0/messages", auth: true}, 400, "invalid_id"},
		{"negative room id", request{method: "POST", path: "/rooms/-4/join", auth: true}, 400, "invalid_id"},
		{"overflowing room id", request{method: "DELETE", path: "/rooms/99999999999999999999/leave", auth: true}, 400, "invalid_id"},
		{"non-numeric before", request{method: "GET", path: "/rooms/1/messages?before=x", auth: true}, 400, "malformed_request"},
		{"non-numeric limit", request{method: "GET", path: "/rooms/1/messages?limit=ten", auth: true}, 400, "malformed_request"},
		{"string user id", request{method: "POST", path: "/rooms/1/members", body: `{"user_id":"2"}`, auth: true}, 400, "malformed_request"},
		{"unknown route", request{method: "GET", path: "/nope", auth: true}, 404, "not_found"},
		{"wrong method", request{method: "PUT", path: "/rooms", auth: true}, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			checkProblem(t, f.do(t, tt.rq), tt.wantStatus, tt.wantCode)
			if f.rooms.gotActor != 0 || f.messages.gotActor != 0 {
				t.Errorf("a use case ran for a malformed request")
			}
		})
	}
}

// TestOversizedChunkedBody covers a body without Content-Length: the limit
// is enforced while reading.
func TestOversizedChunkedBody(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"content":"` + strings.Repeat("x", 1<<20) + `"}`
	r := httptest.NewRequest("POST", "/rooms/1/messages", struct{ *strings.Reader }{strings.NewReader(body)})
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+aliceToken)
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	checkProblem(t, w, 413, "body_too_large")
}

func TestAuthRequired(t *testing.T) {
	protected := []request{
		{method: "GET", path: "/users/me"},
		{method: "PATCH", path: "/users/me", body: `{}`},
		{method: "POST", path: "/rooms", body: `{"name":"a"}`},
		{method: "GET", path: "/rooms"},
		{method: "GET", path: "/rooms/1"},
		{method: "PATCH", path: "/rooms/1", body: `{"name":"x"}`},
		{method: "DELETE", path: "/rooms/1"},
		{method: "POST", path: "/rooms/1/owner", body: `{"user_id":2}`},
		{method: "POST", path: "/rooms/1/join"},
		{method: "DELETE", path: "/rooms/1/leave"},
		{method: "GET", path: "/rooms/1/members"},
		{method: "POST", path: "/rooms/1/members", body: `{"user_id":2}`},
		{method: "GET", path: "/rooms/1/messages"},
		{method: "POST", path: "/rooms/1/messages", body: `{"content":"hi"}`},
		{method: "POST", path: "/auth/logout"},
		{method: "POST", path: "/auth/logout-all"},
		{method: "PUT", path: "/users/me/password", body: `{"current_password":"a","new_password":"b"}`},
		{method: "DELETE", path: "/users/me", body: `{"password":"a"}`},
		{method: "POST", path: "/ws/tickets"},
	}
	credentials := []struct {
		name     string
		header   []string
		wantCode string
	}{
		{"absent", nil, "missing_token"},
		{"empty bearer", []string{"Authorization: Bearer "}, "missing_token"},
		{"basic", []string{"Authorization: Basic YWxpY2U6eA=="}, "missing_token"},
		{"garbage", []string{"Authorization: Bearer not.a.jwt"}, "invalid_token"},
	}
	for _, rq := range protected {
		for _, c := range credentials {
			t.Run(rq.method+" "+rq.path+" "+c.name, func(t *testing.T) {
				f := newFixture(t, nil)
				rq.header = c.header
				checkProblem(t, f.do(t, rq), 401, c.wantCode)
			})
		}
	}
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		f := newFixture(t, nil)
		w := f.do(t, request{method: "GET", path: "/users/me", header: []string{"Authorization: bearer " + aliceToken}})
		if w.Code != 200 {
			t.Errorf("status = %d, body %s", w.Code, w.Body)
		}
	})
}

func TestHandlers(t *testing.T) {
	wantAlice := map[string]any{"id": float64(1), "username": "alice", "display_name": "Alice", "bio": "hi", "avatar_url": nil, "created_at": "2026-01-02T02:04:05.000000Z", "read_receipts": true}
	wantRoom := func(id float64, name string) map[string]any {
		return map[string]any{"id": id, "name": name, "description": "", "is_private": false, "owner_id": float64(9), "created_at": "2026-01-02T02:04:05.000000Z",
			"kind": "room", "edit_window": float64(0)}
	}
	tests := []struct {
		name       string
		setup      func(*fixture)
		rq         request
		wantStatus int
		wantBody   any // nil: no body
		check      func(*testing.T, *fixture)
	}{
		{
			name:       "register",
			rq:         request{method: "POST", path: "/auth/register", body: `{"username":"bob","password":"p4ssword!","email":"bob@example.com","extra":1}`},
			wantStatus: 201,
			wantBody:   map[string]any{"id": float64(7), "username": "bob", "display_name": "bob", "bio": "", "avatar_url": nil, "created_at": "2026-01-02T02:04:05.000000Z", "read_receipts": true},
			check: func(t *testing.T, f *fixture) {
				if d := cmp.Diff(user.Registration{Username: "bob", Password: "p4ssword!", Email: "bob@example.com"}, f.users.gotReg); d != "" {
					t.Errorf("registration (-want +got):\n%s", d)
				}
			},
		},
		{
			name:       "me",
			rq:         request{method: "GET", path: "/users/me", auth: true},
			wantStatus: 200,
			wantBody:   wantAlice,
			check: func(t *testing.T, f *fixture) {
				if f.users.gotActor != aliceID {
					t.Errorf("actor = %d", f.users.gotActor)
				}
			},
		},
		{
			name:       "patch me",
			rq:         request{method: "PATCH", path: "/users/me", body: `{"bio":"new"}`, auth: true},
			wantStatus: 200,
			wantBody:   map[string]any{"id": float64(1), "username": "alice", "display_name": "Alice", "bio": "new", "avatar_url": nil, "created_at": "2026-01-02T02:04:05.000000Z", "read_receipts": true},
			check: func(t *testing.T, f *fixture) {
				if f.users.gotPatch.DisplayName != nil || f.users.gotPatch.Bio == nil || *f.users.gotPatch.Bio != "new" {
					t.Errorf("patch = %+v; want only bio", f.users.gotPatch)
				}
			},
		},
		{
			name:       "create room",
			rq:         request{method: "POST", path: "/rooms", body: `{"name":"secret","description":"d","is_private":true}`, auth: true},
			wantStatus: 201,
			wantBody: map[string]any{"id": float64(3), "name": "secret", "description": "d", "is_private": true, "owner_id": float64(1), "created_at": "2026-01-02T02:04:05.000000Z",
				"kind": "room", "edit_window": float64(0)},
			check: func(t *testing.T, f *fixture) {
				if d := cmp.Diff(room.Spec{Name: "secret", Description: "d", IsPrivate: true}, f.rooms.gotSpec); d != "" {
					t.Errorf("spec (-want +got):\n%s", d)
				}
			},
		},
		{
			name:       "list no rooms",
			rq:         request{method: "GET", path: "/rooms", auth: true},
			wantStatus: 200,
			wantBody:   []any{},
		},
		{
			name: "list rooms",
			setup: func(f *fixture) {
				f.rooms.rooms = []room.Listing{
					{Room: room.Room{ID: 1, Name: "a", OwnerID: 9, CreatedAt: created}, IsMember: true, Standing: room.Standing{LastSeq: 9, LastReadSeq: 4, Unread: 3, Mentions: 1}},
					{Room: room.Room{ID: 2, Name: "b", OwnerID: 9, CreatedAt: created}, Standing: room.Standing{LastSeq: 7}},
				}
			},
			rq:         request{method: "GET", path: "/rooms", auth: true},
			wantStatus: 200,
			wantBody: []any{
				withField(withField(withField(withField(withField(wantRoom(1, "a"), "is_member", true), "last_seq", float64(9)), "last_read_seq", float64(4)), "unread_count", float64(3)), "mention_count", float64(1)),
				withField(withField(withField(withField(withField(wantRoom(2, "b"), "is_member", false), "last_seq", float64(7)), "last_read_seq", float64(0)), "unread_count", float64(0)), "mention_count", float64(0)),
			},
		},
		{
			name:       "get room",
			rq:         request{method: "GET", path: "/rooms/42", auth: true},
			wantStatus: 200,
			wantBody:   wantRoom(42, "general"),
		},
		{
			name:       "join",
			rq:         request{method: "POST", path: "/rooms/42/join", auth: true},
			wantStatus: 204,
			check:      func(t *testing.T, f *fixture) { checkRoomCall(t, f, 42) },
		},
		{
			name:       "leave",
			rq:         request{method: "DELETE", path: "/rooms/42/leave", auth: true},
			wantStatus: 204,
			check:      func(t *testing.T, f *fixture) { checkRoomCall(t, f, 42) },
		},
		{
			name: "members",
			setup: func(f *fixture) {
				f.rooms.members = []room.Member{{User: alice, Online: true, LastReadSeq: 5}, {User: user.User{ID: 2, Username: mustUsername("bob"), DisplayName: "bob", AvatarKey: "a/2/k.webp"}, LastReadSeq: -1}}
			},
			rq:         request{method: "GET", path: "/rooms/42/members", auth: true},
			wantStatus: 200,
			wantBody: []any{
				map[string]any{"id": float64(1), "username": "alice", "display_name": "Alice", "avatar_url": nil, "online": true, "last_read_seq": float64(5)},
				map[string]any{"id": float64(2), "username": "bob", "display_name": "bob", "avatar_url": "/avatars/2/k.webp?u=1&exp=1&sig=s", "online": false},
			},
		},
		{
			name:       "add a member who is one already",
			setup:      func(f *fixture) { f.rooms.already = true },
			rq:         request{method: "POST", path: "/rooms/42/members", body: `{"username":"bob"}`, auth: true},
			wantStatus: 200,
			wantBody:   map[string]any{"already_member": true},
		},
		{
			name:       "mark read",
			setup:      func(f *fixture) { f.rooms.standing = room.Standing{LastSeq: 9, LastReadSeq: 7, Unread: 2} },
			rq:         request{method: "POST", path: "/rooms/42/read", body: `{"seq":7}`, auth: true},
			wantStatus: 200,
			wantBody:   map[string]any{"room_id": float64(42), "last_seq": float64(9), "last_read_seq": float64(7), "unread_count": float64(2)},
			check: func(t *testing.T, f *fixture) {
				checkRoomCall(t, f, 42)
				if f.rooms.gotSeq != 7 {
					t.Errorf("seq = %d, want 7", f.rooms.gotSeq)
				}
			},
		},
		{
			name:       "mark everything read",
			rq:         request{method: "POST", path: "/rooms/42/read", auth: true},
			wantStatus: 200,
			wantBody:   map[string]any{"room_id": float64(42), "last_seq": float64(0), "last_read_seq": float64(0), "unread_count": float64(0)},
			check: func(t *testing.T, f *fixture) {
				if f.rooms.gotSeq != math.MaxInt64 {
					t.Errorf("seq = %d, want the newest", f.rooms.gotSeq)
				}
			},
		},
		{
			name:       "add member",
			rq:         request{method: "POST", path: "/rooms/42/members", body: `{"user_id":2}`, auth: true},
			wantStatus: 204,
			check: func(t *testing.T, f *fixture) {
				checkRoomCall(t, f, 42)
				if f.rooms.gotUser != 2 {
					t.Errorf("user = %d, want 2", f.rooms.gotUser)
				}
			},
		},
		{
			name: "history",
			setup: func(f *fixture) {
				f.messages.history = []message.Message{{ID: 9, RoomID: 42, Seq: 3, UserID: 1, Username: "alice", Content: "hi", CreatedAt: created}}
			},
			rq:         request{method: "GET", path: "/rooms/42/messages?before=10&limit=20", auth: true},
			wantStatus: 200,
			wantBody:   []any{map[string]any{"id": float64(9), "room_id": float64(42), "seq": float64(3), "user_id": float64(1), "username": "alice", "content": "hi", "created_at": "2026-01-02T02:04:05.000000Z"}},
			check: func(t *testing.T, f *fixture) {
				if d := cmp.Diff(message.Page{Before: 10, Limit: 20}, f.messages.gotPage); d != "" {
					t.Errorf("page (-want +got):\n%s", d)
				}
			},
		},
		{
			name:       "catch-up",
			rq:         request{method: "GET", path: "/rooms/42/messages?after_seq=7", auth: true},
			wantStatus: 200,
			wantBody:   []any{},
			check: func(t *testing.T, f *fixture) {
				if d := cmp.Diff(message.Page{AfterSeq: 7, Forward: true}, f.messages.gotPage); d != "" {
					t.Errorf("page (-want +got):\n%s", d)
				}
			},
		},
		{
			name:       "catch-up from the start",
			rq:         request{method: "GET", path: "/rooms/42/messages?after_seq=0", auth: true},
			wantStatus: 200,
			wantBody:   []any{},
			check: func(t *testing.T, f *fixture) {
				if d := cmp.Diff(message.Page{Forward: true}, f.messages.gotPage); d != "" {
					t.Errorf("page (-want +got):\n%s", d)
				}
			},
		},
		{
			name:       "send",
			rq:         request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","client_id":"c-1"}`, auth: true},
			wantStatus: 201,
			wantBody:   map[string]any{"id": float64(11), "room_id": float64(42), "seq": float64(4), "user_id": float64(1), "username": "alice", "content": "hello", "client_id": "c-1", "created_at": "2026-01-02T02:04:05.000000Z"},
			check: func(t *testing.T, f *fixture) {
				if f.messages.gotActor != aliceID || f.messages.gotRoom != 42 {
					t.Errorf("send by %d in %d", f.messages.gotActor, f.messages.gotRoom)
				}
				if d := cmp.Diff(message.Draft{Content: "hello", ClientID: "c-1"}, f.messages.gotDraft); d != "" {
					t.Errorf("draft (-want +got):\n%s", d)
				}
			},
		},
		{
			name:       "healthz",
			rq:         request{method: "GET", path: "/healthz"},
			wantStatus: 200,
			wantBody:   map[string]any{"status": "ok"},
		},
		{
			name:       "readyz",
			rq:         request{method: "GET", path: "/readyz"},
			wantStatus: 200,
			wantBody:   map[string]any{"status": "ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.Links = wire.NewLinks(&fakeSigner{}, 0, nil)
			})
			if tt.setup != nil {
				tt.setup(f)
			}
			w := f.do(t, tt.rq)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantBody == nil {
				if w.Body.Len() != 0 {
					t.Errorf("body = %q, want none", w.Body)
				}
			} else {
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type = %q", ct)
				}
				if d := cmp.Diff(tt.wantBody, decodeBody(t, w)); d != "" {
					t.Errorf("body (-want +got):\n%s", d)
				}
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func checkRoomCall(t *testing.T, f *fixture, id room.ID) {
	t.Helper()
	if f.rooms.gotActor != aliceID || f.rooms.gotRoom != id {
		t.Errorf("rooms called with actor %d room %d; want %d, %d", f.rooms.gotActor, f.rooms.gotRoom, aliceID, id)
	}
}

func TestMemberRoutes(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/rooms/5/members", `{"user_id":8}`, 204},
		{"POST", "/rooms/5/members", `{"username":"Bob"}`, 204},
		{"POST", "/rooms/5/members", `{}`, 422},
		{"POST", "/rooms/5/members", `{"user_id":8,"username":"bob"}`, 422},
		{"DELETE", "/rooms/5/members/9", "", 204},
		{"DELETE", "/rooms/5/members/x", "", 400},
	} {
		ct := ""
		if tc.body != "" {
			ct = "application/json"
		}
		rec := f.do(t, request{method: tc.method, path: tc.path, body: tc.body, contentType: ct, auth: true})
		if rec.Code != tc.want {
			t.Errorf("%s %s %s = %d %s, want %d", tc.method, tc.path, tc.body, rec.Code, rec.Body, tc.want)
		}
	}
	if f.rooms.gotName != "Bob" || f.rooms.gotUser != 9 {
		t.Errorf("got name %q user %d", f.rooms.gotName, f.rooms.gotUser)
	}
}

// withField returns a copy of m with k set to v.
func withField(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

func TestRoomKeepingRoutes(t *testing.T) {
	yes := true
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name       string
		method     string
		path, body string
		wantStatus int
		wantBody   any
		check      func(t *testing.T, f *fixture)
	}{
		{
			name: "rename", method: "PATCH", path: "/rooms/5", body: `{"name":"random","is_private":true}`, wantStatus: 200,
			wantBody: map[string]any{"id": float64(5), "name": "random", "description": "", "is_private": true, "owner_id": float64(aliceID), "created_at": "2026-01-02T02:04:05.000000Z",
				"kind": "room", "edit_window": float64(0)},
			check: func(t *testing.T, f *fixture) {
				if d := cmp.Diff(room.Patch{Name: str("random"), IsPrivate: &yes}, f.rooms.gotPatch); d != "" {
					t.Errorf("patch (-want +got):\n%s", d)
				}
			},
		},
		{
			name: "absent fields stay nil", method: "PATCH", path: "/rooms/5", body: `{"description":""}`, wantStatus: 200,
			check: func(t *testing.T, f *fixture) {
				if d := cmp.Diff(room.Patch{Description: str("")}, f.rooms.gotPatch); d != "" {
					t.Errorf("patch (-want +got):\n%s", d)
				}
			},
		},
		{name: "patch with a bad name", method: "PATCH", path: "/rooms/5", body: `{"name":"\u202egnp.exe"}`, wantStatus: 422},
		{name: "patch with a wrong type", method: "PATCH", path: "/rooms/5", body: `{"is_private":"yes"}`, wantStatus: 400},
		{
			name: "transfer", method: "POST", path: "/rooms/5/owner", body: `{"user_id":8}`, wantStatus: 200,
			wantBody: map[string]any{"id": float64(5), "name": "general", "description": "", "is_private": false, "owner_id": float64(8), "created_at": "2026-01-02T02:04:05.000000Z",
				"kind": "room", "edit_window": float64(0)},
			check: func(t *testing.T, f *fixture) {
				if f.rooms.gotUser != 8 {
					t.Errorf("new owner = %d, want 8", f.rooms.gotUser)
				}
			},
		},
		{name: "transfer to nobody", method: "POST", path: "/rooms/5/owner", body: `{}`, wantStatus: 422},
		{name: "delete", method: "DELETE", path: "/rooms/5", wantStatus: 204},
		{name: "delete a bad id", method: "DELETE", path: "/rooms/x", wantStatus: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ct := ""
			if tc.body != "" {
				ct = "application/json"
			}
			w := f.do(t, request{method: tc.method, path: tc.path, body: tc.body, contentType: ct, auth: true})
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d %s, want %d", w.Code, w.Body, tc.wantStatus)
			}
			if tc.wantBody != nil {
				if d := cmp.Diff(tc.wantBody, decodeBody(t, w)); d != "" {
					t.Errorf("body (-want +got):\n%s", d)
				}
			}
			if tc.wantStatus < 300 {
				checkRoomCall(t, f, 5)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}
