package ws

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client may send its first frame in the same packet as the upgrade
// request; those bytes are already in net/http's reader when the gateway
// hijacks the connection, and must reach the session, not vanish.
func TestFrameSentWithTheHandshakeIsRead(t *testing.T) {
	h := newHarness(t, nil)
	c, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("GET /ws/rooms/%d?token=tok-alice HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", publicRoom)
	payload := []byte(`{"type":"message","content":"early bird","client_id":"e-1"}`)
	if _, err := c.Write(append([]byte(req), clientFrame(payload)...)); err != nil { // one write: one packet
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v, %v", resp, err)
	}
	for {
		b, err := serverFrame(br)
		if err != nil {
			t.Fatalf("the early frame was never answered: %v", err)
		}
		if strings.Contains(string(b), `"content":"early bird"`) {
			return
		}
	}
}

// clientFrame is a masked text frame (payload < 126 bytes).
func clientFrame(p []byte) []byte {
	key := [4]byte{1, 2, 3, 4}
	f := []byte{0x81, 0x80 | byte(len(p)), key[0], key[1], key[2], key[3]}
	for i, b := range p {
		f = append(f, b^key[i%4])
	}
	return f
}

// serverFrame reads one unmasked frame's payload.
func serverFrame(r *bufio.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return p, err
}

// The writer sends what is queued in batches (one write each): every frame
// arrives, once, in order, also when hundreds queue up while the client
// is not reading.
func TestBatchedFramesArriveInOrder(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial(t, publicRoom, "tok-alice", "")
	const n = 200
	for i := range n {
		if _, err := h.msgs.Send(context.Background(), bob, publicRoom, fmt.Sprint("m", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		f := readFrame(t, a)
		if f.Type != "message" || f.Content != fmt.Sprint("m", i) || f.Seq != int64(i+1) {
			t.Fatalf("frame %d: %+v", i, f)
		}
	}
}

// Keepalive runs on a timer, not a goroutine per socket: a client that
// answers pings stays connected across many intervals; one that stops
// reading (so never answers) is closed and torn down.
func TestKeepaliveClosesSilentSockets(t *testing.T) {
	h := newHarness(t, func(c *GatewayConfig) {
		c.PingInterval = 20 * time.Millisecond
		c.WriteTimeout = 200 * time.Millisecond
	})
	alive := h.dial(t, publicRoom, "tok-alice", "")
	readCtx, stopReading := context.WithCancel(context.Background())
	defer stopReading()
	go func() { // reading answers pings
		for {
			if _, _, err := alive.Read(readCtx); err != nil {
				return
			}
		}
	}()
	h.dial(t, publicRoom, "tok-bob", "") // never reads: its pings go unanswered
	deadline := time.Now().Add(10 * time.Second)
	for h.rooms.liveCount() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets live, want the silent one closed", h.rooms.liveCount())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // many more ping intervals
	if n := h.rooms.liveCount(); n != 1 {
		t.Fatalf("%d sockets live, want the answering one kept", n)
	}
	if n := h.hub.localSockets(publicRoom); n != 1 {
		t.Fatalf("hub holds %d sockets, want 1", n)
	}
}
