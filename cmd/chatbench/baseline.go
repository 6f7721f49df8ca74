package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// baselineServer is the smallest honest WebSocket broadcast server: no
// auth, no storage, no JSON. A frame read from a socket of room N is queued,
// unchanged, to every socket of room N (the sender's too, as chatd echoes);
// each socket has a bounded queue and one writer goroutine, and a socket
// whose queue is full is closed with 1013, like chatd's hub. What chatd
// reaches relative to it is the cost of everything chatd does on top.
type baselineServer struct {
	mu    sync.Mutex
	rooms map[int]*baselineRoom

	srv      *http.Server
	ln       net.Listener
	done     chan struct{}
	stopOnce sync.Once
}

type baselineRoom struct {
	mu   sync.RWMutex
	subs map[*baselineSub]struct{}
}

type baselineSub struct {
	queue   chan []byte
	conn    *websocket.Conn
	closing sync.Once
}

const baselineQueue = 256

// startBaseline listens on a loopback port and serves /ws/rooms/{id}.
func startBaseline() (*baselineServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline listen: %w", err)
	}
	b := &baselineServer{rooms: map[int]*baselineRoom{}, ln: ln, done: make(chan struct{})}
	b.srv = &http.Server{Handler: http.HandlerFunc(b.serveWS), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(b.done)
		if err := b.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(fmt.Sprintf("baseline server: %v", err))
		}
	}()
	return b, nil
}

// url is the base URL to dial: ws://127.0.0.1:port.
func (b *baselineServer) url() string { return "ws://" + b.ln.Addr().String() }

// stop closes the listener and every socket; Shutdown does not wait for
// hijacked connections, so the sockets are closed by hand. It may be called
// more than once.
func (b *baselineServer) stop() { b.stopOnce.Do(b.shutdown) }

func (b *baselineServer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.srv.Shutdown(ctx)
	b.mu.Lock()
	for _, room := range b.rooms {
		room.mu.RLock()
		for s := range room.subs {
			s.conn.CloseNow()
		}
		room.mu.RUnlock()
	}
	b.mu.Unlock()
	<-b.done
}

func (b *baselineServer) serveWS(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/ws/rooms/"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	c.SetReadLimit(1 << 16)
	s := &baselineSub{queue: make(chan []byte, baselineQueue), conn: c}
	b.mu.Lock()
	room := b.rooms[id]
	if room == nil {
		room = &baselineRoom{subs: map[*baselineSub]struct{}{}}
		b.rooms[id] = room
	}
	b.mu.Unlock()
	room.mu.Lock()
	room.subs[s] = struct{}{}
	room.mu.Unlock()

	ctx, cancel := context.WithCancel(r.Context())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case frame := <-s.queue:
				wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
				err := c.Write(wctx, websocket.MessageText, frame)
				wcancel()
				if err != nil {
					c.CloseNow()
					return
				}
			}
		}
	}()
	for {
		_, frame, err := c.Read(ctx)
		if err != nil {
			break
		}
		room.broadcast(frame)
	}
	room.mu.Lock()
	delete(room.subs, s)
	room.mu.Unlock()
	cancel()
	<-writerDone
	c.CloseNow()
}

func (room *baselineRoom) broadcast(frame []byte) {
	room.mu.RLock()
	defer room.mu.RUnlock()
	for s := range room.subs {
		select {
		case s.queue <- frame:
		default:
			s.closing.Do(func() { go s.conn.Close(websocket.StatusTryAgainLater, "slow consumer") })
		}
	}
}
