package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"chat/test/services"
)

// TestRateLimitsAcrossInstances runs two scale-out instances with small
// limits: a user's messages draw from one bucket whether they go over REST
// or a socket, on either instance; refusals are 429 problem+json with
// Retry-After (REST) or an error frame with retry_after (socket), and a
// socket is closed (1008) only when it keeps sending after being told.
// Login attempts from one address are limited across instances too.
func TestRateLimitsAcrossInstances(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": services.Postgres(t),
		"REDIS_URL":    services.Redis(t),
		"REDIS_PREFIX": services.Prefix(t),
		"JWT_SECRET":   "e2e-secret-e2e-secret-e2e-secret-0123",
		"DATA_DIR":     t.TempDir(),
		"UPLOAD_PATH":  t.TempDir(),
		"RATE_SEND":    "6/1h",
		"RATE_LOGIN":   "6/1h",
	}
	a, b := start(t, env), start(t, env)
	alice := newUser(t, a, "alice") // one login on A
	room := alice.createRoom("limits", false)
	path := fmt.Sprintf("/rooms/%d/messages", room.ID)
	sock := alice.on(b).dial(room.ID, "")
	sock.next("user_joined")

	for i := range 3 {
		alice.must(201, "POST", path, map[string]any{"content": fmt.Sprintf("rest %d", i)}, nil)
		sock.send(map[string]any{"type": "message", "content": fmt.Sprintf("socket %d", i)})
		sock.next("message") // the REST one
		sock.next("message") // its own
	}
	for _, c := range []*client{alice, alice.on(b)} {
		r := c.call("POST", path, map[string]any{"content": "one too many"})
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(r.Body), `"code":"rate_limited"`) {
			t.Fatalf("send beyond the limit on %s = %d %s %s, want 429 problem+json rate_limited", c.base, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 {
			t.Errorf("Retry-After = %q, want whole seconds", r.Header.Get("Retry-After"))
		}
	}
	sock.send(map[string]any{"type": "message", "content": "one too many"})
	if e := sock.next("error", "message"); e.Type != "error" || e.Code != "rate_limited" {
		t.Fatalf("socket send beyond the limit: %+v, want an error frame rate_limited", e)
	}
	for range 9 { // ten refusals in a row are tolerated…
		sock.send(map[string]any{"type": "message", "content": "ignoring the error"})
		if e := sock.next("error", "message"); e.Code != "rate_limited" {
			t.Fatalf("got %+v, want rate_limited", e)
		}
	}
	sock.send(map[string]any{"type": "message", "content": "and once more"}) // …the eleventh is not
	if code := sock.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Errorf("a socket that kept sending was closed with %d, want 1008", code)
	}

	// Logins: 6 an hour from this address, whichever instance answers.
	statuses := []int{}
	for i := range 6 {
		srv := []*server{a, b}[i%2]
		r := do(t, "POST", srv.URL+"/auth/login", "", "application/json",
			strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"wrong-password"}`, alice.Name)))
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[401 401 401 401 401 429]" {
		t.Errorf("six logins after one: %v, want five 401 then 429", statuses)
	}
}
