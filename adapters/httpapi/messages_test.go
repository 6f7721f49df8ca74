package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// routeCase is one request to a route of issue 15's and what it must
// answer: a status, a body (nil: not checked; for a problem, its code) and
// what the use case was asked.
type routeCase struct {
	name       string
	setup      func(*fixture)
	rq         request
	wantStatus int
	wantCode   string // a problem's code
	wantBody   any
	check      func(*testing.T, *fixture)
}

func runRouteCases(t *testing.T, cases []routeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Links = wire.NewLinks(&fakeSigner{}, 0, nil) })
			if tc.setup != nil {
				tc.setup(f)
			}
			tc.rq.auth = true
			if tc.rq.body != "" && tc.rq.contentType == "" {
				tc.rq.contentType = "application/json"
			}
			w := f.do(t, tc.rq)
			if tc.wantCode != "" {
				checkProblem(t, w, tc.wantStatus, tc.wantCode)
			} else if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			switch {
			case tc.wantStatus == http.StatusNoContent && w.Body.Len() != 0:
				t.Errorf("body = %q, want none", w.Body)
			case tc.wantBody != nil:
				if d := cmp.Diff(tc.wantBody, decodeBody(t, w)); d != "" {
					t.Errorf("body (-want +got):\n%s", d)
				}
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

// calls checks the use cases the request ran, in order (none: nil).
func calls(want ...string) func(*testing.T, *fixture) {
	return func(t *testing.T, f *fixture) {
		t.Helper()
		if d := cmp.Diff(want, f.messages.calls); d != "" {
			t.Errorf("use cases (-want +got):\n%s", d)
		}
	}
}

func both(checks ...func(*testing.T, *fixture)) func(*testing.T, *fixture) {
	return func(t *testing.T, f *fixture) {
		t.Helper()
		for _, c := range checks {
			c(t, f)
		}
	}
}

var wantMsg = map[string]any{"id": float64(11), "room_id": float64(42), "seq": float64(4), "user_id": float64(1), "username": "alice",
	"content": "hello", "created_at": "2026-01-02T02:04:05.000000Z"}

func TestSendMessageRoute(t *testing.T) {
	sendAt := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	draft := func(want message.Draft) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if d := cmp.Diff(want, f.messages.gotDraft); d != "" {
				t.Errorf("draft (-want +got):\n%s", d)
			}
			if f.messages.gotActor != aliceID || f.messages.gotRoom != 42 {
				t.Errorf("composed by %d in %d", f.messages.gotActor, f.messages.gotRoom)
			}
		}
	}
	eleven := "[" + strings.Repeat("1,", 10) + "1]"
	cases := []routeCase{
		{
			name: "reply with files", wantStatus: 201,
			rq: request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","reply_to":7,"file_ids":[5,6]}`},
			wantBody: withField(withField(wantMsg, "reply_to", map[string]any{"id": float64(7), "seq": float64(2), "user_id": float64(2),
				"username": "bob", "content": "parent", "deleted": false}), "files", []any{
				wantFile(5, "/files/5?u=1&exp=1&sig=s"), wantFile(6, "/files/6?u=1&exp=1&sig=s"),
			}),
			check: both(calls("Compose"), draft(message.Draft{Content: "hello", ReplyTo: 7, Files: []attachment.ID{5, 6}})),
		},
		{
			name: "scheduled", wantStatus: 202,
			rq: request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","reply_to":7,"send_at":"2026-03-04T06:06:07.89+01:00"}`},
			wantBody: map[string]any{"id": float64(5), "room_id": float64(42), "content": "hello", "reply_to": float64(7),
				"send_at": "2026-03-04T05:06:07.890000Z", "created_at": "2026-01-02T02:04:05.000000Z"},
			check: draft(message.Draft{Content: "hello", ReplyTo: 7, SendAt: sendAt}),
		},
		{
			name: "send_at null sends now", wantStatus: 201, wantBody: wantMsg,
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","send_at":null}`},
			check: draft(message.Draft{Content: "hello"}),
		},
		{
			name: "eleven files", wantStatus: 422, wantCode: "too_many_files",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","file_ids":` + eleven + `}`},
			check: calls(),
		},
		{
			name: "a file id of zero", wantStatus: 422, wantCode: "invalid_file_id",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","file_ids":[0]}`},
			check: calls(),
		},
		{
			name: "file ids not numbers", wantStatus: 400, wantCode: "malformed_request",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","file_ids":["5"]}`},
			check: calls(),
		},
		{
			name: "file ids not a list", wantStatus: 400, wantCode: "malformed_request",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","file_ids":5}`},
			check: calls(),
		},
		{
			name: "negative reply_to", wantStatus: 422, wantCode: "invalid_reply_to",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","reply_to":-3}`},
			check: calls(),
		},
		{
			name: "send_at not a time", wantStatus: 422, wantCode: "invalid_send_at",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","send_at":"tomorrow"}`},
			check: calls(),
		},
		{
			name: "send_at without a zone", wantStatus: 422, wantCode: "invalid_send_at",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","send_at":"2026-03-04T05:06:07"}`},
			check: calls(),
		},
		{
			name: "send_at a number", wantStatus: 400, wantCode: "malformed_request",
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","send_at":1767000000}`},
			check: calls(),
		},
		{
			name: "refused by the application", wantStatus: 404, wantCode: "file_not_found",
			setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.NotFound, "file_not_found", "no such file") },
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","file_ids":[9]}`},
		},
		{
			name: "too many scheduled", wantStatus: 409, wantCode: "too_many_scheduled",
			setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.Conflict, "too_many_scheduled", "100 pending") },
			rq:    request{method: "POST", path: "/rooms/42/messages", body: `{"content":"hello","send_at":"2026-03-04T05:06:07Z"}`},
		},
	}
	runRouteCases(t, cases)
}

func wantFile(id float64, url string) map[string]any {
	return map[string]any{"id": id, "room_id": float64(42), "user_id": float64(1), "filename": "f.txt", "content_type": "text/plain",
		"size": float64(3), "file_url": url, "thumbnail_url": nil, "thumbnail_status": "none", "created_at": "2026-01-02T02:04:05.000000Z"}
}

func TestMessageRoutes(t *testing.T) {
	stored := message.Message{ID: 7, RoomID: 42, Seq: 3, UserID: 1, Username: "alice", Content: "now", CreatedAt: created,
		EditedAt: created.Add(time.Minute), Mentions: []user.ID{2},
		Reactions: []message.Reaction{{Emoji: "👍", Count: 2, UserIDs: []user.ID{2, 3}}},
		Files: []attachment.Attachment{{ID: 5, RoomID: 42, UserID: 1, Filename: "f.txt", ContentType: "text/plain", Size: 3,
			ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: created}}}
	wantStored := map[string]any{"id": float64(7), "room_id": float64(42), "seq": float64(3), "user_id": float64(1), "username": "alice",
		"content": "now", "created_at": "2026-01-02T02:04:05.000000Z", "edited_at": "2026-01-02T02:05:05.000000Z",
		"mentions": []any{float64(2)}, "reactions": []any{map[string]any{"emoji": "👍", "count": float64(2), "user_ids": []any{float64(2), float64(3)}}},
		"files": []any{wantFile(5, "/files/5?u=1&exp=1&sig=s")}}
	hasMessage := func(f *fixture) { f.messages.message = stored }
	asked := func(id message.ID) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if f.messages.gotActor != aliceID || f.messages.gotRoom != 42 || f.messages.gotMessage != id {
				t.Errorf("asked by %d about message %d of room %d", f.messages.gotActor, f.messages.gotMessage, f.messages.gotRoom)
			}
		}
	}
	runRouteCases(t, []routeCase{
		{name: "get", setup: hasMessage, rq: request{method: "GET", path: "/rooms/42/messages/7"}, wantStatus: 200, wantBody: wantStored,
			check: both(calls("Get"), asked(7))},
		{name: "get a bad message id", rq: request{method: "GET", path: "/rooms/42/messages/x"}, wantStatus: 400, wantCode: "invalid_id", check: calls()},
		{name: "get message zero", rq: request{method: "GET", path: "/rooms/42/messages/0"}, wantStatus: 400, wantCode: "invalid_id", check: calls()},
		{name: "get from a bad room id", rq: request{method: "GET", path: "/rooms/-1/messages/7"}, wantStatus: 400, wantCode: "invalid_id", check: calls()},
		{name: "get a missing message", setup: func(f *fixture) {
			f.messages.err = domain.Errorf(domain.NotFound, "message_not_found", "no such message")
		},
			rq: request{method: "GET", path: "/rooms/42/messages/7"}, wantStatus: 404, wantCode: "message_not_found"},

		{name: "edit", setup: hasMessage, rq: request{method: "PATCH", path: "/rooms/42/messages/7", body: `{"content":"now"}`},
			wantStatus: 200, wantBody: wantStored, check: both(calls("Edit", "Get"), asked(7), func(t *testing.T, f *fixture) {
				if f.messages.gotContent != "now" {
					t.Errorf("content = %q", f.messages.gotContent)
				}
			})},
		{name: "edit someone else's", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.Forbidden, "not_author", "not yours") },
			rq: request{method: "PATCH", path: "/rooms/42/messages/7", body: `{"content":"x"}`}, wantStatus: 403, wantCode: "not_author", check: calls("Edit")},
		{name: "edit a deleted one", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.Conflict, "message_deleted", "deleted") },
			rq: request{method: "PATCH", path: "/rooms/42/messages/7", body: `{"content":"x"}`}, wantStatus: 409, wantCode: "message_deleted"},
		{name: "edit with malformed json", rq: request{method: "PATCH", path: "/rooms/42/messages/7", body: `{"content":`},
			wantStatus: 400, wantCode: "malformed_request", check: calls()},
		{name: "edit with content not a string", rq: request{method: "PATCH", path: "/rooms/42/messages/7", body: `{"content":5}`},
			wantStatus: 400, wantCode: "malformed_request", check: calls()},
		{name: "edit as text", rq: request{method: "PATCH", path: "/rooms/42/messages/7", body: `now`, contentType: "text/plain"},
			wantStatus: 415, wantCode: "unsupported_media_type", check: calls()},
		{name: "edit with a huge body", rq: request{method: "PATCH", path: "/rooms/42/messages/7", body: `{"content":"` + strings.Repeat("x", 1<<20) + `"}`},
			wantStatus: 413, wantCode: "body_too_large", check: calls()},

		{name: "delete", rq: request{method: "DELETE", path: "/rooms/42/messages/7"}, wantStatus: 204, check: both(calls("Delete"), asked(7))},
		{name: "delete as a bystander", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.Forbidden, "not_allowed", "no") },
			rq: request{method: "DELETE", path: "/rooms/42/messages/7"}, wantStatus: 403, wantCode: "not_allowed"},
		{name: "delete twice", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.Conflict, "message_deleted", "deleted") },
			rq: request{method: "DELETE", path: "/rooms/42/messages/7"}, wantStatus: 409, wantCode: "message_deleted"},

		{name: "versions", setup: func(f *fixture) {
			f.messages.versions = []message.Version{{Content: "first", At: created}, {Content: "second", At: created.Add(time.Second)}}
		}, rq: request{method: "GET", path: "/rooms/42/messages/7/versions"}, wantStatus: 200,
			wantBody: []any{map[string]any{"content": "first", "at": "2026-01-02T02:04:05.000000Z"}, map[string]any{"content": "second", "at": "2026-01-02T02:04:06.000000Z"}},
			check:    both(calls("Versions"), asked(7))},
		{name: "no versions", rq: request{method: "GET", path: "/rooms/42/messages/7/versions"}, wantStatus: 200, wantBody: []any{}},
	})
}

func TestReactionRoutes(t *testing.T) {
	reacted := func(emoji string, add bool) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if f.messages.gotEmoji != emoji || f.messages.gotAdd != add || f.messages.gotMessage != 7 || f.messages.gotRoom != 42 {
				t.Errorf("reacted %q add=%v on %d in %d; want %q add=%v on 7 in 42", f.messages.gotEmoji, f.messages.gotAdd,
					f.messages.gotMessage, f.messages.gotRoom, emoji, add)
			}
		}
	}
	runRouteCases(t, []routeCase{
		{name: "add, percent-encoded", rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/%F0%9F%91%8D"}, wantStatus: 204,
			check: both(calls("React"), reacted("👍", true))},
		{name: "add, lower-case escapes (echo gives the raw segment)", rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/%f0%9f%91%8d"},
			wantStatus: 204, check: reacted("👍", true)},
		{name: "add a sequence with a variation selector", rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/%E2%9D%A4%EF%B8%8F"},
			wantStatus: 204, check: reacted("❤️", true)},
		{name: "add, unescaped", rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/🎉"}, wantStatus: 204, check: reacted("🎉", true)},
		{name: "decoded once, not twice", rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/%25F0%259F%2591%258D"},
			wantStatus: 204, check: reacted("%F0%9F%91%8D", true)},
		{name: "remove", rq: request{method: "DELETE", path: "/rooms/42/messages/7/reactions/%F0%9F%91%8D"}, wantStatus: 204,
			check: both(calls("React"), reacted("👍", false))},
		{name: "not an emoji", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.Invalid, "invalid_emoji", "one emoji") },
			rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/abc"}, wantStatus: 422, wantCode: "invalid_emoji"},
		{name: "too many", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.Conflict, "too_many_reactions", "20 at most") },
			rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/%F0%9F%91%8D"}, wantStatus: 409, wantCode: "too_many_reactions"},
		{name: "bad message id", rq: request{method: "PUT", path: "/rooms/42/messages/abc/reactions/%F0%9F%91%8D"}, wantStatus: 400,
			wantCode: "invalid_id", check: calls()},
		{name: "no emoji", rq: request{method: "PUT", path: "/rooms/42/messages/7/reactions/"}, wantStatus: 404, wantCode: "not_found", check: calls()},
	})
}

func TestDirectRoute(t *testing.T) {
	wantDM := map[string]any{"id": float64(12), "name": "alice, bob", "description": "", "is_private": true, "owner_id": float64(1),
		"created_at": "2026-01-02T02:04:05.000000Z", "kind": "dm", "edit_window": float64(0), "is_member": true,
		"last_seq": float64(0), "last_read_seq": float64(0), "unread_count": float64(0), "mention_count": float64(0)}
	named := func(ids []user.ID, names []string) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if f.rooms.gotActor != aliceID {
				t.Errorf("opened by %d", f.rooms.gotActor)
			}
			if d := cmp.Diff(ids, f.rooms.gotIDs); d != "" {
				t.Errorf("ids (-want +got):\n%s", d)
			}
			if d := cmp.Diff(names, f.rooms.gotNames); d != "" {
				t.Errorf("usernames (-want +got):\n%s", d)
			}
		}
	}
	notOpened := func(t *testing.T, f *fixture) {
		if f.rooms.gotActor != 0 {
			t.Error("OpenDirect ran")
		}
	}
	runRouteCases(t, []routeCase{
		{name: "created", rq: request{method: "POST", path: "/dms", body: `{"user_id":2}`}, wantStatus: 201, wantBody: wantDM,
			check: named([]user.ID{2}, nil)},
		{name: "there already", setup: func(f *fixture) { f.rooms.already = true }, rq: request{method: "POST", path: "/dms", body: `{"username":"bob"}`},
			wantStatus: 200, wantBody: wantDM, check: named([]user.ID{}, []string{"bob"})},
		{name: "every way of naming, merged", rq: request{method: "POST", path: "/dms",
			body: `{"user_id":2,"user_ids":[3,4],"username":"dave","usernames":["carol"]}`}, wantStatus: 201,
			check: named([]user.ID{3, 4, 2}, []string{"carol", "dave"})},
		{name: "nobody", rq: request{method: "POST", path: "/dms", body: `{}`}, wantStatus: 422, wantCode: "invalid_dm", check: notOpened},
		{name: "eight others", rq: request{method: "POST", path: "/dms", body: `{"user_ids":[2,3,4,5,6,7,8],"username":"x"}`},
			wantStatus: 422, wantCode: "invalid_dm", check: notOpened},
		{name: "a negative id", rq: request{method: "POST", path: "/dms", body: `{"user_ids":[2,-3]}`}, wantStatus: 422, wantCode: "invalid_dm", check: notOpened},
		{name: "ids as strings", rq: request{method: "POST", path: "/dms", body: `{"user_ids":["2"]}`}, wantStatus: 400, wantCode: "malformed_request", check: notOpened},
		{name: "no body", rq: request{method: "POST", path: "/dms"}, wantStatus: 400, wantCode: "malformed_request", check: notOpened},
		{name: "unknown user", setup: func(f *fixture) { f.rooms.err = domain.Errorf(domain.NotFound, "user_not_found", "no such user") },
			rq: request{method: "POST", path: "/dms", body: `{"user_id":99}`}, wantStatus: 404, wantCode: "user_not_found"},
		{name: "rate limited", setup: func(f *fixture) { f.rooms.err = domain.Limited(time.Second, "slow down") },
			rq: request{method: "POST", path: "/dms", body: `{"user_id":2}`}, wantStatus: 429, wantCode: "rate_limited"},
	})
}

func TestScheduledRoutes(t *testing.T) {
	later := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	wantPending := func(content, sendAt string) map[string]any {
		return map[string]any{"id": float64(5), "room_id": float64(3), "content": content, "send_at": sendAt, "created_at": "2026-01-02T02:04:05.000000Z"}
	}
	rescheduled := func(content *string, at *time.Time) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if f.messages.gotScheduled != 5 || f.messages.gotActor != aliceID {
				t.Errorf("rescheduled %d by %d", f.messages.gotScheduled, f.messages.gotActor)
			}
			if d := cmp.Diff(content, f.messages.gotNewText); d != "" {
				t.Errorf("content (-want +got):\n%s", d)
			}
			if d := cmp.Diff(at, f.messages.gotSendAt); d != "" {
				t.Errorf("send_at (-want +got):\n%s", d)
			}
		}
	}
	text := "changed"
	runRouteCases(t, []routeCase{
		{name: "list", setup: func(f *fixture) {
			f.messages.scheduled = []message.Scheduled{{ID: 5, RoomID: 3, UserID: 1, Content: "later", ReplyTo: 2, SendAt: later, CreatedAt: created}}
		}, rq: request{method: "GET", path: "/scheduled"}, wantStatus: 200,
			wantBody: []any{withField(wantPending("later", "2026-05-06T07:08:09.000000Z"), "reply_to", float64(2))}, check: calls("Scheduled")},
		{name: "list none", rq: request{method: "GET", path: "/scheduled"}, wantStatus: 200, wantBody: []any{}},
		{name: "change the text", rq: request{method: "PATCH", path: "/scheduled/5", body: `{"content":"changed"}`}, wantStatus: 200,
			wantBody: wantPending("changed", "2026-01-02T03:04:05.000000Z"), check: rescheduled(&text, nil)},
		{name: "change the time", rq: request{method: "PATCH", path: "/scheduled/5", body: `{"send_at":"2026-05-06T09:08:09+02:00"}`}, wantStatus: 200,
			wantBody: wantPending("before", "2026-05-06T07:08:09.000000Z"), check: rescheduled(nil, &later)},
		{name: "change nothing", rq: request{method: "PATCH", path: "/scheduled/5", body: `{}`}, wantStatus: 200, check: rescheduled(nil, nil)},
		{name: "a bad time", rq: request{method: "PATCH", path: "/scheduled/5", body: `{"send_at":"soon"}`}, wantStatus: 422, wantCode: "invalid_send_at", check: calls()},
		{name: "a bad id", rq: request{method: "PATCH", path: "/scheduled/five", body: `{}`}, wantStatus: 400, wantCode: "invalid_id", check: calls()},
		{name: "someone else's", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.NotFound, "scheduled_not_found", "none") },
			rq: request{method: "PATCH", path: "/scheduled/5", body: `{"content":"x"}`}, wantStatus: 404, wantCode: "scheduled_not_found"},
		{name: "cancel", rq: request{method: "DELETE", path: "/scheduled/5"}, wantStatus: 204, check: both(calls("Unschedule"), func(t *testing.T, f *fixture) {
			if f.messages.gotScheduled != 5 {
				t.Errorf("cancelled %d", f.messages.gotScheduled)
			}
		})},
		{name: "cancel a bad id", rq: request{method: "DELETE", path: "/scheduled/0"}, wantStatus: 400, wantCode: "invalid_id", check: calls()},
		{name: "cancel a delivered one", setup: func(f *fixture) { f.messages.err = domain.Errorf(domain.NotFound, "scheduled_not_found", "none") },
			rq: request{method: "DELETE", path: "/scheduled/5"}, wantStatus: 404, wantCode: "scheduled_not_found"},
	})
}

func TestEditWindowRoute(t *testing.T) {
	window := func(want time.Duration) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if f.rooms.gotPatch.EditWindow == nil || *f.rooms.gotPatch.EditWindow != want {
				t.Errorf("edit window %v, want %v", f.rooms.gotPatch.EditWindow, want)
			}
		}
	}
	room5 := func(window float64) map[string]any {
		return map[string]any{"id": float64(5), "name": "general", "description": "", "is_private": false, "owner_id": float64(1),
			"created_at": "2026-01-02T02:04:05.000000Z", "kind": "room", "edit_window": window}
	}
	runRouteCases(t, []routeCase{
		{name: "a quarter of an hour", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":900}`}, wantStatus: 200,
			wantBody: room5(900), check: window(15 * time.Minute)},
		{name: "no limit", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":0}`}, wantStatus: 200, wantBody: room5(0), check: window(0)},
		{name: "thirty days", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":2592000}`}, wantStatus: 200,
			wantBody: room5(2592000), check: window(room.EditWindowMax)},
		{name: "a second too long", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":2592001}`}, wantStatus: 422, wantCode: "invalid_edit_window"},
		{name: "too long for a duration", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":9223372036854775807}`},
			wantStatus: 422, wantCode: "invalid_edit_window"},
		{name: "negative", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":-1}`}, wantStatus: 422, wantCode: "invalid_edit_window"},
		{name: "very negative", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":-9223372036854775808}`}, wantStatus: 422, wantCode: "invalid_edit_window"},
		{name: "not a number", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":"1h"}`}, wantStatus: 400, wantCode: "malformed_request"},
		{name: "a fraction", rq: request{method: "PATCH", path: "/rooms/5", body: `{"edit_window":1.5}`}, wantStatus: 400, wantCode: "malformed_request"},
		{name: "left alone", rq: request{method: "PATCH", path: "/rooms/5", body: `{"name":"general"}`}, wantStatus: 200, check: func(t *testing.T, f *fixture) {
			if f.rooms.gotPatch.EditWindow != nil {
				t.Errorf("edit window %v, want none", *f.rooms.gotPatch.EditWindow)
			}
		}},
	})
}

// History pages sign the files of their messages for the reader.
func TestHistorySignsFilesForTheReader(t *testing.T) {
	runRouteCases(t, []routeCase{{
		name: "page",
		setup: func(f *fixture) {
			f.messages.history = []message.Message{{ID: 11, RoomID: 42, Seq: 4, UserID: 1, Username: "alice", Content: "hello", CreatedAt: created,
				Files: []attachment.Attachment{{ID: 5, RoomID: 42, UserID: 1, Filename: "f.txt", ContentType: "text/plain", Size: 3,
					ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: created}}}}
		},
		rq:         request{method: "GET", path: "/rooms/42/messages"},
		wantStatus: 200,
		wantBody:   []any{withField(wantMsg, "files", []any{wantFile(5, "/files/5?u=1&exp=1&sig=s")})},
	}})
}

// The new routes are authenticated like every other.
func TestNewRoutesRequireAuth(t *testing.T) {
	for _, rq := range []request{
		{method: "GET", path: "/rooms/1/messages/2"},
		{method: "PATCH", path: "/rooms/1/messages/2", body: `{"content":"x"}`},
		{method: "DELETE", path: "/rooms/1/messages/2"},
		{method: "GET", path: "/rooms/1/messages/2/versions"},
		{method: "PUT", path: "/rooms/1/messages/2/reactions/%F0%9F%91%8D"},
		{method: "DELETE", path: "/rooms/1/messages/2/reactions/%F0%9F%91%8D"},
		{method: "POST", path: "/dms", body: `{"user_id":2}`},
		{method: "GET", path: "/scheduled"},
		{method: "PATCH", path: "/scheduled/1", body: `{}`},
		{method: "DELETE", path: "/scheduled/1"},
	} {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			f := newFixture(t, nil)
			checkProblem(t, f.do(t, rq), 401, "missing_token")
			if len(f.messages.calls) != 0 || f.rooms.gotActor != 0 {
				t.Error("a use case ran")
			}
		})
	}
}
