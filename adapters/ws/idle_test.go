package ws

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BenchmarkIdleSocket opens 2000 authenticated sockets with minimal raw
// clients (a net.Conn each, no goroutine) and reports what each costs this
// process once idle: Go heap in use plus goroutine stacks, and goroutines.
// The figure includes the client's net.Conn (a few hundred bytes) and the
// net/http bufio reader and writer coder/websocket reuses (4 KiB each).
func BenchmarkIdleSocket(b *testing.B) {
	const n = 2000
	for range b.N {
		perSocket, goroutines := measureIdle(b, n)
		b.ReportMetric(perSocket, "B/socket")
		b.ReportMetric(goroutines, "goroutines/socket")
	}
}

func measureIdle(b *testing.B, n int) (bytesPerSocket, goroutinesPerSocket float64) {
	h := newHarness(b, nil)
	done := make(chan struct{})
	connected := make(chan struct{})
	go func() { // fakeRooms.Connect blocks once its channel is full
		defer close(connected)
		for range n {
			select {
			case <-h.rooms.connected:
			case <-done:
				return
			}
		}
	}()
	defer close(done)
	addr := strings.TrimPrefix(h.srv.URL, "http://")
	before, g0 := idleMemory()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range n {
		c, err := rawUpgrade(addr, fmt.Sprintf("/ws/rooms/%d?token=tok-alice", publicRoom))
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	select {
	case <-connected:
	case <-time.After(time.Minute):
		b.Fatal("sockets never all connected")
	}
	after, g1 := idleMemory()
	return float64(after-before) / float64(n), float64(g1-g0) / float64(n)
}

// idleMemory settles the heap (two collections let stacks shrink) and
// returns heap in use plus stacks, and the goroutine count.
func idleMemory() (uint64, int) {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
}

// rawUpgrade performs the WebSocket handshake by hand and returns the bare
// connection, so the client side costs next to nothing.
func rawUpgrade(addr, path string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		return nil, err
	}
	// The server sends nothing after the 101 until an event, so the reader
	// cannot swallow a frame.
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("handshake: %s", resp.Status)
	}
	return c, nil
}
