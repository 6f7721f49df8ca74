package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// streamServer plays the part of chatd's user stream that chatbench relies
// on, in process: GET /ws?token=<room ids, comma-separated> subscribes the
// socket to those rooms; a presence frame comes first, then ready once the
// rooms are subscribed; a client frame {"type":"message","room_id":N,…}
// goes unchanged to every stream of room N, and its sender also gets a read
// frame and a presence frame, which are no deliveries.
type streamServer struct {
	srv *httptest.Server

	mu    sync.Mutex
	rooms map[int64]map[*websocket.Conn]bool
	conns map[*websocket.Conn]bool
	wg    sync.WaitGroup
}

func startStreamServer(t *testing.T) *streamServer {
	t.Helper()
	s := &streamServer{rooms: map[int64]map[*websocket.Conn]bool{}, conns: map[*websocket.Conn]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.stop)
	return s
}

// stop closes the listener, then the hijacked sockets httptest does not
// track, and waits for their handlers. It may be called more than once.
func (s *streamServer) stop() {
	s.srv.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.CloseNow()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *streamServer) serve(w http.ResponseWriter, r *http.Request) {
	s.wg.Add(1)
	defer s.wg.Done()
	var rooms []int64
	for _, f := range strings.Split(r.URL.Query().Get("token"), ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if r.URL.Path != "/ws" || err != nil {
			http.Error(w, "want /ws?token=<room ids>", http.StatusBadRequest)
			return
		}
		rooms = append(rooms, id)
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	if c.Write(ctx, websocket.MessageText, []byte(`{"type":"presence","user_id":1,"username":"x","online":true}`)) != nil {
		return
	}
	s.mu.Lock()
	s.conns[c] = true
	for _, id := range rooms {
		if s.rooms[id] == nil {
			s.rooms[id] = map[*websocket.Conn]bool{}
		}
		s.rooms[id][c] = true
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		for _, id := range rooms {
			delete(s.rooms[id], c)
		}
		s.mu.Unlock()
	}()
	var ready []string
	for _, id := range rooms {
		ready = append(ready, fmt.Sprintf(`{"room_id":%d,"last_seq":0,"last_read_seq":0,"unread_count":0}`, id))
	}
	if c.Write(ctx, websocket.MessageText, []byte(`{"type":"ready","rooms":[`+strings.Join(ready, ",")+`]}`)) != nil {
		return
	}
	for {
		_, frame, err := c.Read(ctx)
		if err != nil {
			return
		}
		var in struct {
			Type   string `json:"type"`
			RoomID int64  `json:"room_id"`
		}
		if json.Unmarshal(frame, &in) != nil || in.Type != "message" {
			continue
		}
		s.mu.Lock()
		var to []*websocket.Conn
		for m := range s.rooms[in.RoomID] {
			to = append(to, m)
		}
		s.mu.Unlock()
		for _, m := range to {
			_ = m.Write(ctx, websocket.MessageText, frame)
		}
		_ = c.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"read","room_id":%d,"last_read_seq":1,"unread_count":0}`, in.RoomID))
		_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"presence","user_id":2,"username":"y","online":false}`))
	}
}

// streamWorld is a world as setupChatd would leave it against the stream
// server: distinct users, each user's token naming its room.
func streamWorld(t *testing.T, base string, rooms, members int) *world {
	t.Helper()
	clients, err := dialers(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := chatdSetup{instances: []string{base}, rooms: rooms, members: members, users: rooms * members, distinct: true, clients: clients}
	w := &world{setup: s, tokens: make([]string, s.users), roomIDs: make([]int64, rooms)}
	for r := range rooms {
		w.roomIDs[r] = int64(100 + r)
		for j := range members {
			w.tokens[s.userOf(r, j)] = strconv.FormatInt(w.roomIDs[r], 10)
		}
	}
	return w
}

func TestFanoutOverStreamsDeliversEverySendToEveryMember(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := startStreamServer(t)
	const rooms, members = 3, 4
	f := streamWorld(t, srv.srv.URL, rooms, members).streamFleet()
	e := newEngine(f, loadSpec{
		unitsPerSend: members,
		phases:       []phase{{oncePhase, 90 * members, time.Second}}, // 90 sends in 1 s
		grace:        10 * time.Second,
	})
	ctx := context.Background()
	if err := e.connect(ctx); err != nil {
		t.Fatal(err)
	}
	results, err := e.run(ctx)
	e.close()
	if err != nil {
		t.Fatal(err)
	}
	got := results[0]
	if got.Sends != 90 || got.SendErrors != 0 {
		t.Fatalf("sends = %d (%d failed), want 90 (0 failed)", got.Sends, got.SendErrors)
	}
	if got.Expected != got.Sends*members || got.Received != got.Expected {
		t.Fatalf("received %d deliveries, expected %d = %d sends × %d members (read and presence frames are not deliveries)", got.Received, got.Expected, got.Sends, members)
	}
	if reasons := e.closeReasons(); len(reasons) > 0 {
		t.Fatalf("close reasons or error frames: %v", reasons)
	}
	srv.stop()
}

func TestSmokeOverStreamsIsExactlyOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := startStreamServer(t)
	f := streamWorld(t, srv.srv.URL, 2, 3).streamFleet()
	r, err := runSmoke(context.Background(), scenarioResult{Name: "smoke-stream"}, f, 40, nil)
	if err != nil {
		t.Fatalf("smoke over streams: %v (metrics %+v)", err, r.Metrics)
	}
	for name, want := range map[string]float64{"messages_sent": 40, "deliveries_expected": 120, "deliveries_missing": 0, "deliveries_duplicated": 0, "deliveries_from_elsewhere": 0} {
		if got, _ := r.metric(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	srv.stop()
}

func TestStreamSocketWaitsForReady(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// dial reads up to and including ready: the first frame the caller
	// reads is the one after it.
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for _, f := range []string{
			`{"type":"presence","user_id":1,"username":"x","online":true}`,
			`{"type":"room_added","room_id":3,"room":{"id":3}}`,
			`{"type":"ready","rooms":[]}`,
			`{"type":"typing","room_id":3,"user_id":1,"username":"x"}`,
		} {
			if c.Write(r.Context(), websocket.MessageText, []byte(f)) != nil {
				return
			}
		}
		_, _, _ = c.Read(r.Context())
	}))
	defer srv.Close()
	clients, _ := dialers(nil)
	s := &sock{url: streamURL(srv.URL, "t"), client: clients[0], stream: true}
	ctx := context.Background()
	c, err := s.dial(ctx)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_, next, err := c.Read(ctx)
	c.CloseNow()
	if err != nil || !strings.HasPrefix(string(next), `{"type":"typing"`) {
		t.Fatalf("first frame after dial = %s (%v), want the typing frame that follows ready", next, err)
	}
	<-done
}

func TestStreamSocketFailsOnErrorBeforeReady(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_ = c.Write(r.Context(), websocket.MessageText, []byte(`{"type":"error","code":"invalid_resume","detail":"no"}`))
		_, _, _ = c.Read(r.Context())
	}))
	defer srv.Close()
	clients, _ := dialers(nil)
	s := &sock{id: 7, url: streamURL(srv.URL, "t"), client: clients[0], stream: true}
	if _, err := s.dial(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_resume") {
		t.Fatalf("dial = %v, want the error frame", err)
	}
	<-done
}

func TestSocketURLs(t *testing.T) {
	tests := []struct{ got, want string }{
		{roomSocketURL("http://127.0.0.1:8000/", 12, "a+b/c="), "ws://127.0.0.1:8000/ws/rooms/12?token=a%2Bb%2Fc%3D"},
		{roomSocketURL("https://chat.example", 3, "t"), "wss://chat.example/ws/rooms/3?token=t"},
		{streamURL("http://127.0.0.1:8000", "a+b/c="), "ws://127.0.0.1:8000/ws?token=a%2Bb%2Fc%3D"},
		{streamURL("https://chat.example/", "t"), "wss://chat.example/ws?token=t"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func TestStreamFleetMirrorsRoomFleet(t *testing.T) {
	clients, _ := dialers(nil)
	s := chatdSetup{instances: []string{"http://a:1", "http://b:2"}, rooms: 2, members: 3, users: 6, distinct: true, clients: clients}
	w := &world{setup: s, tokens: []string{"t0", "t1", "t2", "t3", "t4", "t5"}, roomIDs: []int64{41, 42}}
	rooms, streams := w.roomFleet(), w.streamFleet()
	if rooms.streams() || !streams.streams() {
		t.Fatalf("streams() = %v, %v; want false for room sockets, true for streams", rooms.streams(), streams.streams())
	}
	type row struct {
		ID, Room int
		URL      string
		Stream   bool
		RoomID   int64
	}
	rows := func(f *fleet) (out []row) {
		for _, r := range f.rooms {
			for _, s := range r {
				out = append(out, row{s.id, s.room, s.url, s.stream, s.roomID})
			}
		}
		return out
	}
	want := []row{
		{0, 0, "ws://a:1/ws?token=t0", true, 41}, {1, 0, "ws://b:2/ws?token=t1", true, 41}, {2, 0, "ws://a:1/ws?token=t2", true, 41},
		{3, 1, "ws://b:2/ws?token=t3", true, 42}, {4, 1, "ws://a:1/ws?token=t4", true, 42}, {5, 1, "ws://b:2/ws?token=t5", true, 42},
	}
	if diff := cmp.Diff(want, rows(streams)); diff != "" {
		t.Errorf("stream fleet (-want +got):\n%s", diff)
	}
	for i, r := range rows(rooms) {
		if wantURL := fmt.Sprintf("%s/ws/rooms/%d?token=t%d", wsBase(s.instances[i%2]), want[i].RoomID, i); r.URL != wantURL || r.Stream || r.ID != want[i].ID || r.Room != want[i].Room {
			t.Errorf("room socket %d = %+v, want %s on room %d", i, r, wantURL, want[i].Room)
		}
	}
}

func TestSpreadRoom(t *testing.T) {
	const users, k, n = 200, 50, 1000
	perRoom := make([]int, n)
	for u := range users {
		seen := map[int]bool{}
		for i := range k {
			r := spreadRoom(u, i, k, n)
			if seen[r] {
				t.Fatalf("user %d gets room %d twice", u, r)
			}
			seen[r] = true
			perRoom[r]++
		}
	}
	for r, c := range perRoom {
		if c != users*k/n {
			t.Fatalf("room %d has %d members, want %d", r, c, users*k/n)
		}
	}
	if got := spreadRoom(7, 0, 1, 5); got != 2 {
		t.Errorf("one room each: user 7 of 5 rooms is in room %d, want 2", got)
	}
}

func TestStreamCosts(t *testing.T) {
	// 1,000 streams: 12 KiB each with one room, 12 KiB + 49 × 256 B each
	// with 50 rooms.
	const n, k = 1000, 50
	v0 := int64(100 << 20)
	v1 := v0 + n*12*1024
	vk := v1 + n*(12*1024+49*256)
	got := streamCosts(v0, v1, vk, n, k)
	want := streamCost{one: 12 * 1024, many: 12*1024 + 49*256, perRoom: 256, base: 12*1024 - 256}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(streamCost{})); diff != "" {
		t.Errorf("streamCosts (-want +got):\n%s", diff)
	}
	// Two instances, one creator's stream on each, in all 1,000 rooms:
	// 2,000 subscriptions of 2 KiB each, besides the two streams.
	growth := int64(2*(12*1024-256) + 2*1000*256 + 2000*2048)
	if got := got.perSubscription(growth, 2, 2000); got != 2048 {
		t.Errorf("perSubscription = %v, want 2048", got)
	}
}
