package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"chat/adapters/wire"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

func TestRefusedBeforeUpgrade(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name       string
		path       string
		header     http.Header
		wantStatus int
		wantCode   string
	}{
		{"non-numeric room id", "/ws/rooms/abc?token=tok-alice", nil, 400, "invalid_room_id"},
		{"zero room id", "/ws/rooms/0?token=tok-alice", nil, 400, "invalid_room_id"},
		{"signed room id", "/ws/rooms/+10?token=tok-alice", nil, 400, "invalid_room_id"},
		{"negative after_seq", "/ws/rooms/10?token=tok-alice&after_seq=-1", nil, 400, "invalid_cursor"},
		{"non-numeric after_seq", "/ws/rooms/10?token=tok-alice&after_seq=x", nil, 400, "invalid_cursor"},
		{"no token", "/ws/rooms/10", nil, 401, "missing_token"},
		{"garbage token", "/ws/rooms/10?token=garbage", nil, 401, "invalid_token"},
		{"garbage bearer header", "/ws/rooms/10", http.Header{"Authorization": {"Bearer garbage"}}, 401, "invalid_token"},
		{"public room, not a member", "/ws/rooms/10?token=tok-carol", nil, 403, "not_a_member"},
		{"private room, outsider", "/ws/rooms/20?token=tok-carol", nil, 404, "room_not_found"},
		{"no such room", "/ws/rooms/99?token=tok-alice", nil, 404, "room_not_found"},
		{"membership check fails", "/ws/rooms/30?token=tok-alice", nil, 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, h.url(tt.path), &websocket.DialOptions{HTTPHeader: tt.header})
			if err == nil {
				c.CloseNow()
				t.Fatal("upgraded, want a refusal")
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var p wire.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatalf("decode problem: %v", err)
			}
			want := wire.Problem{Type: "about:blank", Title: http.StatusText(tt.wantStatus), Status: tt.wantStatus, Code: tt.wantCode}
			p.Detail = "" // wording is free
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBearerHeaderAccepted(t *testing.T) {
	h := newHarness(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, h.url("/ws/rooms/20"), &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer tok-alice"}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	<-h.rooms.connected
}

func TestForeignOriginRefused(t *testing.T) {
	h := newHarness(t, func(c *GatewayConfig) { c.AllowedOrigins = []string{"chat.example.com"} })
	for origin, wantOK := range map[string]bool{"https://evil.example.com": false, "https://chat.example.com": true} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, resp, err := websocket.Dial(ctx, h.url("/ws/rooms/10?token=tok-alice"), &websocket.DialOptions{
			HTTPHeader: http.Header{"Origin": {origin}},
		})
		cancel()
		if wantOK {
			if err != nil {
				t.Errorf("origin %s: %v", origin, err)
				continue
			}
			<-h.rooms.connected
			c.CloseNow()
			continue
		}
		if err == nil {
			c.CloseNow()
			t.Errorf("origin %s upgraded", origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("origin %s: %v %v", origin, err, resp)
			continue
		}
		var p wire.Problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.Code != "origin_not_allowed" || p.Status != http.StatusForbidden {
			t.Errorf("origin %s: problem %+v, %v", origin, p, err)
		}
	}
}

func TestMessageRoundTrip(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, publicRoom, "tok-bob", "")

	writeJSON(t, a, `{"type":"message","content":"  hi bob  ","client_id":"c-1"}`)
	want := frame{Type: "message", ID: 1, RoomID: int64(publicRoom), Seq: 1, UserID: int64(alice), Username: "user1",
		Content: "hi bob", CreatedAt: "2026-11-23T20:00:00.000000Z", ClientID: "c-1"}
	for name, c := range map[string]*websocket.Conn{"sender": a, "other": b} {
		if diff := cmp.Diff(want, readFrame(t, c)); diff != "" {
			t.Errorf("%s got (-want +got):\n%s", name, diff)
		}
	}
}

func TestTypingNotEchoedAndLimited(t *testing.T) {
	h := newHarness(t, nil)
	now := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	h.gw.now = func() time.Time { return now } // the typing window never passes
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, publicRoom, "tok-bob", "")

	writeJSON(t, a, `{"type":"typing"}`)
	writeJSON(t, a, `{"type":"typing"}`) // within 2 s: dropped silently
	writeJSON(t, a, `{"type":"message","content":"done typing"}`)

	if got := readFrame(t, a); got.Type != "message" {
		t.Errorf("typist's first frame = %+v, want its message (typing is not echoed)", got)
	}
	var got []string
	for range 2 {
		got = append(got, readFrame(t, b).Type)
	}
	if diff := cmp.Diff([]string{"typing", "message"}, got); diff != "" {
		t.Errorf("other socket's frames (-want +got):\n%s", diff)
	}
}

func TestResumeReplaysThenLiveExactlyOnce(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	send := func(content string) {
		if _, err := h.msgs.Send(ctx, bob, publicRoom, content, ""); err != nil {
			t.Errorf("send: %v", err)
		}
	}
	for i := range 150 {
		send(fmt.Sprintf("old %d", i))
	}
	// Stored after the hub subscribed but before the first page is read:
	// these arrive both in the replay and live, and must be sent once.
	h.msgs.beforeSnapshot = func(call int) {
		if call == 1 {
			for i := range 5 {
				send(fmt.Sprintf("during first page %d", i))
			}
		}
	}
	// Stored after the last page was read: live only.
	h.msgs.afterSnapshot = func(call int, short bool) {
		if short {
			for i := range 5 {
				send(fmt.Sprintf("after last page %d", i))
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { // and other senders all along
		for i := range 30 {
			send(fmt.Sprintf("concurrent %d", i))
		}
	})

	c := h.dial(t, publicRoom, "tok-alice", "after_seq=10")
	var got []int64
	got = append(got, readFrame(t, c).Seq)
	wg.Wait()
	send("last")
	last := h.msgs.count(publicRoom)
	for got[len(got)-1] < last {
		f := readFrame(t, c)
		if f.Type != "message" {
			t.Fatalf("unexpected frame %+v", f)
		}
		got = append(got, f.Seq)
	}
	var want []int64
	for s := int64(11); s <= last; s++ {
		want = append(want, s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seqs (-want +got):\n%s", diff)
	}
}

func TestReplayFramesEqualLiveFrames(t *testing.T) {
	h := newHarness(t, nil)
	live := h.dial(t, publicRoom, "tok-bob", "")
	if _, err := h.msgs.Send(context.Background(), alice, publicRoom, "same bytes", "cid"); err != nil {
		t.Fatal(err)
	}
	_, liveFrame := readRaw(t, live)
	replayed := h.dial(t, publicRoom, "tok-alice", "after_seq=0")
	_, replayFrame := readRaw(t, replayed)
	if diff := cmp.Diff(string(liveFrame), string(replayFrame)); diff != "" {
		t.Errorf("replayed frame differs from live (-live +replayed):\n%s", diff)
	}
}

func TestSlowConsumerClosedOthersKeepReceiving(t *testing.T) {
	h := newHarness(t, func(c *GatewayConfig) { c.SendQueue = 2 })
	fast := dropSlowConsumer(t, h)

	if _, err := h.msgs.Send(context.Background(), bob, publicRoom, "still here", ""); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, fast); f.Content != "still here" {
		t.Errorf("fast client got %+v after the drop", f)
	}
}

func TestOversizeFrameClosed1009(t *testing.T) {
	h := newHarness(t, func(c *GatewayConfig) { c.ReadLimit = 1024 })
	c := h.dial(t, publicRoom, "tok-alice", "")
	writeJSON(t, c, `{"type":"message","content":"`+strings.Repeat("a", 2048)+`"}`)
	expectClose(t, c, websocket.StatusMessageTooBig)
}

func TestRejectedFramesKeepSocketOpen(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(t, publicRoom, "tok-alice", "")
	tests := []struct {
		name     string
		typ      websocket.MessageType
		data     string
		wantCode string
	}{
		{"malformed JSON", websocket.MessageText, `{"type":`, "invalid_json"},
		{"type not a string", websocket.MessageText, `{"type":5}`, "invalid_json"},
		{"unknown type", websocket.MessageText, `{"type":"dance"}`, "unknown_type"},
		{"empty message", websocket.MessageText, `{"type":"message","content":"   "}`, "empty_message"},
		{"too long", websocket.MessageText, `{"type":"message","content":"` + strings.Repeat("é", 4001) + `"}`, "message_too_long"},
		{"bad client id", websocket.MessageText, `{"type":"message","content":"x","client_id":"a b"}`, "invalid_client_id"},
		{"binary frame", websocket.MessageBinary, `{"type":"message","content":"x"}`, "unsupported_frame"},
		{"invalid utf-8", websocket.MessageText, "{\"type\":\"message\",\"content\":\"a\xffb\"}", "invalid_utf8"},
		{"only zero-width spaces", websocket.MessageText, `{"type":"message","content":"\u200b\u200b"}`, "empty_message"},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.Write(ctx, tt.typ, []byte(tt.data)); err != nil {
			t.Fatalf("%s: write: %v", tt.name, err)
		}
		cancel()
		got := readFrame(t, c)
		if got.Type != "error" || got.Code != tt.wantCode || got.Detail == "" {
			t.Errorf("%s: got %+v, want an error frame with code %s", tt.name, got, tt.wantCode)
		}
	}
	writeJSON(t, c, `{"type":"message","content":"still works"}`)
	if got := readFrame(t, c); got.Type != "message" || got.Content != "still works" {
		t.Errorf("after the rejections got %+v", got)
	}
}

func TestMessageRateLimitCloses1008(t *testing.T) {
	h := newHarness(t, func(c *GatewayConfig) { c.MessageRate, c.MessageBurst = 20, 40 })
	now := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	h.gw.now = func() time.Time { return now } // no refill
	c := h.dial(t, publicRoom, "tok-alice", "")
	for i := range 41 {
		writeJSON(t, c, fmt.Sprintf(`{"type":"message","content":"m%d"}`, i))
	}
	expectClose(t, c, websocket.StatusPolicyViolation)
	if got := h.msgs.count(publicRoom); got != 40 {
		t.Errorf("stored %d messages, want the burst of 40", got)
	}
}

func TestMemberRemovedClosed4403(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, publicRoom, "tok-bob", "")
	h.rooms.remove(publicRoom, bob)
	expectClose(t, b, closeRemoved)

	writeJSON(t, a, `{"type":"message","content":"bob left"}`)
	if got := readFrame(t, a); got.Content != "bob left" {
		t.Errorf("remaining member got %+v", got)
	}
}

func TestSendAfterRemovalClosed4403(t *testing.T) {
	h := newHarness(t, nil)
	b := h.dial(t, publicRoom, "tok-bob", "")
	h.rooms.mu.Lock()
	delete(h.rooms.members[publicRoom], bob) // removed, but the control event was lost
	h.rooms.mu.Unlock()
	writeJSON(t, b, `{"type":"message","content":"anyone?"}`)
	expectClose(t, b, closeRemoved)
}

func TestTokenExpiryClosed4401(t *testing.T) {
	h := newHarness(t, nil)
	h.users.tokens["tok-short"] = user.Claims{UserID: alice, ExpiresAt: time.Now().Add(200 * time.Millisecond)}
	c := h.dial(t, publicRoom, "tok-short", "")
	expectClose(t, c, closeTokenExpired)
}

func TestHeartbeatRefreshesLiveConns(t *testing.T) {
	beats := make(chan []room.Conn, 10)
	h := newHarness(t, func(c *GatewayConfig) {
		c.HeartbeatInterval = 10 * time.Millisecond
		c.Rooms = heartbeatRooms{fakeRooms: c.Rooms.(*fakeRooms), beats: beats}
	})
	h.dial(t, publicRoom, "tok-alice", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.gw.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	got := <-beats
	if len(got) != 1 || got[0].UserID != alice || got[0].RoomID != publicRoom || !strings.HasPrefix(got[0].ID, "test-") {
		t.Errorf("heartbeat conns = %+v", got)
	}
}

type heartbeatRooms struct {
	*fakeRooms
	beats chan []room.Conn
}

func (r heartbeatRooms) Heartbeat(_ context.Context, conns []room.Conn) error {
	select {
	case r.beats <- conns:
	default:
	}
	return nil
}

func TestShutdownClosesGoingAwayWithoutLeaks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newHarness(t, nil)
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, privateRoom, "tok-alice", "after_seq=0")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 1)
	go func() { errs <- h.gw.Shutdown(ctx) }()
	expectClose(t, a, websocket.StatusGoingAway)
	expectClose(t, b, websocket.StatusGoingAway)
	if err := <-errs; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if n := h.rooms.liveCount(); n != 0 {
		t.Errorf("%d sockets still present after shutdown", n)
	}
	if n := h.bus.active.Load(); n != 0 {
		t.Errorf("%d bus subscriptions still open after shutdown", n)
	}
	if _, resp, err := websocket.Dial(ctx, h.url("/ws/rooms/10?token=tok-alice"), nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after shutdown: %v", err)
	}
	h.srv.Close()
	h.hub.Close()
	http.DefaultClient.CloseIdleConnections()
}

// A client that never answers the closing handshake (it does not read)
// does not hold the shutdown past its grace: its socket is cut halfway.
func TestShutdownCutsClientsThatDoNotAnswer(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(t, publicRoom, "tok-alice", "") // never read: the close frame goes unanswered
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.gw.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a silent client: %v", err)
	}
	if n := h.rooms.liveCount(); n != 0 {
		t.Errorf("%d sockets still present after shutdown", n)
	}
}

// dropSlowConsumer opens a socket that never reads (alice's) and one that
// does (bob's, returned) in the public room of a harness whose SendQueue
// is small, and publishes until the hub drops the first with 1013.
func dropSlowConsumer(t *testing.T, h *harness) *websocket.Conn {
	t.Helper()
	slow := h.dial(t, publicRoom, "tok-alice", "")
	fast := h.dial(t, publicRoom, "tok-bob", "")
	slow.SetReadLimit(-1)
	fast.SetReadLimit(-1)

	// Large frames fill the slow client's TCP buffers quickly; then its
	// writer blocks and its queue of 2 overflows. The fast client reads each
	// frame before the next is published, so its queue never holds more
	// than one.
	ev := ports.Event{RoomID: publicRoom, Payload: ports.PresenceChanged{UserID: carol, Username: strings.Repeat("x", 256<<10), Joined: true}}
	big := wire.NewFrames(nil).Encode(ev).Bytes
	for i := 0; h.hub.localSockets(publicRoom) == 2; i++ {
		if i == 1000 {
			t.Fatal("slow socket never dropped")
		}
		if err := h.bus.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if _, b := readRaw(t, fast); len(b) != len(big) {
			t.Fatalf("fast client got %d bytes", len(b))
		}
	}
	expectClose(t, slow, websocket.StatusTryAgainLater)
	return fast
}
