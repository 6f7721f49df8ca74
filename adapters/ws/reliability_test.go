package ws

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestServerStallDoesNotCloseAWellBehavedClient: frames a client sends
// while the server is stuck on an earlier one wait in the socket's buffer;
// they are charged as they arrived (at a tenth of the rate here), so the
// reader taking them all at once after the stall is no burst.
func TestServerStallDoesNotCloseAWellBehavedClient(t *testing.T) {
	const rate, burst, stall = 20, 40, 30 * time.Second
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC).UnixNano())
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := newHarness(t, func(c *GatewayConfig) { c.MessageRate, c.MessageBurst = rate, burst })
	h.gw.now = func() time.Time { return time.Unix(0, now.Load()).UTC() }
	h.msgs.stall = func() { once.Do(func() { close(entered); <-release }) } // the first send stalls

	c := h.dial(t, publicRoom, "tok-alice", "")
	// During the stall the client sends at a tenth of the rate: stall×rate/10 frames.
	n := int(stall.Seconds()*rate/10) + 1
	for i := range n {
		writeJSON(t, c, fmt.Sprintf(`{"type":"message","content":"m%d"}`, i))
	}
	<-entered
	now.Add(int64(stall)) // the stall lasted this long
	close(release)
	for i := range n {
		if got := readFrame(t, c); got.Type != "message" || got.Content != fmt.Sprintf("m%d", i) {
			t.Fatalf("frame %d: got %+v, want message m%d", i, got, i)
		}
	}
	if got := h.msgs.count(publicRoom); got != int64(n) {
		t.Errorf("stored %d messages, want %d", got, n)
	}
}

// TestCreditDoesNotLiftTheLimit: after a stall's credit is spent, the
// bucket limits as before.
func TestCreditDoesNotLiftTheLimit(t *testing.T) {
	start := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	b := newTokenBucket(20, 40, start)
	b.credit(time.Second) // 20 tokens above the burst
	allowed := 0
	for b.allow(start) {
		allowed++
	}
	if allowed != 60 {
		t.Errorf("allowed %d frames at once after a 1 s credit, want 40 + 20", allowed)
	}
	if !b.allow(start.Add(time.Second)) {
		t.Error("a frame a second later refused")
	}
}

// TestRetriedClientIDIsAnswered: a send whose client_id is already stored
// is answered to its sender with the stored message, marked duplicate,
// and reaches nobody else again.
func TestRetriedClientIDIsAnswered(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, publicRoom, "tok-bob", "")
	writeJSON(t, a, `{"type":"message","content":"once","client_id":"k-1"}`)
	first := readFrame(t, a)
	if first.Type != "message" || first.ClientID != "k-1" || first.Duplicate {
		t.Fatalf("first answer %+v", first)
	}
	if got := readFrame(t, b); got.ID != first.ID {
		t.Fatalf("bob got %+v", got)
	}

	writeJSON(t, a, `{"type":"message","content":"once","client_id":"k-1"}`)
	again := readFrame(t, a)
	if again.Type != "message" || again.ID != first.ID || again.Seq != first.Seq || !again.Duplicate {
		t.Fatalf("retry answered %+v, want the stored message %d marked duplicate", again, first.ID)
	}
	writeJSON(t, a, `{"type":"message","content":"next"}`)
	if got := readFrame(t, b); got.Content != "next" || got.Duplicate {
		t.Errorf("bob's next frame %+v, want only the next message (no second copy)", got)
	}
	if got := h.msgs.count(publicRoom); got != 2 {
		t.Errorf("stored %d messages, want 2", got)
	}
}
