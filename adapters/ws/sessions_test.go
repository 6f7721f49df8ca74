package ws

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// fakeSessions redeems tickets once and knows which sessions have ended.
type fakeSessions struct {
	user.Sessions // only RedeemTicket and Check are called

	mu      sync.Mutex
	tickets map[string]user.Claims
	ended   map[string]bool
}

func (f *fakeSessions) RedeemTicket(_ context.Context, t string) (user.Claims, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.tickets[t]
	delete(f.tickets, t)
	if !ok {
		return user.Claims{}, domain.Errorf(domain.Unauthenticated, "invalid_ticket", "no such ticket")
	}
	return c, nil
}

func (f *fakeSessions) Check(_ context.Context, c user.Claims) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended[c.SessionID] {
		return domain.Errorf(domain.Unauthenticated, "session_ended", "ended")
	}
	return nil
}

func (f *fakeSessions) end(sid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended[sid] = true
}

func sessionHarness(t *testing.T, edit func(*GatewayConfig)) (*harness, *fakeSessions) {
	ss := &fakeSessions{
		tickets: map[string]user.Claims{"TICKET-A": {UserID: alice, SessionID: "s-a1"}},
		ended:   map[string]bool{},
	}
	h := newHarness(t, func(c *GatewayConfig) {
		c.Sessions = ss
		if edit != nil {
			edit(c)
		}
	})
	h.users.tokens["tok-alice-1"] = user.Claims{UserID: alice, SessionID: "s-a1"}
	h.users.tokens["tok-alice-2"] = user.Claims{UserID: alice, SessionID: "s-a2"}
	return h, ss
}

func tryDial(h *harness, query string) (*websocket.Conn, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, h.url(fmt.Sprintf("/ws/rooms/%d?%s", publicRoom, query)), nil)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	return c, status, err
}

// A ticket opens one socket without a token in the URL, and only once.
func TestTicketOpensOneSocket(t *testing.T) {
	h, _ := sessionHarness(t, nil)
	c, _, err := tryDial(h, "ticket=TICKET-A")
	if err != nil {
		t.Fatalf("dial with a ticket: %v", err)
	}
	defer c.CloseNow()
	<-h.rooms.connected
	writeJSON(t, c, `{"type":"message","content":"by ticket"}`)
	if got := readFrame(t, c); got.Content != "by ticket" || got.UserID != int64(alice) {
		t.Errorf("got %+v, want alice's message", got)
	}
	for _, q := range []string{"ticket=TICKET-A", "ticket=never-issued", "ticket=never-issued&token=tok-alice"} {
		if c, status, err := tryDial(h, q); err == nil || status != 401 {
			if c != nil {
				c.CloseNow()
			}
			t.Errorf("%s: status %d, err %v; want 401", q, status, err)
		}
	}
}

func TestTicketRefusedWithoutSessions(t *testing.T) {
	h := newHarness(t, nil)
	if c, status, err := tryDial(h, "ticket=TICKET-A"); err == nil || status != 401 {
		if c != nil {
			c.CloseNow()
		}
		t.Fatalf("status %d, err %v; want 401", status, err)
	}
}

// An ended session's sockets close with 4401 when the event arrives; the
// same user's other sessions keep theirs.
func TestSessionEndedClosed4401(t *testing.T) {
	h, _ := sessionHarness(t, nil)
	ended := h.dial(t, publicRoom, "tok-alice-1", "")
	kept := h.dial(t, publicRoom, "tok-alice-2", "")
	bobs := h.dial(t, publicRoom, "tok-bob", "")
	if err := h.bus.Publish(context.Background(), ports.Event{RoomID: publicRoom, Payload: ports.SessionEnded{UserID: alice, Session: "s-a1"}}); err != nil {
		t.Fatal(err)
	}
	expectClose(t, ended, closeTokenExpired)
	writeJSON(t, kept, `{"type":"message","content":"still here"}`)
	if got := readFrame(t, kept); got.Content != "still here" {
		t.Errorf("the other session's socket got %+v", got)
	}
	if got := readFrame(t, bobs); got.Content != "still here" {
		t.Errorf("bob got %+v", got)
	}
}

// A session ended by a suspension closes its sockets with 4423, so the
// client knows not to sign in again.
func TestSessionEndedBySuspensionClosed4423(t *testing.T) {
	h, _ := sessionHarness(t, nil)
	ended := h.dial(t, publicRoom, "tok-alice-1", "")
	if err := h.bus.Publish(context.Background(), ports.Event{RoomID: publicRoom, Payload: ports.SessionEnded{UserID: alice, Session: "s-a1", Suspended: true}}); err != nil {
		t.Fatal(err)
	}
	expectClose(t, ended, closeSuspended)
}

// When the event was lost, the periodic session check still closes the
// socket with 4401.
func TestSessionCheckClosesLostEnds(t *testing.T) {
	h, ss := sessionHarness(t, func(c *GatewayConfig) {
		c.HeartbeatInterval = 10 * time.Millisecond
		c.Rooms = heartbeatRooms{fakeRooms: c.Rooms.(*fakeRooms), beats: make(chan []room.Conn, 1)}
	})
	ended := h.dial(t, publicRoom, "tok-alice-1", "")
	kept := h.dial(t, publicRoom, "tok-alice-2", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.gw.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	ss.end("s-a1") // no event published
	expectClose(t, ended, closeTokenExpired)
	writeJSON(t, kept, `{"type":"message","content":"still here"}`)
	if got := readFrame(t, kept); got.Content != "still here" {
		t.Errorf("the other session's socket got %+v", got)
	}
}

// stubSigner signs a path with the viewer's id only.
type stubSigner struct{}

func (stubSigner) Sign(path string, u user.ID, _ time.Time) string {
	return path + "?u=" + strconv.FormatInt(int64(u), 10)
}

func (stubSigner) Verify(string, url.Values, time.Time) (user.ID, error) { return 0, nil }

// File frames are signed for each recipient; other frames go out as the
// same bytes to everyone.
func TestHubSignsFileFramesPerRecipient(t *testing.T) {
	hub := NewHub(newMemBus(), nil, HubOptions{Frames: wire.NewFrames(wire.NewLinks(stubSigner{}, 0, nil))})
	defer hub.Close()
	a, b := newSocket("a", publicRoom, alice, 4), newSocket("b", publicRoom, bob, 4)
	for _, s := range []*socket{a, b} {
		if err := hub.Register(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		defer hub.Unregister(s)
	}
	hub.deliver(a.own.room, ports.Event{RoomID: publicRoom, Payload: ports.FileShared{File: attachment.Attachment{
		ID: 5, RoomID: publicRoom, UserID: alice, Filename: "a.txt", ContentType: "text/plain", Size: 1, ThumbnailStatus: attachment.ThumbnailNone}}})
	m := message.Message{ID: 1, RoomID: publicRoom, Seq: 1, UserID: alice, Username: "alice", Content: "hi"}
	hub.deliver(a.own.room, ports.Event{RoomID: publicRoom, Payload: ports.MessageCreated{Message: m}})
	file := func(viewer user.ID) string {
		return `{"type":"file_shared","room_id":` + strconv.FormatInt(int64(publicRoom), 10) + `,"user_id":` + strconv.FormatInt(int64(alice), 10) +
			`,"file_id":5,"file_url":"/files/5?u=` + strconv.FormatInt(int64(viewer), 10) + `","filename":"a.txt","content_type":"text/plain","size":1,"thumbnail_status":"none"}`
	}
	msg := string(wire.NewFrames(nil).Message(m, 0))
	for _, tc := range []struct {
		s    *socket
		want []string
	}{{a, []string{file(alice), msg}}, {b, []string{file(bob), msg}}} {
		var got []string
		for _, f := range take(tc.s) {
			got = append(got, string(f.b))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("socket %s got %v, want %v", tc.s.id, got, tc.want)
		}
	}
}
