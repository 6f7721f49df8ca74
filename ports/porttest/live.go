package porttest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// liveWait bounds every poll in the live suites: generous, because a
// loaded CI machine running -race is slow, and a poll ends as soon as its
// condition holds.
const liveWait = 10 * time.Second

// eventually polls cond until it holds or liveWait passes, and reports
// whether it held. It never sleeps longer than one short tick past the
// moment cond becomes true.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(liveWait)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pairCase is one test of a live port, given two handles over one shared
// transport or state, as two server instances would hold.
type pairCase[P any] struct {
	name string
	run  func(t *testing.T, a, b P)
}

func runPairs[P any](t *testing.T, open func(t *testing.T) (P, P), cases []pairCase[P]) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := open(t)
			tc.run(t, a, b)
		})
	}
}

// recorder collects the events delivered to one subscription.
type recorder struct {
	mu     sync.Mutex
	events []ports.Event
}

func (r *recorder) deliver(e ports.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) got() []ports.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ports.Event(nil), r.events...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// waitCount fails the test unless r holds n events within liveWait.
func (r *recorder) waitCount(t *testing.T, what string, n int) {
	t.Helper()
	if !eventually(func() bool { return r.count() >= n }) {
		t.Fatalf("%s: got %d events within %v, want %d", what, r.count(), liveWait, n)
	}
}

// eventEq compares events as values; times by instant.
var eventEq = cmp.Options{cmpopts.EquateEmpty(), usernameEq}

func subscribe(t *testing.T, b ports.Bus, r room.ID) (*recorder, ports.Subscription) {
	t.Helper()
	rec := &recorder{}
	s, err := b.Subscribe(ctxOf(t), r, rec.deliver)
	if err != nil {
		t.Fatalf("Subscribe(room %d): %v", r, err)
	}
	t.Cleanup(func() { s.Close() })
	return rec, s
}

func publish(t *testing.T, b ports.Bus, e ports.Event) {
	t.Helper()
	if err := b.Publish(ctxOf(t), e); err != nil {
		t.Fatalf("Publish(room %d seq %d): %v", e.RoomID, e.Seq(), err)
	}
}

// sampleEvent returns the i-th event of a varied stream in room r: every
// kind that travels, text that is not UTF-8 or holds NUL, large ids and
// empty fields.
func sampleEvent(r room.ID, i int) ports.Event {
	u := user.ID(i%3 + 1)
	text := fmt.Sprintf("héllo \u0000 %d \xff\xfe", i)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * 1234567 * time.Microsecond)
	var p ports.Payload
	switch i % 17 {
	case 0:
		p = ports.MessageCreated{Message: message.Message{ID: message.ID(1<<40 + i), RoomID: r, Seq: int64(i + 1), UserID: u,
			Username: "alice", Content: text, CreatedAt: at, ClientID: fmt.Sprintf("c-%d", i)}}
	case 1:
		p = ports.Typing{UserID: u, Username: "bob"}
	case 2:
		p = ports.PresenceChanged{UserID: u, Username: "carol", Joined: i%4 == 2}
	case 3:
		p = ports.FileShared{File: attachment.Attachment{ID: attachment.ID(i), RoomID: r, UserID: 1<<62 + user.ID(i),
			Filename: text, ContentType: "image/png", Size: int64(i) << 30, ThumbnailStatus: attachment.ThumbnailPending}}
	case 4:
		p = ports.FileUpdated{FileID: attachment.ID(i), Thumbnail: attachment.ThumbnailReady}
	case 5:
		p = ports.MemberRemoved{UserID: u, Username: "erin", Reason: ports.Removal(i % 3)}
	case 6:
		p = ports.RoomUpdated{Room: room.Room{ID: r, Name: text, Description: "", IsPrivate: i%4 == 2, OwnerID: u, CreatedAt: at}, Actor: u + 1}
	case 7:
		p = ports.RoomDeleted{Room: r}
	case 10:
		p = ports.RoomCreated{Room: room.Room{ID: r + 1000, Name: "new", Description: text, OwnerID: u, CreatedAt: at}}
	case 11:
		p = ports.RoomAdded{UserID: u, Room: room.Room{ID: 1 << 50, Name: text, IsPrivate: true, OwnerID: u + 1, CreatedAt: at}}
	case 12:
		p = ports.ReadMoved{UserID: u, Seq: int64(i) << 33, Unread: int64(i), Receipt: i%2 == 0}
	case 13:
		p = ports.UserPresence{UserID: u, Username: "dave", Online: i%2 == 1, Rooms: []room.ID{r, 1 << 40, 3}}
	case 14:
		p = ports.MemberAdded{UserID: u, Username: "frank"}
	case 15:
		name, _ := user.NewUsername("grace")
		p = ports.ProfileChanged{User: user.User{ID: u, Username: name, DisplayName: text, AvatarKey: "a/3/x.webp"}, Rooms: []room.ID{r}}
	case 8:
		p = ports.SessionEnded{UserID: u, Session: fmt.Sprintf("S%026d", i)}
	default:
		p = ports.MessageCreated{Message: message.Message{ID: message.ID(i), RoomID: r, Seq: int64(i + 1), UserID: u, CreatedAt: at}}
	}
	return ports.Event{RoomID: r, Payload: p}
}

// Bus runs the contract of ports.Bus. newBus returns two handles that
// share one transport, like two instances of the server (an in-process bus
// returns itself twice); it is called once per subtest and the handles
// must start with no subscriptions.
func Bus(t *testing.T, newBus func(t *testing.T) (ports.Bus, ports.Bus)) {
	runPairs(t, newBus, []pairCase[ports.Bus]{
		{"DeliversToEveryInstanceInOrder", testBusOrder},
		{"ActiveWhenSubscribeReturns", testBusActiveOnReturn},
		{"NoDeliveryAfterClose", testBusClose},
		{"RoomsAreIsolated", testBusIsolation},
		{"ConcurrentSubscribers", testBusConcurrent},
		{"CanceledContext", testBusCanceled},
	})
}

func testBusOrder(t *testing.T, a, b ports.Bus) {
	const r, n = room.ID(7), 60
	onA, _ := subscribe(t, a, r)
	onB, _ := subscribe(t, b, r)
	var want []ports.Event
	for i := range n {
		e := sampleEvent(r, i)
		want = append(want, e)
		publish(t, []ports.Bus{a, b}[i%2], e) // from both instances
	}
	for name, rec := range map[string]*recorder{"instance A": onA, "instance B": onB} {
		rec.waitCount(t, name, n)
		if diff := cmp.Diff(want, rec.got(), eventEq); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", name, diff)
		}
	}
}

func testBusActiveOnReturn(t *testing.T, a, b ports.Bus) {
	for i := range 20 {
		r := room.ID(100 + i)
		// Alternate which instance subscribes and which publishes.
		sub, pub := b, a
		if i%2 == 1 {
			sub, pub = a, b
		}
		rec, _ := subscribe(t, sub, r)
		publish(t, pub, sampleEvent(r, 0))
		rec.waitCount(t, fmt.Sprintf("room %d", r), 1)
	}
}

func testBusClose(t *testing.T, a, b ports.Bus) {
	const r = room.ID(3)
	closing, s1 := subscribe(t, b, r)
	sameRoom, s2 := subscribe(t, b, r) // a second subscription of the same room on the same instance
	other, _ := subscribe(t, a, r)
	publish(t, a, sampleEvent(r, 0))
	for _, rec := range []*recorder{closing, sameRoom, other} {
		rec.waitCount(t, "before Close", 1)
	}

	// Every event published so far has been delivered, so any event the
	// closed subscription records from now on is a delivery after Close.
	if err := s1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for i := 1; i < 5; i++ {
		publish(t, a, sampleEvent(r, i))
	}
	sameRoom.waitCount(t, "other subscription of the room on the closing instance", 5)
	other.waitCount(t, "subscription on the other instance", 5)
	if got := closing.count(); got != 1 {
		t.Errorf("closed subscription got %d events, want the 1 delivered before Close", got)
	}

	// Closing the last subscription of a room and subscribing again works.
	if err := s2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again, _ := subscribe(t, b, r)
	publish(t, a, sampleEvent(r, 5))
	again.waitCount(t, "resubscribed room", 1)
	if diff := cmp.Diff([]ports.Event{sampleEvent(r, 5)}, again.got(), eventEq); diff != "" {
		t.Errorf("resubscribed room (-want +got):\n%s", diff)
	}
	if got := sameRoom.count(); got != 5 {
		t.Errorf("closed subscription got %d events, want 5", got)
	}
}

func testBusIsolation(t *testing.T, a, b ports.Bus) {
	rooms := []room.ID{1, 2, 11, 1 << 40}
	recs := map[room.ID][]*recorder{}
	for _, r := range rooms {
		ra, _ := subscribe(t, a, r)
		rb, _ := subscribe(t, b, r)
		recs[r] = []*recorder{ra, rb}
	}
	want := map[room.ID][]ports.Event{}
	for i := range 12 {
		r := rooms[i%len(rooms)]
		e := sampleEvent(r, i)
		want[r] = append(want[r], e)
		publish(t, []ports.Bus{a, b}[i%2], e)
	}
	for _, r := range rooms {
		for i, rec := range recs[r] {
			rec.waitCount(t, fmt.Sprintf("room %d on instance %d", r, i), len(want[r]))
		}
	}
	// Events reach a room in publish order, so once this last event has
	// arrived, a stray event misrouted to rooms[0] would have arrived too.
	publish(t, a, sampleEvent(rooms[0], 99))
	for _, rec := range recs[rooms[0]] {
		rec.waitCount(t, "sentinel", len(want[rooms[0]])+1)
	}
	want[rooms[0]] = append(want[rooms[0]], sampleEvent(rooms[0], 99))
	for _, r := range rooms {
		for i, rec := range recs[r] {
			if diff := cmp.Diff(want[r], rec.got(), eventEq); diff != "" {
				t.Errorf("room %d on instance %d (-want +got):\n%s", r, i, diff)
			}
		}
	}
}

// testBusConcurrent subscribes, publishes and closes from many goroutines
// over few rooms, so subscriptions of one room come and go while others of
// it stay open; each must still see its own publisher's events in order.
func testBusConcurrent(t *testing.T, a, b ports.Bus) {
	const workers, perWorker = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			r := room.ID(50 + w%3)
			me := user.ID(1000 + w)
			rec := &recorder{}
			sub, err := []ports.Bus{a, b}[w%2].Subscribe(ctxOf(t), r, rec.deliver)
			if err != nil {
				errs <- fmt.Errorf("worker %d: Subscribe: %w", w, err)
				return
			}
			defer sub.Close()
			var want []int64
			for i := range perWorker {
				e := ports.Event{RoomID: r, Payload: ports.MessageCreated{Message: message.Message{
					ID: message.ID(i + 1), RoomID: r, Seq: int64(i), UserID: me, Content: string([]byte{byte(w), byte(i)}),
					CreatedAt: time.Unix(0, 0).UTC()}}}
				want = append(want, e.Seq())
				if err := []ports.Bus{a, b}[(w+i)%2].Publish(ctxOf(t), e); err != nil {
					errs <- fmt.Errorf("worker %d: Publish: %w", w, err)
					return
				}
			}
			mine := func() []int64 {
				var seqs []int64
				for _, e := range rec.got() {
					if m, ok := e.Payload.(ports.MessageCreated); ok && m.Message.UserID == me {
						seqs = append(seqs, e.Seq())
					}
				}
				return seqs
			}
			if !eventually(func() bool { return len(mine()) >= perWorker }) {
				errs <- fmt.Errorf("worker %d: got %d of its %d events", w, len(mine()), perWorker)
				return
			}
			if diff := cmp.Diff(want, mine()); diff != "" {
				errs <- fmt.Errorf("worker %d: own events out of order (-want +got):\n%s", w, diff)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testBusCanceled(t *testing.T, a, b ports.Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Publish(ctx, sampleEvent(1, 0)); err == nil {
		t.Error("Publish with a canceled context succeeded")
	}
	if s, err := b.Subscribe(ctx, 1, func(ports.Event) {}); err == nil {
		s.Close()
		t.Error("Subscribe with a canceled context succeeded")
	}
	// The bus still works afterwards.
	rec, _ := subscribe(t, b, 1)
	publish(t, a, sampleEvent(1, 1))
	rec.waitCount(t, "after canceled calls", 1)
}

// Presence runs the contract of ports.Presence. newPresence returns two
// handles over one shared, empty state, like two instances of the server
// (an in-process presence returns itself twice). Their TTL must be short —
// between 500 ms and 3 s — for the expiry tests; the other tests finish
// well within it.
func Presence(t *testing.T, newPresence func(t *testing.T) (ports.Presence, ports.Presence)) {
	runPairs(t, newPresence, []pairCase[ports.Presence]{
		{"FirstAndLastAcrossInstances", testPresenceFirstLast},
		{"UsersAndRoomsAreSeparate", testPresenceSeparate},
		{"DisconnectUnknown", testPresenceDisconnectUnknown},
		{"ExpiresWithoutRefresh", testPresenceExpiry},
		{"RefreshDoesNotRevive", testPresenceNoRevive},
		{"CanceledContext", testPresenceCanceled},
		{"OnlineAmong", testPresenceOnlineAmong},
	})
}

func testPresenceOnlineAmong(t *testing.T, a, b ports.Presence) {
	alice, bob, carol := user.ID(1), user.ID(2), user.ID(3)
	among := func(p ports.Presence, r room.ID, want ...user.ID) {
		t.Helper()
		got, err := p.OnlineAmong(ctxOf(t), r, []user.ID{alice, bob, carol})
		if err != nil {
			t.Fatalf("OnlineAmong(room %d): %v", r, err)
		}
		w := map[user.ID]bool{}
		for _, u := range want {
			w[u] = true
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("OnlineAmong(room %d) (-want +got):\n%s", r, diff)
		}
	}
	among(a, ports.Everyone)
	connect(t, a, ports.Conn{RoomID: ports.Everyone, UserID: alice, ID: "a-stream"}, true)
	connect(t, b, ports.Conn{RoomID: 4, UserID: bob, ID: "b-room"}, true)
	among(b, ports.Everyone, alice)
	among(a, 4, bob)
	if got, err := a.OnlineAmong(ctxOf(t), 4, nil); err != nil || len(got) != 0 {
		t.Errorf("OnlineAmong(nobody) = %v, %v", got, err)
	}
	disconnect(t, b, ports.Conn{RoomID: ports.Everyone, UserID: alice, ID: "a-stream"}, true)
	among(a, ports.Everyone)
}

func connect(t *testing.T, p ports.Presence, c ports.Conn, want bool) {
	t.Helper()
	got, err := p.Connect(ctxOf(t), c)
	if err != nil {
		t.Fatalf("Connect(%+v): %v", c, err)
	}
	if got != want {
		t.Errorf("Connect(%+v) first = %v, want %v", c, got, want)
	}
}

func disconnect(t *testing.T, p ports.Presence, c ports.Conn, want bool) {
	t.Helper()
	got, err := p.Disconnect(ctxOf(t), c)
	if err != nil {
		t.Fatalf("Disconnect(%+v): %v", c, err)
	}
	if got != want {
		t.Errorf("Disconnect(%+v) last = %v, want %v", c, got, want)
	}
}

func online(t *testing.T, p ports.Presence, r room.ID) map[user.ID]bool {
	t.Helper()
	got, err := p.Online(ctxOf(t), r)
	if err != nil {
		t.Fatalf("Online(room %d): %v", r, err)
	}
	return got
}

func wantOnline(t *testing.T, what string, p ports.Presence, r room.ID, want ...user.ID) {
	t.Helper()
	w := map[user.ID]bool{}
	for _, u := range want {
		w[u] = true
	}
	if diff := cmp.Diff(w, online(t, p, r), eventEq); diff != "" {
		t.Errorf("%s: Online(room %d) (-want +got):\n%s", what, r, diff)
	}
}

func testPresenceFirstLast(t *testing.T, a, b ports.Presence) {
	const r, u = room.ID(5), user.ID(42)
	c1 := ports.Conn{RoomID: r, UserID: u, ID: "sock-1"}
	c2 := ports.Conn{RoomID: r, UserID: u, ID: "sock-2"}
	wantOnline(t, "empty room", a, r)
	connect(t, a, c1, true)
	connect(t, b, c2, false)
	wantOnline(t, "two sockets, seen from A", a, r, u)
	wantOnline(t, "two sockets, seen from B", b, r, u)
	disconnect(t, a, c1, false)
	wantOnline(t, "one socket left", b, r, u)
	disconnect(t, b, c2, true)
	wantOnline(t, "all sockets closed", a, r)
	connect(t, b, c1, true) // a user who left and came back is first again
}

func testPresenceSeparate(t *testing.T, a, b ports.Presence) {
	alice, bob := user.ID(1), user.ID(2)
	connect(t, a, ports.Conn{RoomID: 1, UserID: alice, ID: "a1"}, true)
	connect(t, b, ports.Conn{RoomID: 1, UserID: bob, ID: "b1"}, true)
	connect(t, b, ports.Conn{RoomID: 2, UserID: alice, ID: "a2"}, true)
	wantOnline(t, "room 1", b, 1, alice, bob)
	wantOnline(t, "room 2", a, 2, alice)
	wantOnline(t, "room 3", a, 3)
	disconnect(t, a, ports.Conn{RoomID: 1, UserID: alice, ID: "a1"}, true)
	wantOnline(t, "room 1 after alice left", a, 1, bob)
	wantOnline(t, "room 2 after alice left room 1", b, 2, alice)
}

func testPresenceDisconnectUnknown(t *testing.T, a, b ports.Presence) {
	c := ports.Conn{RoomID: 9, UserID: 3, ID: "never-connected"}
	disconnect(t, a, c, false)
	known := ports.Conn{RoomID: 9, UserID: 3, ID: "known"}
	connect(t, a, known, true)
	disconnect(t, b, c, false) // unknown socket of a user who is online
	wantOnline(t, "after unknown disconnect", a, 9, 3)
	disconnect(t, b, known, true)
	disconnect(t, a, known, false) // twice
	if err := a.Refresh(ctxOf(t), nil); err != nil {
		t.Errorf("Refresh(nil): %v", err)
	}
}

func testPresenceExpiry(t *testing.T, a, b ports.Presence) {
	const r = room.ID(77)
	crashed := ports.Conn{RoomID: r, UserID: 10, ID: "on-crashed-instance"}
	alive := ports.Conn{RoomID: r, UserID: 11, ID: "on-live-instance"}
	connect(t, a, crashed, true)
	connect(t, b, alive, true)
	wantOnline(t, "both connected", b, r, 10, 11)

	// b keeps refreshing its socket; a's socket is never refreshed again.
	gone := eventually(func() bool {
		if err := b.Refresh(ctxOf(t), []ports.Conn{alive}); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		got := online(t, b, r)
		if !got[11] {
			t.Fatalf("refreshed user went offline: Online = %v", got)
		}
		return !got[10]
	})
	if !gone {
		t.Fatalf("unrefreshed socket still online after %v", liveWait)
	}
	connect(t, b, ports.Conn{RoomID: r, UserID: 10, ID: "reconnected"}, true)
	connect(t, a, ports.Conn{RoomID: r, UserID: 11, ID: "second"}, false)
}

func testPresenceNoRevive(t *testing.T, a, b ports.Presence) {
	c := ports.Conn{RoomID: 4, UserID: 8, ID: "closed"}
	connect(t, a, c, true)
	disconnect(t, a, c, true)
	// A refresh racing the socket's close must not bring it back.
	if err := b.Refresh(ctxOf(t), []ports.Conn{c}); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	wantOnline(t, "after late refresh", a, 4)
	connect(t, b, ports.Conn{RoomID: 4, UserID: 8, ID: "new"}, true)
}

func testPresenceCanceled(t *testing.T, a, b ports.Presence) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := ports.Conn{RoomID: 1, UserID: 1, ID: "x"}
	if _, err := a.Connect(ctx, c); err == nil {
		t.Error("Connect with a canceled context succeeded")
	}
	if _, err := a.Disconnect(ctx, c); err == nil {
		t.Error("Disconnect with a canceled context succeeded")
	}
	if err := a.Refresh(ctx, []ports.Conn{c}); err == nil {
		t.Error("Refresh with a canceled context succeeded")
	}
	if _, err := a.Online(ctx, 1); err == nil {
		t.Error("Online with a canceled context succeeded")
	}
	wantOnline(t, "after canceled calls", b, 1)
}

// ProfileCache runs the contract of ports.ProfileCache. newCache returns
// two handles over one shared, empty cache, like two instances of the
// server (an in-process cache returns itself twice). A change through one
// must reach the other "before it returns or within the TTL": the suite
// polls for up to liveWait, so the adapter's TTL must be longer than that
// for the polls to prove invalidation rather than expiry (a minute does).
// The handle that made the change must see it at once: those checks do
// not poll.
func ProfileCache(t *testing.T, newCache func(t *testing.T) (ports.ProfileCache, ports.ProfileCache)) {
	runPairs(t, newCache, []pairCase[ports.ProfileCache]{
		{"MissSetHitAcrossInstances", testCacheAcross},
		{"TimesInUTC", testCacheUTC},
		{"CanceledContext", testCacheCanceled},
		{"InvalidateBeatsAnOvertakenFill", testCacheOvertakenFill},
		{"OwnInvalidateSeenAtOnce", testCacheOwnInvalidate},
	})
}

func cachedUser(t *testing.T, id user.ID, name string) user.User {
	t.Helper()
	n, err := user.NewUsername(name)
	if err != nil {
		t.Fatalf("NewUsername(%q): %v", name, err)
	}
	return user.User{
		ID: id, Username: n, Email: name + "@example.com", DisplayName: "Ünïcode \"" + name + "\"",
		Bio: "line one\nline two", AvatarKey: "avatars/" + name + ".jpg", HideReceipts: true,
		Admin:      true,
		Suspension: user.Suspension{At: time.Date(2026, 2, 3, 4, 5, 6, 7000, time.UTC), Reason: "spam"},
		CreatedAt:  time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
	}
}

// missFill returns the fill of c's miss of id, failing on a hit.
func missFill(t *testing.T, c ports.ProfileCache, id user.ID) ports.CacheFill {
	t.Helper()
	got, ok, fill, err := c.Get(ctxOf(t), id)
	if err != nil || ok {
		t.Fatalf("Get(%d) = %+v, ok %v, err %v; want a miss", id, got, ok, err)
	}
	return fill
}

// fill caches u through c as the application does: a miss, then Set with
// its fill.
func fill(t *testing.T, c ports.ProfileCache, u user.User) {
	t.Helper()
	if err := c.Set(ctxOf(t), u, missFill(t, c, u.ID)); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

// getNow returns c's answer for id, failing on an error.
func getNow(t *testing.T, c ports.ProfileCache, id user.ID) (user.User, bool) {
	t.Helper()
	got, ok, _, err := c.Get(ctxOf(t), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return got, ok
}

// waitCached polls c until Get(id) returns want (ok=false: a miss).
func waitCached(t *testing.T, what string, c ports.ProfileCache, id user.ID, want user.User, wantOK bool) {
	t.Helper()
	var (
		got user.User
		ok  bool
	)
	held := eventually(func() bool {
		got, ok = getNow(t, c, id)
		return ok == wantOK && cmp.Equal(want, got, usernameEq)
	})
	if !held {
		t.Fatalf("%s: Get(%d) = ok %v, diff (-want +got):\n%s", what, id, ok, cmp.Diff(want, got, usernameEq))
	}
}

func testCacheAcross(t *testing.T, a, b ports.ProfileCache) {
	u := cachedUser(t, 12345, "carol")
	other := cachedUser(t, 12346, "dave")
	waitCached(t, "miss on B", b, u.ID, user.User{}, false) // B now may hold the miss locally
	waitCached(t, "miss on A", a, u.ID, user.User{}, false)

	fill(t, a, u)
	fill(t, b, other)
	waitCached(t, "set on A, read on B", b, u.ID, u, true)
	waitCached(t, "set on A, read on A", a, u.ID, u, true)
	waitCached(t, "read twice (now from B's local copy)", b, u.ID, u, true)

	// A change: invalidate, then the next miss fills the new profile.
	changed := u
	changed.DisplayName = "Carol C."
	changed.AvatarKey = ""
	changed.HideReceipts = false
	if err := a.Invalidate(ctxOf(t), u.ID); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	fill(t, a, changed)
	waitCached(t, "update on A, read on B", b, u.ID, changed, true)

	if err := a.Invalidate(ctxOf(t), u.ID); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	waitCached(t, "invalidated on A, read on B", b, u.ID, user.User{}, false)
	waitCached(t, "invalidated on A, read on A", a, u.ID, user.User{}, false)
	waitCached(t, "other user untouched", a, other.ID, other, true)
	if err := b.Invalidate(ctxOf(t), 999999); err != nil {
		t.Errorf("Invalidate of an uncached user: %v", err)
	}
}

func testCacheUTC(t *testing.T, a, b ports.ProfileCache) {
	u := cachedUser(t, 77, "erin")
	u.CreatedAt = time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))
	fill(t, a, u)
	waitCached(t, "set on A, read on B", b, u.ID, u, true)
	got, _ := getNow(t, b, u.ID)
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want UTC", got.CreatedAt)
	}
}

// testCacheOvertakenFill: A misses and reads the old profile from the
// store; meanwhile the profile changes and B invalidates it; A's Set of
// what it read must not be cached, on either instance. The next miss
// fills the new profile.
func testCacheOvertakenFill(t *testing.T, a, b ports.ProfileCache) {
	old := cachedUser(t, 4242, "gwen")
	stale := missFill(t, a, old.ID)
	if err := b.Invalidate(ctxOf(t), old.ID); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	if err := a.Set(ctxOf(t), old, stale); err != nil {
		t.Fatalf("Set with an overtaken fill: %v", err)
	}
	if got, ok := getNow(t, a, old.ID); ok {
		t.Fatalf("A serves the profile read before B's invalidation: %+v", got)
	}
	waitCached(t, "overtaken fill, read on B", b, old.ID, user.User{}, false)

	fresh := old
	fresh.DisplayName = "Gwen G."
	fill(t, a, fresh)
	if got, ok := getNow(t, a, old.ID); !ok || !cmp.Equal(fresh, got, usernameEq) {
		t.Fatalf("A after a fresh fill = %+v, %v; want %+v", got, ok, fresh)
	}
	waitCached(t, "fresh fill, read on B", b, old.ID, fresh, true)

	// A fill made before another user's invalidation may still be
	// refused (an in-process cache may count every invalidation), but a
	// fill made after it is kept.
	if err := b.Invalidate(ctxOf(t), 999998); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	other := cachedUser(t, 4243, "hank")
	fill(t, a, other)
	waitCached(t, "fill after another user's invalidation", b, other.ID, other, true)
}

// testCacheOwnInvalidate: a handle that cached a profile (read it from
// another instance's write, so it may hold a copy in memory) never answers
// it after its own Invalidate returned. Repeated, since a copy in memory
// may trail the change by a little; a user each round, as the handle
// that changed a user may stop keeping copies of that one.
func testCacheOwnInvalidate(t *testing.T, a, b ports.ProfileCache) {
	for i := range 200 {
		u := cachedUser(t, user.ID(5150+i), "ivan")
		fill(t, b, u)
		waitCached(t, "set on B, read on A", a, u.ID, u, true)
		getNow(t, a, u.ID) // served from A's copy, if it keeps one
		if err := a.Invalidate(ctxOf(t), u.ID); err != nil {
			t.Fatalf("Invalidate: %v", err)
		}
		if got, ok := getNow(t, a, u.ID); ok {
			t.Fatalf("round %d: Get right after A's own Invalidate = %+v, want a miss", i, got)
		}
		waitCached(t, "invalidated on A, read on B", b, u.ID, user.User{}, false)
	}
}

func testCacheCanceled(t *testing.T, a, b ports.ProfileCache) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u := cachedUser(t, 5, "frank")
	if err := a.Set(ctx, u, missFill(t, a, u.ID)); err == nil {
		t.Error("Set with a canceled context succeeded")
	}
	if _, _, _, err := a.Get(ctx, u.ID); err == nil {
		t.Error("Get with a canceled context succeeded")
	}
	if err := a.Invalidate(ctx, u.ID); err == nil {
		t.Error("Invalidate with a canceled context succeeded")
	}
	waitCached(t, "after canceled Set", b, u.ID, user.User{}, false)
}
