package ws

import (
	"fmt"
	"testing"

	"github.com/coder/websocket"
)

// TestRateLimitedSendsErrorFirstCloseOnlyOnPersistence: a send the
// application refuses for the user's rate limit gets an error frame with
// retry_after and the socket stays open; a client that keeps sending after
// being told, more than maxLimitedFrames frames in a row, is closed with
// 1008. A send that goes through starts the count again.
func TestRateLimitedSendsErrorFirstCloseOnlyOnPersistence(t *testing.T) {
	h := newHarness(t, nil)
	h.msgs.mu.Lock()
	h.msgs.sendLimit = 2
	h.msgs.mu.Unlock()
	c := h.dial(t, publicRoom, "tok-alice", "")
	send := func(i int) { writeJSON(t, c, fmt.Sprintf(`{"type":"message","content":"m%d"}`, i)) }

	for i := range 2 {
		send(i)
		if got := readFrame(t, c); got.Type != "message" {
			t.Fatalf("send %d: got %+v, want its message", i+1, got)
		}
	}
	refused := func(n int) {
		t.Helper()
		for i := range n {
			send(100 + i)
			got := readFrame(t, c)
			if got.Type != "error" || got.Code != "rate_limited" || got.RetryAfter != 3 || got.Detail == "" {
				t.Fatalf("limited send %d: got %+v, want an error frame rate_limited with retry_after 3", i+1, got)
			}
		}
	}
	refused(maxLimitedFrames)

	// The limit lifts; one send that goes through forgives the refusals.
	h.msgs.mu.Lock()
	h.msgs.sendLimit = 3
	h.msgs.mu.Unlock()
	send(3)
	if got := readFrame(t, c); got.Type != "message" {
		t.Fatalf("send after the limit lifted: got %+v", got)
	}
	refused(maxLimitedFrames)

	send(999) // one more than the client may ignore
	expectClose(t, c, websocket.StatusPolicyViolation)
	if got := h.msgs.count(publicRoom); got != 3 {
		t.Errorf("stored %d messages, want 3", got)
	}
}
