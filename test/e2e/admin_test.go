package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"chat/test/services"
)

// Administrators, end to end against the built binary: the operator's
// commands (chatd admin) on the configured database, every /admin route
// refused to others, a suspension on one instance closing the sockets on
// the other, moderation, and the job dashboard (River UI) — in both modes.
func TestAdminScaleOut(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
		"JWT_SECRET": "e2e-secret-e2e-secret-e2e-secret-0123", "DATA_DIR": t.TempDir(), "UPLOAD_PATH": t.TempDir(),
		"RATE_REGISTER": "off",
	}
	runAdmin(t, env, cluster{A: start(t, env), B: start(t, env)})
}

func TestAdminEmbedded(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir, "UPLOAD_PATH": filepath.Join(dir, "uploads"), "RATE_REGISTER": "off"}
	s := start(t, env)
	runAdmin(t, env, cluster{A: s, B: s})
}

// chatdAdmin runs the built chatd admin with env and stdin.
func chatdAdmin(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(chatdBin, append([]string{"admin"}, args...)...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, errOut.String())
	}
	return out.String(), err
}

// signIn logs name in on s.
func signIn(t *testing.T, s *server, name, password string) *client {
	t.Helper()
	c := &client{t: t, base: s.URL, Name: name}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.must(200, "POST", "/auth/login", map[string]any{"username": name, "password": password}, &tok)
	c.token = tok.AccessToken
	var me struct {
		ID      int64 `json:"id"`
		IsAdmin bool  `json:"is_admin"`
	}
	c.must(200, "GET", "/users/me", nil, &me)
	c.ID = me.ID
	return c
}

func runAdmin(t *testing.T, env map[string]string, c cluster) {
	name := "root" + services.RandomID()[:6]
	out, err := chatdAdmin(t, env, "", "create-user", name, "--admin")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create-user printed %q", out)
	}
	root := signIn(t, c.A, name, m[1])

	t.Run("every admin route is refused to others", func(t *testing.T) { adminRefusals(t, c, root) })
	t.Run("suspension closes every socket on every instance", func(t *testing.T) { adminSuspend(t, c, root) })
	t.Run("moderation of any room", func(t *testing.T) { adminModeration(t, c, root, env) })
	t.Run("job dashboard", func(t *testing.T) { adminJobs(t, c, root) })
	t.Run("commands", func(t *testing.T) { adminCommands(t, c, env) })
}

// adminRefusals: each /admin route answers 401 without a token and 403
// not_admin (problem+json) to a member and to a room's owner, on both
// instances, and changes nothing.
func adminRefusals(t *testing.T, c cluster, root *client) {
	owner, member := newUser(t, c.A, "owner"), newUser(t, c.B, "member")
	r := owner.createRoom("kept", false)
	member.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	msg := member.send(r.ID, map[string]any{"content": "kept"})
	routes := []struct{ method, path, body string }{
		{"GET", "/admin/users", ""},
		{"GET", "/admin/users?search=a&limit=5", ""},
		{"GET", fmt.Sprintf("/admin/users/%d", member.ID), ""},
		{"PUT", fmt.Sprintf("/admin/users/%d/suspension", member.ID), `{"reason":"x"}`},
		{"DELETE", fmt.Sprintf("/admin/users/%d/suspension", member.ID), ""},
		{"DELETE", fmt.Sprintf("/admin/rooms/%d", r.ID), ""},
		{"DELETE", fmt.Sprintf("/admin/rooms/%d/members/%d", r.ID, member.ID), ""},
		{"DELETE", fmt.Sprintf("/admin/rooms/%d/messages/%d", r.ID, msg.ID), ""},
		{"POST", "/admin/jobs/session", ""},
		{"DELETE", "/admin/jobs/session", ""},
		{"GET", "/admin/jobs", ""},
		{"GET", "/admin/jobs/", ""},
		{"GET", "/admin/jobs/api/states", ""},
		{"POST", "/admin/jobs/api/jobs/retry", `{"ids":["1"]}`},
		{"PUT", "/admin/jobs/api/queues/default/pause", ""},
		{"PATCH", "/admin/jobs/api/queues/default", `{}`},
	}
	for _, rt := range routes {
		var body any
		if rt.body != "" {
			body = rt.body
		}
		anon := &client{t: t, base: c.B.URL}
		if got := anon.call(rt.method, rt.path, body); got.Status != 401 || !strings.HasPrefix(got.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %s without a token = %d %s, want 401 problem+json", rt.method, rt.path, got.Status, got.Body)
		}
		for _, u := range []*client{member, owner, member.on(c.A), owner.on(c.B)} {
			got := u.call(rt.method, rt.path, body)
			if got.Status != 403 || !bytes.Contains(got.Body, []byte(`"code":"not_admin"`)) ||
				!strings.HasPrefix(got.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s %s as %s = %d %s, want 403 not_admin", rt.method, rt.path, u.Name, got.Status, got.Body)
			}
			if ck := got.Header.Get("Set-Cookie"); ck != "" {
				t.Errorf("%s %s as %s set a cookie: %s", rt.method, rt.path, u.Name, ck)
			}
		}
	}
	var seen convMessage
	member.must(200, "GET", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, msg.ID), nil, &seen)
	if seen.Deleted {
		t.Fatal("a refused delete deleted the message")
	}
	member.must(200, "GET", "/users/me", nil, nil)
	// The administrator passes on either instance.
	root.on(c.B).must(200, "GET", fmt.Sprintf("/admin/users/%d", member.ID), nil, nil)
}

type accountJSON struct {
	ID            int64   `json:"id"`
	Username      string  `json:"username"`
	IsAdmin       bool    `json:"is_admin"`
	Suspended     bool    `json:"suspended"`
	SuspendedAt   *string `json:"suspended_at"`
	SuspendReason string  `json:"suspend_reason"`
}

// adminSuspend: suspended on A, every socket of the user on B — a room
// socket and the user stream — closes with 4423 at once, the tokens stop
// on both instances, and the login is 403 account_suspended until lifted.
func adminSuspend(t *testing.T, c cluster, root *client) {
	bob := newUser(t, c.B, "bob")
	r := bob.createRoom("bobs", false)
	rs := bob.dial(r.ID, "")
	rs.next("user_joined")
	st := bob.stream("")
	st.next("ready")
	again := bob.on(c.A).stream("") // the same session, on the other instance
	again.next("ready")

	var page struct {
		Users     []accountJSON `json:"users"`
		NextAfter *int64        `json:"next_after"`
	}
	root.must(200, "GET", "/admin/users?search="+strings.ToUpper(bob.Name[:8]), nil, &page)
	if len(page.Users) != 1 || page.Users[0].ID != bob.ID || page.Users[0].Suspended {
		t.Fatalf("search for bob = %+v", page)
	}
	if r := root.call("GET", "/admin/users?limit=1000", nil); r.Status != 422 {
		t.Fatalf("limit=1000 = %d %s, want 422", r.Status, r.Body)
	}
	if r := root.call("PUT", fmt.Sprintf("/admin/users/%d/suspension", root.ID), map[string]any{}); r.Status != 422 {
		t.Fatalf("suspending oneself = %d %s, want 422", r.Status, r.Body)
	}

	var acct accountJSON
	root.must(200, "PUT", fmt.Sprintf("/admin/users/%d/suspension", bob.ID), map[string]any{"reason": "spam"}, &acct)
	if !acct.Suspended || acct.SuspendReason != "spam" || acct.SuspendedAt == nil {
		t.Fatalf("suspended account = %+v", acct)
	}
	for name, s := range map[string]*socket{"room socket on B": rs, "stream on B": st, "stream on A": again} {
		if code := s.closeStatus(); code != 4423 {
			t.Errorf("%s closed with %d, want 4423", name, code)
		}
	}
	for _, u := range []*client{bob, bob.on(c.A)} {
		if got := u.call("GET", "/users/me", nil); got.Status != 401 {
			t.Errorf("suspended token on %s = %d %s", u.base, got.Status, got.Body)
		}
	}
	login := map[string]any{"username": bob.Name, "password": "password123"}
	if got := bob.call("POST", "/auth/login", login); got.Status != 403 || !bytes.Contains(got.Body, []byte(`"code":"account_suspended"`)) {
		t.Fatalf("suspended login = %d %s, want 403 account_suspended", got.Status, got.Body)
	}
	if _, resp, err := bob.tryDial(r.ID, ""); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("suspended socket reconnect: %v", err)
	}
	root.on(c.B).must(200, "GET", fmt.Sprintf("/admin/users/%d", bob.ID), nil, &acct)
	if !acct.Suspended {
		t.Fatalf("status on B = %+v", acct)
	}
	root.on(c.B).must(200, "DELETE", fmt.Sprintf("/admin/users/%d/suspension", bob.ID), nil, &acct)
	if acct.Suspended || acct.SuspendedAt != nil {
		t.Fatalf("lifted = %+v", acct)
	}
	bob.on(c.A).must(200, "POST", "/auth/login", login, nil)
}

// adminModeration: an administrator outside a private room deletes a
// message (the members see message_deleted, the file goes), removes a
// member (4403) and the owner (the room passes on), and deletes the room.
func adminModeration(t *testing.T, c cluster, root *client, env map[string]string) {
	owner, bob, carol := newUser(t, c.A, "owner"), newUser(t, c.B, "bob"), newUser(t, c.B, "carol")
	r := owner.createRoom("private", true)
	for _, u := range []*client{bob, carol} {
		owner.must(204, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"user_id": u.ID}, nil)
	}
	data := []byte("moderated bytes " + services.RandomID())
	f := bob.share(r.ID, "note.txt", "text/plain", data)
	msg := bob.send(r.ID, map[string]any{"content": "to be moderated", "file_ids": []int64{f.ID}})
	var seen convMessage
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, msg.ID), nil, &seen)
	fileURL := seen.Files[0].FileURL
	uploads := env["UPLOAD_PATH"]
	if onDisk(t, uploads, data) == "" {
		t.Fatal("the uploaded file is not on disk")
	}
	sb := bob.dial(r.ID, "") // on B
	sb.next("user_joined")
	sc := carol.dial(r.ID, "")
	sc.next("user_joined")

	if got := root.call("GET", fmt.Sprintf("/rooms/%d/messages", r.ID), nil); got.Status != 404 {
		t.Fatalf("the administrator reads a private room: %d", got.Status)
	}
	root.must(204, "DELETE", fmt.Sprintf("/admin/rooms/%d/messages/%d", r.ID, msg.ID), nil, nil) // on A
	if e := sb.next("message_deleted"); e.MessageID != msg.ID || e.Content != "" || e.Seq <= msg.Seq {
		t.Fatalf("message_deleted %+v", e)
	}
	seen = convMessage{} // a tombstone's JSON has no files
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, msg.ID), nil, &seen)
	if !seen.Deleted || seen.Content != "" || len(seen.Files) != 0 {
		t.Fatalf("tombstone %+v", seen)
	}
	if got := do(t, "GET", c.B.URL+fileURL, "", "", nil); got.Status != 404 {
		t.Errorf("the deleted message's file link = %d", got.Status)
	}
	deadline := time.Now().Add(20 * time.Second)
	for onDisk(t, uploads, data) != "" {
		if time.Now().After(deadline) {
			t.Fatal("the deleted message's file is still on disk after 20 s (purge job)")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := root.call("DELETE", fmt.Sprintf("/admin/rooms/%d/messages/%d", r.ID, msg.ID), nil); got.Status != 409 {
		t.Errorf("deleting a tombstone = %d", got.Status)
	}

	root.must(204, "DELETE", fmt.Sprintf("/admin/rooms/%d/members/%d", r.ID, carol.ID), nil, nil)
	if code := sc.closeStatus(); code != 4403 {
		t.Fatalf("removed member's socket closed with %d, want 4403", code)
	}
	root.must(204, "DELETE", fmt.Sprintf("/admin/rooms/%d/members/%d", r.ID, owner.ID), nil, nil)
	var room roomJSON
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d", r.ID), nil, &room)
	if room.OwnerID != bob.ID {
		t.Fatalf("after the owner's removal the room is %+v, want bob owning it", room)
	}
	if got := owner.call("GET", fmt.Sprintf("/rooms/%d", r.ID), nil); got.Status != 404 {
		t.Fatalf("removed owner still sees the room: %d", got.Status)
	}

	root.must(204, "DELETE", fmt.Sprintf("/admin/rooms/%d", r.ID), nil, nil)
	if code := sb.closeStatus(); code != 4403 {
		t.Fatalf("socket in a deleted room closed with %d, want 4403", code)
	}
	if got := bob.call("GET", fmt.Sprintf("/rooms/%d", r.ID), nil); got.Status != 404 {
		t.Fatalf("deleted room: %d", got.Status)
	}
	if got := root.call("DELETE", fmt.Sprintf("/admin/rooms/%d", r.ID), nil); got.Status != 404 {
		t.Fatalf("deleting a deleted room: %d", got.Status)
	}
}

// onDisk returns the path of the file under root holding data; "" when none.
func onDisk(t *testing.T, root string, data []byte) string {
	t.Helper()
	found := ""
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, data) {
				found = p
			}
		}
		return nil
	})
	return found
}

// adminJobs: River UI answers at /admin/jobs for an administrator who
// opened it (the cookie) — its page and its JSON API — and the cookie is
// HttpOnly, SameSite=Strict and scoped to /admin/jobs.
func adminJobs(t *testing.T, c cluster, root *client) {
	got := root.call("POST", "/admin/jobs/session", nil)
	if got.Status != 204 {
		t.Fatalf("open the dashboard = %d %s", got.Status, got.Body)
	}
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: got.Header}).Cookies() {
		if ck.Name == "chat_jobs" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/admin/jobs" ||
		cookie.MaxAge <= 0 || cookie.MaxAge > 1800 {
		t.Fatalf("dashboard cookie = %+v (%s)", cookie, got.Header.Get("Set-Cookie"))
	}
	get := func(s *server, path string, ck *http.Cookie) response {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		if ck != nil {
			req.AddCookie(ck)
		}
		resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return response{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
	}
	for _, s := range []*server{c.A, c.B} {
		page := get(s, "/admin/jobs/", cookie)
		if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !bytes.Contains(page.Body, []byte("River")) {
			t.Fatalf("GET /admin/jobs/ = %d %s %.300s", page.Status, page.Header.Get("Content-Type"), page.Body)
		}
		if page.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("dashboard page may be framed: %v", page.Header)
		}
		if r := get(s, "/admin/jobs", cookie); r.Status != 301 || r.Header.Get("Location") != "/admin/jobs/" {
			t.Errorf("GET /admin/jobs = %d %s", r.Status, r.Header.Get("Location"))
		}
		api := get(s, "/admin/jobs/api/jobs?state=completed&limit=5", cookie)
		if api.Status != 200 || !strings.HasPrefix(api.Header.Get("Content-Type"), "application/json") || !bytes.Contains(api.Body, []byte(`"data"`)) {
			t.Fatalf("GET /admin/jobs/api/jobs = %d %s", api.Status, api.Body)
		}
		if r := get(s, "/admin/jobs/api/jobs?state=completed", nil); r.Status != 401 {
			t.Errorf("dashboard API without the cookie = %d", r.Status)
		}
	}
	// A forged or foreign cookie is refused like a bad token.
	if r := get(c.A, "/admin/jobs/", &http.Cookie{Name: "chat_jobs", Value: "not-a-token"}); r.Status != 401 {
		t.Errorf("forged cookie = %d", r.Status)
	}
	member := newUser(t, c.A, "member")
	if r := get(c.A, "/admin/jobs/", &http.Cookie{Name: "chat_jobs", Value: member.token}); r.Status != 403 {
		t.Errorf("a member's token as the cookie = %d", r.Status)
	}
	// Closing drops the cookie; ending the session ends the cookie's
	// worth at once.
	closed := root.call("DELETE", "/admin/jobs/session", nil)
	if closed.Status != 204 || !strings.Contains(closed.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("close the dashboard = %d %s", closed.Status, closed.Header.Get("Set-Cookie"))
	}
	root.must(204, "POST", "/admin/jobs/session", nil, nil)
	if r := get(c.B, "/admin/jobs/api/jobs?state=completed", cookie); r.Status != 200 {
		t.Fatalf("dashboard API before logout = %d", r.Status)
	}
	root.must(204, "POST", "/auth/logout", nil, nil) // on A
	if r := get(c.B, "/admin/jobs/api/jobs?state=completed", cookie); r.Status != 401 {
		t.Errorf("dashboard API after logout on the other instance = %d, want 401", r.Status)
	}
}

// adminCommands: grant, revoke and reset-password act on the running
// instances at once.
func adminCommands(t *testing.T, c cluster, env map[string]string) {
	bob := newUser(t, c.A, "bob")
	if got := bob.call("GET", "/admin/users", nil); got.Status != 403 {
		t.Fatalf("before grant = %d", got.Status)
	}
	if out, err := chatdAdmin(t, env, "", "grant", bob.Name); err != nil || !strings.Contains(out, "is an administrator") {
		t.Fatalf("grant: %q %v", out, err)
	}
	bob.on(c.B).must(200, "GET", "/admin/users", nil, nil)
	if out, err := chatdAdmin(t, env, "", "revoke", bob.Name); err != nil || !strings.Contains(out, "not an administrator") {
		t.Fatalf("revoke: %q %v", out, err)
	}
	if got := bob.on(c.B).call("GET", "/admin/users", nil); got.Status != 403 {
		t.Fatalf("after revoke = %d", got.Status)
	}
	if out, err := chatdAdmin(t, env, "new-password-1\n", "reset-password", bob.Name, "--password-stdin"); err != nil || strings.Contains(out, "new-password-1") {
		t.Fatalf("reset-password: %q %v", out, err)
	}
	if got := bob.call("POST", "/auth/login", map[string]any{"username": bob.Name, "password": "password123"}); got.Status != 401 {
		t.Fatalf("old password after reset = %d", got.Status)
	}
	signIn(t, c.B, bob.Name, "new-password-1")
	if _, err := chatdAdmin(t, env, "", "grant", "nobody-"+services.RandomID()[:6]); err == nil {
		t.Fatal("granting an unknown user succeeded")
	}
}
