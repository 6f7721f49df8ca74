package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// sock is one benchmark WebSocket: a member of one room, over the room's
// socket (/ws/rooms/{id}) or over its user's stream (/ws), which carries
// every room of the user.
type sock struct {
	id     int    // index over the whole fleet; also the sender id in client_id
	room   int    // index of its room in the fleet
	url    string // ws://…/ws/rooms/{id}?token=… or ws://…/ws?token=…
	client *http.Client
	// stream marks a user stream: it is usable once the server's ready
	// frame arrived, and what it sends names its room (roomID).
	stream bool
	roomID int64

	conn atomic.Pointer[websocket.Conn]
	dead atomic.Bool

	// seen counts deliveries per client_id when exactness is checked (smoke).
	mu   sync.Mutex
	seen map[string]int
}

// dialers returns one HTTP client per source address (round-robin over the
// sockets), so that more than one port range of loopback sockets can be
// opened. Without source addresses there is a single default client.
func dialers(sourceIPs []string) ([]*http.Client, error) {
	if len(sourceIPs) == 0 {
		return []*http.Client{{Transport: &http.Transport{DialContext: (&net.Dialer{}).DialContext}}}, nil
	}
	var clients []*http.Client
	for _, s := range sourceIPs {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("-source-ips: %q is not an IP address", s)
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
		clients = append(clients, &http.Client{Transport: &http.Transport{DialContext: d.DialContext}})
	}
	return clients, nil
}

// dial opens the socket's connection (again, if it had died).
func (s *sock) dial(ctx context.Context) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{
		HTTPClient:      s.client,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial socket %d: HTTP %d: %w", s.id, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial socket %d: %w", s.id, err)
	}
	c.SetReadLimit(1 << 20)
	if s.stream {
		if err := awaitReady(ctx, c); err != nil {
			c.CloseNow()
			return nil, fmt.Errorf("socket %d: %w", s.id, err)
		}
	}
	s.conn.Store(c)
	s.dead.Store(false)
	return c, nil
}

// awaitReady reads a user stream's frames until its ready frame: the
// server sends it once every room of the user is subscribed, so a message
// sent before it could miss this socket. What comes first (presence) is
// not a delivery.
func awaitReady(ctx context.Context, c *websocket.Conn) error {
	buf := make([]byte, 0, 1024)
	for {
		var err error
		buf, err = readFrame(ctx, c, buf)
		if err != nil {
			return fmt.Errorf("waiting for the stream's ready frame: %w", err)
		}
		if bytesHasType(buf, readyPrefix) {
			return nil
		}
		if bytesHasType(buf, errorPrefix) {
			return fmt.Errorf("error frame before ready: %.200s", buf)
		}
	}
}

// readFrame reads one whole frame from c into buf (reused between frames).
func readFrame(ctx context.Context, c *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := c.Reader(ctx)
	if err != nil {
		return buf, err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Frames: what chatbench sends and how it recognises its own messages coming
// back. The client_id is "b:<phase>:<due unix nanos>:<sender socket>:<seq>",
// printable ASCII well under the 64-byte limit, unique per sender.

var (
	messagePrefix = []byte(`"type":"message"`)
	errorPrefix   = []byte(`"type":"error"`)
	readyPrefix   = []byte(`"type":"ready"`)
	clientIDKey   = []byte(`"client_id":"b:`)
)

// appendSendFrame appends the frame a benchmark socket sends. A user
// stream's frame names its room (roomID); a room socket's does not
// (roomID 0), as before streams existed.
func appendSendFrame(b []byte, roomID int64, phase int, due int64, sender int, seq int64) []byte {
	b = append(b, `{"type":"message",`...)
	if roomID != 0 {
		b = append(b, `"room_id":`...)
		b = strconv.AppendInt(b, roomID, 10)
		b = append(b, ',')
	}
	b = append(b, `"content":"chatbench load message","client_id":"b:`...)
	b = strconv.AppendInt(b, int64(phase), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, due, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(sender), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, seq, 10)
	return append(b, `"}`...)
}

// stamp is what a receiver learns from a delivered benchmark message.
type stamp struct {
	phase  int
	due    int64 // unix nanoseconds
	sender int
	id     []byte // the whole client_id, aliasing the frame
}

// parseStamp finds the client_id of a benchmark "message" event with a
// byte scan (no JSON decoding: this runs for every delivery). ok is false for
// any other frame: only a frame whose type (its first key, as chatd and the
// baseline write it) is message counts, so a user stream's ready, presence,
// read, read_receipt and room_* frames are never deliveries, whatever they
// embed.
func parseStamp(frame []byte) (st stamp, ok bool) {
	if !bytesHasType(frame, messagePrefix) {
		return st, false
	}
	i := bytes.Index(frame, clientIDKey)
	if i < 0 {
		return st, false
	}
	start := i + len(clientIDKey) - len("b:")
	rest := frame[i+len(clientIDKey):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return st, false
	}
	st.id = frame[start : i+len(clientIDKey)+end]
	var fields [4]int64
	f := 0
	for _, c := range rest[:end] {
		switch {
		case c >= '0' && c <= '9':
			fields[f] = fields[f]*10 + int64(c-'0')
		case c == ':' && f < len(fields)-1:
			f++
		default:
			return st, false
		}
	}
	if f != len(fields)-1 {
		return st, false
	}
	st.phase, st.due, st.sender = int(fields[0]), fields[1], int(fields[2])
	return st, true
}
