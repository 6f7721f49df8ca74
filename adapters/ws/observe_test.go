package ws

import (
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"chat/ports"
)

// observed records what the gateway and the hub report.
type observed struct {
	mu        sync.Mutex
	opened    map[ports.SocketKind]int
	closed    map[ports.SocketKind]int
	slow      int
	frames    map[string]int
	delivered map[ports.EventKind]int
	latencies int
}

func newObserved() *observed {
	return &observed{opened: map[ports.SocketKind]int{}, closed: map[ports.SocketKind]int{},
		frames: map[string]int{}, delivered: map[ports.EventKind]int{}}
}

func (o *observed) SocketOpened(k ports.SocketKind) { o.mu.Lock(); o.opened[k]++; o.mu.Unlock() }

func (o *observed) SocketClosed(k ports.SocketKind, slow bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed[k]++
	if slow {
		o.slow++
	}
}

func (o *observed) FrameReceived(typ string) { o.mu.Lock(); o.frames[typ]++; o.mu.Unlock() }

func (o *observed) Delivered(k ports.EventKind, n int) {
	o.mu.Lock()
	o.delivered[k] += n
	o.mu.Unlock()
}

func (o *observed) MessageLatency(time.Duration) { o.mu.Lock(); o.latencies++; o.mu.Unlock() }

// waitFor polls cond (under o.mu) for up to 5 s.
func (o *observed) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		o.mu.Lock()
		ok := cond()
		o.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never observed: %s", what)
		}
	}
}

func TestObserverHearsSocketsFramesAndDeliveries(t *testing.T) {
	obs := newObserved()
	h := newHarness(t, func(c *GatewayConfig) { c.Observer = obs })
	h.hub.obs = obs // before any socket: the hub reads it only on fan-out
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, publicRoom, "tok-bob", "")

	writeJSON(t, a, `{"type":"message","content":"hi","client_id":"c-1"}`)
	readFrame(t, a)
	readFrame(t, b)
	writeJSON(t, a, `{"type":"typing"}`)
	if f := readFrame(t, b); f.Type != "typing" {
		t.Fatalf("bob got %+v, want typing", f)
	}
	writeJSON(t, a, `{"type":"made-up"}`)
	readFrame(t, a) // its error frame
	writeJSON(t, a, `not json`)
	readFrame(t, a)

	obs.waitFor(t, "the typing delivery", func() bool { return obs.delivered[ports.EventTyping] == 1 })
	obs.mu.Lock()
	got := struct {
		Opened    map[ports.SocketKind]int
		Frames    map[string]int
		Delivered map[ports.EventKind]int
		Latencies int
	}{obs.opened, obs.frames, obs.delivered, obs.latencies}
	want := got
	want.Opened = map[ports.SocketKind]int{ports.RoomSocket: 2}
	want.Frames = map[string]int{"message": 1, "typing": 1, "made-up": 1, "invalid": 1}
	// The message to both sockets, typing to bob only.
	want.Delivered = map[ports.EventKind]int{ports.EventMessage: 2, ports.EventTyping: 1}
	want.Latencies = 1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	obs.mu.Unlock()

	_ = a.Close(websocket.StatusNormalClosure, "")
	_ = b.Close(websocket.StatusNormalClosure, "")
	obs.waitFor(t, "two closes", func() bool { return obs.closed[ports.RoomSocket] == 2 })
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.slow != 0 {
		t.Errorf("%d slow consumers, want 0", obs.slow)
	}
}

func TestObserverHearsSlowConsumers(t *testing.T) {
	obs := newObserved()
	h := newHarness(t, func(c *GatewayConfig) { c.SendQueue, c.Observer = 2, obs })
	dropSlowConsumer(t, h)
	obs.waitFor(t, "the slow consumer's close", func() bool { return obs.slow == 1 && obs.closed[ports.RoomSocket] == 1 })
}
