package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// memBus is an in-process ports.Bus: Publish delivers synchronously, under
// one lock, so each subscription sees events in publish order from a single
// goroutine at a time.
type memBus struct {
	mu   sync.Mutex
	subs map[room.ID]map[*memSub]struct{}
}

type memSub struct {
	bus     *memBus
	room    room.ID
	deliver func(ports.Event)
}

func newMemBus() *memBus { return &memBus{subs: make(map[room.ID]map[*memSub]struct{})} }

func (b *memBus) Publish(_ context.Context, e ports.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[e.RoomID] {
		s.deliver(e)
	}
	return nil
}

func (b *memBus) Subscribe(_ context.Context, r room.ID, deliver func(ports.Event)) (ports.Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &memSub{bus: b, room: r, deliver: deliver}
	if b.subs[r] == nil {
		b.subs[r] = make(map[*memSub]struct{})
	}
	b.subs[r][s] = struct{}{}
	return s, nil
}

func (s *memSub) Close() error {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	delete(s.bus.subs[s.room], s)
	return nil
}

// countingBus counts the subscriptions made through it.
type countingBus struct {
	ports.Bus
	subscribed atomic.Int64
	active     atomic.Int64
	closed     chan room.ID // one value per closed subscription
}

func newCountingBus(b ports.Bus) *countingBus {
	return &countingBus{Bus: b, closed: make(chan room.ID, 100)}
}

func (b *countingBus) Subscribe(ctx context.Context, r room.ID, deliver func(ports.Event)) (ports.Subscription, error) {
	sub, err := b.Bus.Subscribe(ctx, r, deliver)
	if err != nil {
		return nil, err
	}
	b.subscribed.Add(1)
	b.active.Add(1)
	return &countedSub{Subscription: sub, bus: b, room: r}, nil
}

type countedSub struct {
	ports.Subscription
	bus  *countingBus
	room room.ID
}

func (s *countedSub) Close() error {
	s.bus.active.Add(-1)
	s.bus.closed <- s.room
	return s.Subscription.Close()
}

// fakeUsers knows a fixed set of tokens.
type fakeUsers struct {
	user.Service // only Authenticate is called
	tokens       map[string]user.Claims
}

func (f *fakeUsers) Authenticate(_ context.Context, token string) (user.Claims, error) {
	c, ok := f.tokens[token]
	if !ok {
		return user.Claims{}, domain.Errorf(domain.Unauthenticated, "invalid_token", "invalid token")
	}
	return c, nil
}

// fakeRooms keeps membership and presence in maps.
type fakeRooms struct {
	room.Service // only what the gateway calls is implemented
	bus          ports.Bus

	mu        sync.Mutex
	private   map[room.ID]bool // the rooms that exist
	failing   map[room.ID]bool // Authorize fails with an internal error
	members   map[room.ID]map[user.ID]bool
	live      map[string]room.Conn
	connected chan room.Conn
	follows   map[[2]int64]int // (room, user) → streams that follow it
	lastSeq   func(room.ID) int64
}

func (f *fakeRooms) Authorize(_ context.Context, actor user.ID, id room.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing[id] {
		return fmt.Errorf("membership store: connection refused")
	}
	private, ok := f.private[id]
	switch {
	case !ok:
		return domain.Errorf(domain.NotFound, "room_not_found", "no such room")
	case f.members[id][actor]:
		return nil
	case private:
		return domain.Errorf(domain.NotFound, "room_not_found", "no such room")
	default:
		return domain.Errorf(domain.Forbidden, "not_a_member", "join the room first")
	}
}

func (f *fakeRooms) Connect(_ context.Context, actor user.ID, id room.ID, connID string) error {
	f.mu.Lock()
	c := room.Conn{RoomID: id, UserID: actor, ID: connID}
	f.live[connID] = c
	f.mu.Unlock()
	f.connected <- c
	return nil
}

func (f *fakeRooms) Disconnect(_ context.Context, _ user.ID, _ room.ID, connID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, connID)
	return nil
}

// remove takes u out of r the way the application does: membership first,
// then the control event that closes u's sockets.
func (f *fakeRooms) remove(r room.ID, u user.ID) {
	f.mu.Lock()
	delete(f.members[r], u)
	f.mu.Unlock()
	_ = f.bus.Publish(context.Background(), ports.Event{RoomID: r, Payload: ports.MemberRemoved{UserID: u}})
}

func (f *fakeRooms) liveCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.live)
}

// fakeMessages keeps each room's stream — messages and their changes, one
// seq each — in memory and publishes after storing, like the application.
// Its hooks run inside Entries, around the snapshot.
type fakeMessages struct {
	message.Service // only what the gateway and the tests call is implemented
	rooms           *fakeRooms
	bus             ports.Bus

	mu        sync.Mutex
	nextID    message.ID
	stored    map[room.ID][]message.Entry // by seq: stored[r][i].Seq() == i+1
	sendLimit int64                       // > 0: sends beyond this many messages are rate-limited, as the application does
	gotDraft  message.Draft               // the last Compose's

	stall          func()                     // Compose, before anything: a store that stalls
	beforeSnapshot func(call int)             // Entries, before reading the store
	afterSnapshot  func(call int, short bool) // Entries, after reading it
	entriesCalls   int
}

func (f *fakeMessages) Send(ctx context.Context, actor user.ID, r room.ID, content, clientID string) (message.Message, error) {
	m, _, err := f.SendOnce(ctx, actor, r, content, clientID)
	return m, err
}

func (f *fakeMessages) SendOnce(ctx context.Context, actor user.ID, r room.ID, content, clientID string) (message.Message, bool, error) {
	m, created, _, err := f.Compose(ctx, actor, r, message.Draft{Content: content, ClientID: clientID})
	return m, created, err
}

func (f *fakeMessages) Compose(ctx context.Context, actor user.ID, r room.ID, d message.Draft) (message.Message, bool, message.Scheduled, error) {
	if f.stall != nil {
		f.stall()
	}
	f.mu.Lock()
	f.gotDraft = d
	f.mu.Unlock()
	if err := f.rooms.Authorize(ctx, actor, r); err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	c, err := message.NewContent(d.Content)
	if err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	if err := message.ValidateClientID(d.ClientID); err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock() // publish under the lock: live order = seq order
	if d.ClientID != "" {
		for _, e := range f.stored[r] {
			if m := e.Message; m != nil && m.UserID == actor && m.ClientID == d.ClientID {
				return *m, false, message.Scheduled{}, nil
			}
		}
	}
	if f.sendLimit > 0 && int64(f.nextID) >= f.sendLimit {
		return message.Message{}, false, message.Scheduled{}, domain.Limited(2500*time.Millisecond, "too many messages; try again in 3 s")
	}
	f.nextID++
	m := &message.Message{
		ID: f.nextID, RoomID: r, Seq: int64(len(f.stored[r]) + 1), UserID: actor, Username: username(actor),
		Content: c.String(), ClientID: d.ClientID, CreatedAt: time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC),
	}
	if d.ReplyTo != 0 {
		m.ReplyTo = &message.Quote{ID: d.ReplyTo}
	}
	for _, id := range d.Files {
		m.Files = append(m.Files, attachment.Attachment{ID: id, RoomID: r, UserID: actor, Filename: "f.txt",
			ContentType: "text/plain", Size: 1, ThumbnailStatus: attachment.ThumbnailNone})
	}
	f.stored[r] = append(f.stored[r], message.Entry{Message: m})
	_ = f.bus.Publish(ctx, ports.Event{RoomID: r, Payload: ports.MessageCreated{Message: *m}})
	return *m, true, message.Scheduled{}, nil
}

// change records a change of message id in room r by actor (apply updates
// the stored message) and publishes it, as the application does.
func (f *fakeMessages) change(r room.ID, actor user.ID, id message.ID, c message.Change, apply func(*message.Message)) message.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.stored[r] {
		if e.Message != nil && e.Message.ID == id {
			apply(e.Message)
		}
	}
	c.RoomID, c.MessageID, c.UserID, c.Username = r, id, actor, username(actor)
	c.Seq = int64(len(f.stored[r]) + 1)
	c.At = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	f.stored[r] = append(f.stored[r], message.Entry{Change: &c})
	_ = f.bus.Publish(context.Background(), ports.Event{RoomID: r, Payload: ports.MessageChanged{Change: c}})
	return c
}

func (f *fakeMessages) edit(r room.ID, actor user.ID, id message.ID, content string) message.Change {
	return f.change(r, actor, id, message.Change{Kind: message.Edited, Content: content}, func(m *message.Message) {
		m.Content, m.EditedAt = content, time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	})
}

func (f *fakeMessages) react(r room.ID, actor user.ID, id message.ID, emoji string) message.Change {
	return f.change(r, actor, id, message.Change{Kind: message.ReactionAdded, Emoji: emoji, Count: 1}, func(m *message.Message) {
		m.Reactions = append(m.Reactions, message.Reaction{Emoji: emoji, Count: 1, UserIDs: []user.ID{actor}})
	})
}

func (f *fakeMessages) remove(r room.ID, actor user.ID, id message.ID) message.Change {
	return f.change(r, actor, id, message.Change{Kind: message.Deleted}, func(m *message.Message) {
		m.Content, m.Deleted, m.Reactions, m.Files = "", true, nil, nil
	})
}

// History is the REST page; sockets replay with Entries.
func (f *fakeMessages) History(context.Context, user.ID, room.ID, message.Page) ([]message.Message, error) {
	return nil, fmt.Errorf("History called: sockets replay with Entries")
}

// Entries is the room's stream after afterSeq: messages in their current
// state, an edit replayed with the message's current text.
func (f *fakeMessages) Entries(ctx context.Context, actor user.ID, r room.ID, afterSeq int64, limit int) ([]message.Entry, error) {
	if err := f.rooms.Authorize(ctx, actor, r); err != nil {
		return nil, err
	}
	if limit != message.PageMax {
		return nil, fmt.Errorf("unexpected limit %d", limit)
	}
	f.mu.Lock()
	f.entriesCalls++
	call := f.entriesCalls
	f.mu.Unlock()
	if f.beforeSnapshot != nil {
		f.beforeSnapshot(call)
	}
	f.mu.Lock()
	byID := make(map[message.ID]*message.Message)
	for _, e := range f.stored[r] {
		if e.Message != nil {
			byID[e.Message.ID] = e.Message
		}
	}
	var page []message.Entry
	for _, e := range f.stored[r] {
		if e.Seq() <= afterSeq || len(page) == limit {
			continue
		}
		switch {
		case e.Message != nil:
			m := *e.Message
			page = append(page, message.Entry{Message: &m})
		default:
			c := *e.Change
			if c.Kind == message.Edited {
				if m, ok := byID[c.MessageID]; ok {
					c.Content = m.Content
				}
			}
			page = append(page, message.Entry{Change: &c})
		}
	}
	f.mu.Unlock()
	if f.afterSnapshot != nil {
		f.afterSnapshot(call, len(page) < limit)
	}
	return page, nil
}

func (f *fakeMessages) Typing(ctx context.Context, actor user.ID, r room.ID) error {
	if err := f.rooms.Authorize(ctx, actor, r); err != nil {
		return err
	}
	return f.bus.Publish(ctx, ports.Event{RoomID: r, Payload: ports.Typing{UserID: actor, Username: username(actor)}})
}

// count is the room's last seq: its messages and changes.
func (f *fakeMessages) count(r room.ID) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.stored[r]))
}

func (f *fakeMessages) draft() message.Draft {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gotDraft
}

func username(u user.ID) string { return fmt.Sprintf("user%d", u) }

// The cast of every test: alice and bob are members of the public room,
// alice alone of the private one, carol of neither.
const (
	alice user.ID = 1
	bob   user.ID = 2
	carol user.ID = 3

	publicRoom  room.ID = 10
	privateRoom room.ID = 20
	brokenRoom  room.ID = 30 // Authorize fails with an internal error
)

type harness struct {
	bus   *countingBus
	rooms *fakeRooms
	msgs  *fakeMessages
	users *fakeUsers
	hub   *Hub
	gw    *Gateway
	srv   *httptest.Server
}

// newHarness serves a Gateway on a real HTTP server; edit adjusts its
// configuration before it is built.
func newHarness(t testing.TB, edit func(*GatewayConfig)) *harness {
	t.Helper()
	bus := newCountingBus(newMemBus())
	rooms := &fakeRooms{
		bus:       bus,
		private:   map[room.ID]bool{publicRoom: false, privateRoom: true, brokenRoom: false},
		failing:   map[room.ID]bool{brokenRoom: true},
		members:   map[room.ID]map[user.ID]bool{publicRoom: {alice: true, bob: true}, privateRoom: {alice: true}},
		live:      make(map[string]room.Conn),
		connected: make(chan room.Conn, 100),
	}
	msgs := &fakeMessages{rooms: rooms, bus: bus, stored: make(map[room.ID][]message.Entry)}
	rooms.lastSeq = msgs.count
	users := &fakeUsers{tokens: map[string]user.Claims{
		"tok-alice": {UserID: alice}, "tok-bob": {UserID: bob}, "tok-carol": {UserID: carol},
	}}
	hub := NewHub(bus, nil, HubOptions{})
	cfg := GatewayConfig{Users: users, Rooms: rooms, Messages: msgs, Hub: hub, InstanceID: "test"}
	if edit != nil {
		edit(&cfg)
	}
	gw := NewGateway(cfg)
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
		_ = hub.Close()
	})
	return &harness{bus: bus, rooms: rooms, msgs: msgs, users: users, hub: hub, gw: gw, srv: srv}
}

func (h *harness) url(path string) string {
	return "ws" + strings.TrimPrefix(h.srv.URL, "http") + path
}

// dial opens a socket and waits until the gateway has registered it and
// recorded its presence, so that everything published afterwards reaches it.
func (h *harness) dial(t testing.TB, r room.ID, token, query string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := fmt.Sprintf("/ws/rooms/%d?token=%s", r, token)
	if query != "" {
		path += "&" + query
	}
	c, _, err := websocket.Dial(ctx, h.url(path), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	select {
	case <-h.rooms.connected:
	case <-ctx.Done():
		t.Fatalf("socket %s never connected", path)
	}
	return c
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type       string `json:"type"`
	ID         int64  `json:"id"`
	RoomID     int64  `json:"room_id"`
	Seq        int64  `json:"seq"`
	UserID     int64  `json:"user_id"`
	Username   string `json:"username"`
	Content    string `json:"content"`
	CreatedAt  string `json:"created_at"`
	ClientID   string `json:"client_id"`
	Duplicate  bool   `json:"duplicate"`
	Code       string `json:"code"`
	Detail     string `json:"detail"`
	RetryAfter int    `json:"retry_after"`
	EditedAt   string `json:"edited_at"`
	Deleted    bool   `json:"deleted"`
	MessageID  int64  `json:"message_id"`
	Emoji      string `json:"emoji"`
	Count      int    `json:"count"`
	Files      []struct {
		ID      int64  `json:"id"`
		FileURL string `json:"file_url"`
	} `json:"files"`
}

func readFrame(t testing.TB, c *websocket.Conn) frame {
	t.Helper()
	_, b := readRaw(t, c)
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("frame %q: %v", b, err)
	}
	return f
}

func readRaw(t testing.TB, c *websocket.Conn) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return typ, b
}

// expectClose reads until the socket ends and checks the server's code.
func expectClose(t testing.TB, c *websocket.Conn, want websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != want {
			t.Fatalf("close status = %v, want %v (err: %v)", got, want, err)
		}
		return
	}
}

func writeJSON(t testing.TB, c *websocket.Conn, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatalf("write %s: %v", s, err)
	}
}
