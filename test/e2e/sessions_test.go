package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Sessions end on every instance at once: the tokens of an ended session
// are refused by both instances and its sockets close with 4401.
func TestSessionsScaleOut(t *testing.T) { runSessionScenarios(t, scaleOut(t)) }
func TestSessionsEmbedded(t *testing.T) { runSessionScenarios(t, embedded(t)) }

func runSessionScenarios(t *testing.T, c cluster) {
	t.Run("logout ends this session everywhere", func(t *testing.T) { logout(t, c) })
	t.Run("password change ends the other sessions", func(t *testing.T) { passwordChange(t, c) })
	t.Run("account deletion", func(t *testing.T) { deleteAccount(t, c) })
	t.Run("one-time socket tickets", func(t *testing.T) { tickets(t, c) })
}

// login signs c's user in again: a second device, with its own session.
func (c *client) login(password string) *client {
	c.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.must(200, "POST", "/auth/login", map[string]any{"username": c.Name, "password": password}, &tok)
	cp := *c
	cp.token = tok.AccessToken
	return &cp
}

// wantStatus polls until GET /users/me with c's token answers status on
// every instance. Ending a session reaches other instances through Redis
// within milliseconds (the in-process copies live a minute), so anything
// still accepted after 2 s means the end did not propagate.
func (c *client) wantStatus(status int, servers ...*server) {
	c.t.Helper()
	for _, s := range servers {
		deadline := time.Now().Add(2 * time.Second)
		for {
			r := c.on(s).call("GET", "/users/me", nil)
			if r.Status == status {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("GET /users/me on %s = %d %s, want %d", s.URL, r.Status, r.Body, status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// ticketDial opens a socket with a one-time ticket issued by the client's
// instance, on server s.
func (c *client) ticketDial(s *server, room int64) *socket {
	c.t.Helper()
	var tk struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int    `json:"expires_in"`
	}
	c.must(201, "POST", "/ws/tickets", nil, &tk)
	if tk.Ticket == "" || tk.ExpiresIn != 30 {
		c.t.Fatalf("ticket %+v", tk)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(s.URL, room, "ticket="+url.QueryEscape(tk.Ticket)), nil)
	if err != nil {
		c.t.Fatalf("dial with a ticket: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	sock := &socket{t: c.t, conn: conn, events: make(chan event, 4096), closed: make(chan error, 1)}
	go sock.readLoop()
	c.t.Cleanup(func() { conn.CloseNow() })
	return sock
}

func logout(t *testing.T, c cluster) {
	phone := newUser(t, c.A, "alice")
	laptop := phone.on(c.B).login("password123")
	room := phone.createRoom("devices", false)
	phone.wantStatus(200, c.A, c.B)                   // both instances now hold the session as live
	phoneSock := phone.dial(room.ID, "")              // on A, with the token
	phoneTicketSock := phone.ticketDial(c.B, room.ID) // on B, with a ticket
	laptopSock := laptop.dial(room.ID, "")            // on B

	phone.must(204, "POST", "/auth/logout", nil, nil) // on A
	phone.wantStatus(401, c.A, c.B)
	r := phone.call("GET", "/rooms", nil)
	if !strings.Contains(string(r.Body), `"session_ended"`) {
		t.Errorf("ended session's refusal: %d %s", r.Status, r.Body)
	}
	for _, s := range []*socket{phoneSock, phoneTicketSock} {
		if code := s.closeStatus(); code != 4401 {
			t.Errorf("ended session's socket closed with %d, want 4401", code)
		}
	}
	laptop.wantStatus(200, c.A, c.B)
	laptopSock.send(map[string]any{"type": "message", "content": "still here"})
	if e := laptopSock.next("message"); e.Content != "still here" {
		t.Fatalf("laptop got %+v", e)
	}
	if _, resp, err := phone.tryDial(room.ID, ""); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("ended session opened a socket: %v", err)
	}

	// Sign out everywhere, from the laptop on B.
	tablet := phone.login("password123")
	tablet.wantStatus(200, c.A, c.B)
	laptop.must(204, "POST", "/auth/logout-all", nil, nil)
	laptop.wantStatus(401, c.A, c.B)
	tablet.wantStatus(401, c.A, c.B)
	if code := laptopSock.closeStatus(); code != 4401 {
		t.Errorf("laptop's socket closed with %d, want 4401", code)
	}
	phone.login("password123").wantStatus(200, c.A, c.B)
}

func passwordChange(t *testing.T, c cluster) {
	here := newUser(t, c.A, "carol")
	there := here.on(c.B).login("password123")
	room := here.createRoom("pw", false)
	there.wantStatus(200, c.A, c.B)
	thereSock := there.dial(room.ID, "")

	if r := here.call("PUT", "/users/me/password", map[string]any{"current_password": "wrong-one", "new_password": "new-password1"}); r.Status != 403 {
		t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
	}
	if r := here.call("PUT", "/users/me/password", map[string]any{"current_password": "password123", "new_password": "short"}); r.Status != 422 {
		t.Fatalf("weak new password: %d %s", r.Status, r.Body)
	}
	there.wantStatus(200, c.A, c.B)
	here.must(204, "PUT", "/users/me/password", map[string]any{"current_password": "password123", "new_password": "new-password1"}, nil)
	there.wantStatus(401, c.A, c.B)
	here.wantStatus(200, c.A, c.B)
	if code := thereSock.closeStatus(); code != 4401 {
		t.Errorf("other session's socket closed with %d, want 4401", code)
	}
	if r := here.call("POST", "/auth/login", map[string]any{"username": here.Name, "password": "password123"}); r.Status != 401 {
		t.Errorf("old password still signs in: %d", r.Status)
	}
	here.on(c.B).login("new-password1").wantStatus(200, c.A, c.B)
}

func deleteAccount(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "dora"), newUser(t, c.B, "bob")
	room := alice.createRoom("handover", true)
	alice.must(204, "POST", fmt.Sprintf("/rooms/%d/members", room.ID), map[string]any{"user_id": bob.ID}, nil)
	alice.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room.ID), map[string]any{"content": "my last words"}, nil)
	solo := alice.createRoom("solo", false)
	// Bob reads the newest page on both instances: they cache it.
	for _, s := range []*server{c.A, c.B} {
		bob.on(s).must(200, "GET", fmt.Sprintf("/rooms/%d/messages", room.ID), nil, nil)
	}
	sock := alice.on(c.B).dial(room.ID, "")

	if r := alice.call("DELETE", "/users/me", map[string]any{"password": "wrong-password"}); r.Status != 403 {
		t.Fatalf("deletion with a wrong password: %d %s", r.Status, r.Body)
	}
	alice.must(204, "DELETE", "/users/me", map[string]any{"password": "password123"}, nil)
	alice.wantStatus(401, c.A, c.B)
	if code := sock.closeStatus(); code != 4401 {
		t.Errorf("deleted account's socket closed with %d, want 4401", code)
	}
	if r := alice.call("POST", "/auth/login", map[string]any{"username": alice.Name, "password": "password123"}); r.Status != 401 {
		t.Errorf("deleted account signs in: %d", r.Status)
	}
	// The room passed to bob; the room alice was alone in is gone.
	var got roomJSON
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d", room.ID), nil, &got)
	if got.OwnerID != bob.ID {
		t.Errorf("owner after deletion = %d, want bob (%d)", got.OwnerID, bob.ID)
	}
	if r := bob.call("GET", fmt.Sprintf("/rooms/%d", solo.ID), nil); r.Status != 404 {
		t.Errorf("the deleted owner's solo room: %d", r.Status)
	}
	// Her message stays, shown as the deleted user's, on both instances
	// (their cached pages were invalidated).
	for _, s := range []*server{c.A, c.B} {
		var page []event
		bob.on(s).must(200, "GET", fmt.Sprintf("/rooms/%d/messages", room.ID), nil, &page)
		if len(page) != 1 || page[0].Username != "deleted user" || page[0].Content != "my last words" || page[0].UserID != alice.ID {
			t.Errorf("history on %s after deletion: %+v", s.URL, page)
		}
	}
	var members []struct {
		ID int64 `json:"id"`
	}
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/members", room.ID), nil, &members)
	if len(members) != 1 || members[0].ID != bob.ID {
		t.Errorf("members after deletion: %+v", members)
	}
	// The name is free again.
	if r := do(t, "POST", c.B.URL+"/auth/register", "", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"password123"}`, alice.Name))); r.Status != 201 {
		t.Fatalf("registering the freed name: %d %s", r.Status, r.Body)
	}
	if r := alice.call("POST", "/auth/login", map[string]any{"username": alice.Name, "password": "password123"}); r.Status != 200 {
		t.Errorf("the freed name's new account cannot sign in: %d %s", r.Status, r.Body)
	}
}

func tickets(t *testing.T, c cluster) {
	alice := newUser(t, c.A, "erin")
	room := alice.createRoom("tickets", false)
	var tk struct {
		Ticket string `json:"ticket"`
	}
	alice.must(201, "POST", "/ws/tickets", nil, &tk) // issued on A
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(c.B.URL, room.ID, "ticket="+url.QueryEscape(tk.Ticket)), nil) // used on B
	if err != nil {
		t.Fatalf("ticket from A refused on B: %v", err)
	}
	defer conn.CloseNow()
	_, resp, err := websocket.Dial(ctx, wsURL(c.A.URL, room.ID, "ticket="+url.QueryEscape(tk.Ticket)), nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("a used ticket opened a socket: %v", err)
	}
	if r := do(t, "POST", c.A.URL+"/ws/tickets", "", "", nil); r.Status != 401 {
		t.Errorf("anonymous ticket: %d", r.Status)
	}
	for _, s := range []*server{c.A, c.B} {
		if strings.Contains(s.logs.String(), tk.Ticket) {
			t.Errorf("the ticket is in %s's log", s.URL)
		}
	}
}
