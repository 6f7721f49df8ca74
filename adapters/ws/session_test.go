package ws

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

func TestFrameQueue(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		ops   string // p: push the next frame, o: pop one
		want  []int64
		full  int // pushes refused
	}{
		{"fifo across growth", 8, "ppppppoooooo", []int64{1, 2, 3, 4, 5, 6}, 0},
		{"wraps around", 4, "pppoopppooooo", []int64{1, 2, 3, 4, 5, 6}, 0},
		{"refuses beyond the limit", 3, "pppppooo", []int64{1, 2, 3}, 2},
		{"pop of empty", 3, "oop", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q frameQueue
			var got []int64
			next, full := int64(1), 0
			for _, op := range tt.ops {
				if op == 'p' {
					if q.push(outFrame{seq: next}, tt.limit) {
						next++
					} else {
						full++
					}
					if len(q.buf) > tt.limit {
						t.Fatalf("queue grew to %d slots, limit %d", len(q.buf), tt.limit)
					}
					continue
				}
				if f, ok := q.pop(); ok {
					got = append(got, f.seq)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("popped (-want +got):\n%s", diff)
			}
			if full != tt.full {
				t.Errorf("refused %d pushes, want %d", full, tt.full)
			}
			q.shrink()
			if q.n == 0 && q.buf != nil {
				t.Errorf("empty queue holds %d slots after shrink", len(q.buf))
			}
		})
	}
}

func TestKeepalivePingsAndDropsSilentPeer(t *testing.T) {
	h := newHarness(t, func(c *GatewayConfig) {
		c.PingInterval = 20 * time.Millisecond
		c.WriteTimeout = 300 * time.Millisecond
	})
	defer h.run(t)()

	// A live client answers every ping while it reads.
	var pings atomic.Int64
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	live, _, err := websocket.Dial(dctx, h.url("/ws/rooms/10?token=tok-alice"), &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { pings.Add(1); return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer live.CloseNow()
	<-h.rooms.connected
	go func() {
		for {
			if _, _, err := live.Read(context.Background()); err != nil {
				return
			}
		}
	}()

	// A silent one never reads, so it never answers.
	silent, err := rawUpgrade(strings.TrimPrefix(h.srv.URL, "http://"), "/ws/rooms/10?token=tok-bob")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	<-h.rooms.connected

	for deadline := time.Now().Add(20 * time.Second); h.rooms.liveCount() != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets live, want the silent one dropped", h.rooms.liveCount())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ops, code := rawFrames(t, silent)
	if code != websocket.StatusGoingAway {
		t.Errorf("silent peer closed with %d, want %d", code, websocket.StatusGoingAway)
	}
	if len(ops) == 0 || ops[0] != 0x9 {
		t.Errorf("silent peer got opcodes %v, want pings first", ops)
	}
	for n := pings.Load(); n < 3; n = pings.Load() {
		time.Sleep(10 * time.Millisecond) // the live client keeps being pinged, and stays
	}
	if h.rooms.liveCount() != 1 {
		t.Error("the live client was dropped")
	}
}

// rawFrames reads server frames from c until EOF and returns their opcodes
// and the close code.
func rawFrames(t *testing.T, c net.Conn) (ops []byte, code websocket.StatusCode) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var hdr [2]byte
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return ops, code
		}
		n := int(hdr[1] & 0x7f) // control frames and our short frames only
		if n >= 126 {
			t.Fatalf("unexpected long frame")
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(c, p); err != nil {
			t.Fatalf("frame payload: %v", err)
		}
		op := hdr[0] & 0x0f
		ops = append(ops, op)
		if op == 0x8 && n >= 2 {
			code = websocket.StatusCode(binary.BigEndian.Uint16(p))
		}
	}
}

// TestIdleSocketKeepsOnlyItsReader checks the point of the session's
// design: once set up and idle, a socket has one goroutine, its reader; the
// handler has returned and the writer has ended.
func TestIdleSocketKeepsOnlyItsReader(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial(t, publicRoom, "tok-alice", "")
	b := h.dial(t, publicRoom, "tok-bob", "after_seq=0")
	writeJSON(t, a, `{"type":"message","content":"wake the writers"}`)
	readFrame(t, a)
	readFrame(t, b)

	want := map[string]int{"(*session).readLoop": 2}
	var got map[string]int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got = wsGoroutines()
		if cmp.Equal(want, got) || time.Now().After(deadline) {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("goroutines of idle sockets (-want +got):\n%s", diff)
	}
}

// wsGoroutines counts live goroutines by the session or gateway function
// they are in.
func wsGoroutines() map[string]int {
	var sb strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&sb, 2)
	counts := make(map[string]int)
	for _, g := range strings.Split(sb.String(), "\n\n") {
		for _, fn := range []string{"(*session).readLoop", "(*session).writeLoop", "(*Gateway).ServeHTTP"} {
			if strings.Contains(g, "chat/adapters/ws."+fn) {
				counts[fn]++
			}
		}
	}
	return counts
}
