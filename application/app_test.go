package application_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/auth"
	"chat/adapters/memory"
	"chat/application"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// fixture is the application on the memory adapters.
type fixture struct {
	*application.App
	bus ports.Bus
	t   *testing.T
}

// memoryDeps are the application's ports on st and the other in-process
// adapters, with cheap password hashing; a test changes what it looks at.
func memoryDeps(tb testing.TB, st *memory.Stores) application.Deps {
	tb.Helper()
	tokens, err := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour, nil)
	if err != nil {
		tb.Fatal(err)
	}
	bus := memory.NewBus()
	tb.Cleanup(func() { bus.Close() })
	return application.Deps{
		Users: st.Users(), Accounts: st.Users(), Roles: st.Users(), Rooms: st.Rooms(), Members: st.Members(), Messages: st.Messages(), Reads: st.Reads(), Invites: st.Invites(), Search: st.Search(),
		Bus: bus, Presence: memory.NewPresence(30*time.Second, time.Now), Cache: memory.NewCache(),
		Tokens: tokens, Passwords: &auth.Passwords{Params: auth.TestParams},
		Sessions: st.Sessions(), SessionCache: memory.NewSessionCache(nil), Tickets: memory.NewTickets(nil),
	}
}

// mustNew wires the application on d.
func mustNew(tb testing.TB, d application.Deps) *application.App {
	tb.Helper()
	app, err := application.New(d)
	if err != nil {
		tb.Fatal(err)
	}
	return app
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := memoryDeps(t, memory.NewStores())
	return &fixture{App: mustNew(t, d), bus: d.Bus, t: t}
}

// failingHasher hashes nothing.
type failingHasher struct{}

func (failingHasher) Hash(string) (string, error) { return "", errors.New("no memory for argon2id") }
func (failingHasher) Compare(string, string) (bool, error) {
	return false, errors.New("no memory for argon2id")
}

// TestNewRefusesWithoutTimingGuard: with no dummy hash to compare against,
// a login naming no user would answer faster than a wrong password and
// tell which names exist; the application refuses to start instead.
func TestNewRefusesWithoutTimingGuard(t *testing.T) {
	d := memoryDeps(t, memory.NewStores())
	d.Passwords = failingHasher{}
	app, err := application.New(d)
	if err == nil || app != nil {
		t.Fatalf("New with a failing hasher = %v, %v; want an error", app, err)
	}
	if !strings.Contains(err.Error(), "timing guard") || !strings.Contains(err.Error(), "no memory for argon2id") {
		t.Errorf("error = %q; want it to name the timing guard and the cause", err)
	}
}

func (f *fixture) register(name string) user.User {
	f.t.Helper()
	u, err := f.Users.Register(context.Background(), user.Registration{Username: name, Password: "password1"})
	if err != nil {
		f.t.Fatalf("register %s: %v", name, err)
	}
	return u
}

func (f *fixture) room(owner user.ID, name string, private bool) room.Room {
	f.t.Helper()
	r, err := f.Rooms.Create(context.Background(), owner, room.Spec{Name: name, IsPrivate: private})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// events subscribes to a room and returns a function that waits for the
// next event.
func (f *fixture) events(r room.ID) func() ports.Event {
	f.t.Helper()
	var mu sync.Mutex
	ch := make(chan ports.Event, 100)
	sub, err := f.bus.Subscribe(context.Background(), r, func(e ports.Event) {
		mu.Lock()
		defer mu.Unlock()
		ch <- e
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { sub.Close() })
	return func() ports.Event {
		f.t.Helper()
		select {
		case e := <-ch:
			return e
		case <-time.After(5 * time.Second):
			f.t.Fatal("no event")
			return ports.Event{}
		}
	}
}

func wantKind(t *testing.T, err error, kind domain.Kind, code string) {
	t.Helper()
	if domain.KindOf(err) != kind || (code != "" && domain.CodeOf(err) != code) {
		t.Fatalf("err = %v (kind %v, code %s), want %v %s", err, domain.KindOf(err), domain.CodeOf(err), kind, code)
	}
}

func TestRegisterAndLogin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.register("Alice")
	if u.Username.String() != "alice" || u.ID == 0 || u.DisplayName != "alice" {
		t.Fatalf("registered %+v", u)
	}
	tests := []struct {
		name string
		reg  user.Registration
		kind domain.Kind
		code string
	}{
		{"taken, other case", user.Registration{Username: "ALICE", Password: "password1"}, domain.Conflict, "username_taken"},
		{"bad name", user.Registration{Username: "a!", Password: "password1"}, domain.Invalid, "invalid_username"},
		{"short password", user.Registration{Username: "bob", Password: "short"}, domain.Invalid, "invalid_password"},
		{"bad email", user.Registration{Username: "bob", Password: "password1", Email: "nope"}, domain.Invalid, "invalid_email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Users.Register(ctx, tt.reg)
			wantKind(t, err, tt.kind, tt.code)
		})
	}

	tok, err := f.Users.Login(ctx, "alice", "password1")
	if err != nil || tok.AccessToken == "" || tok.ExpiresIn != time.Hour {
		t.Fatalf("login = %+v, %v", tok, err)
	}
	c, err := f.Users.Authenticate(ctx, tok.AccessToken)
	if err != nil || c.UserID != u.ID {
		t.Fatalf("authenticate = %+v, %v", c, err)
	}
	for _, bad := range [][2]string{{"alice", "wrong-password"}, {"nobody", "password1"}, {"!!", "password1"}, {"", ""}} {
		_, err := f.Users.Login(ctx, bad[0], bad[1])
		wantKind(t, err, domain.Unauthenticated, "invalid_credentials")
	}
	for _, bad := range []string{"", "garbage", tok.AccessToken + "x"} {
		_, err := f.Users.Authenticate(ctx, bad)
		wantKind(t, err, domain.Unauthenticated, "")
	}
}

func TestProfileUpdateIsVisibleThroughTheCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.register("carol")
	p, err := f.Users.Profile(ctx, u.ID) // warms the cache
	if err != nil {
		t.Fatalf("profile = %+v, %v", p, err)
	}
	dn, bio := "Carol C", "hello"
	if _, err := f.Users.UpdateProfile(ctx, u.ID, user.Patch{DisplayName: &dn, Bio: &bio}); err != nil {
		t.Fatal(err)
	}
	p, err = f.Users.Profile(ctx, u.ID)
	if err != nil || p.DisplayName != dn || p.Bio != bio {
		t.Fatalf("after update: %+v, %v", p, err)
	}
	long := string(make([]byte, 501))
	_, err = f.Users.UpdateProfile(ctx, u.ID, user.Patch{Bio: &long})
	wantKind(t, err, domain.Invalid, "")
}

func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, outsider, friend := f.register("owner"), f.register("outsider"), f.register("friend")
	pub := f.room(owner.ID, "public", false)
	priv := f.room(owner.ID, "secret", true)

	type call func(actor user.ID, r room.ID) error
	calls := map[string]call{
		"get":     func(a user.ID, r room.ID) error { _, err := f.Rooms.Get(ctx, a, r); return err },
		"members": func(a user.ID, r room.ID) error { _, err := f.Rooms.Members(ctx, a, r); return err },
		"history": func(a user.ID, r room.ID) error { _, err := f.Messages.History(ctx, a, r, message.Page{}); return err },
		"send":    func(a user.ID, r room.ID) error { _, err := f.Messages.Send(ctx, a, r, "hi", ""); return err },
		"typing":  func(a user.ID, r room.ID) error { return f.Messages.Typing(ctx, a, r) },
		"leave":   func(a user.ID, r room.ID) error { return f.Rooms.Leave(ctx, a, r) },
		"add":     func(a user.ID, r room.ID) error { return second(f.Rooms.AddMember(ctx, a, r, friend.ID)) },
	}
	want := map[string][2]domain.Kind{ // [public, private] for an outsider
		"get":     {domain.Internal, domain.NotFound}, // Internal here means "no error"
		"members": {domain.Forbidden, domain.NotFound},
		"history": {domain.Forbidden, domain.NotFound},
		"send":    {domain.Forbidden, domain.NotFound},
		"typing":  {domain.Forbidden, domain.NotFound},
		"leave":   {domain.NotFound, domain.NotFound},
		"add":     {domain.Forbidden, domain.NotFound},
	}
	for name, c := range calls {
		for i, r := range []room.Room{pub, priv} {
			err := c(outsider.ID, r.ID)
			if want[name][i] == domain.Internal {
				if err != nil {
					t.Errorf("%s on %s: %v", name, r.Name, err)
				}
				continue
			}
			if domain.KindOf(err) != want[name][i] {
				t.Errorf("%s by outsider on %s: err = %v, want %v", name, r.Name, err, want[name][i])
			}
		}
	}
	for name, c := range calls {
		if name == "leave" || name == "add" {
			continue
		}
		if err := c(owner.ID, priv.ID); err != nil {
			t.Errorf("%s by owner on private: %v", name, err)
		}
	}
	// Unknown rooms look like private ones.
	_, err := f.Rooms.Get(ctx, owner.ID, 9999)
	wantKind(t, err, domain.NotFound, "room_not_found")

	// Joining: public yes (idempotent), private no.
	if err := f.Rooms.Join(ctx, outsider.ID, pub.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.Rooms.Join(ctx, outsider.ID, pub.ID); err != nil {
		t.Fatalf("second join: %v", err)
	}
	// A private room answers an outsider's join as a missing room does.
	wantKind(t, f.Rooms.Join(ctx, outsider.ID, priv.ID), domain.NotFound, "room_not_found")
	wantKind(t, f.Rooms.Join(ctx, outsider.ID, 9999), domain.NotFound, "room_not_found")

	// Only the owner adds members; then they can read and send.
	if err := f.Rooms.Join(ctx, friend.ID, pub.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, second(f.Rooms.AddMember(ctx, friend.ID, pub.ID, outsider.ID)), domain.Forbidden, "not_owner")
	wantKind(t, second(f.Rooms.AddMember(ctx, owner.ID, priv.ID, 424242)), domain.NotFound, "user_not_found")
	if _, err := f.Rooms.AddMember(ctx, owner.ID, priv.ID, friend.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Messages.Send(ctx, friend.ID, priv.ID, "in", ""); err != nil {
		t.Fatalf("added member cannot send: %v", err)
	}

	// Room lists: public rooms plus the caller's private ones.
	names := func(a user.ID) []string {
		rs, err := f.Rooms.List(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"public"}, names(outsider.ID)); diff != "" {
		t.Errorf("outsider's list -want +got\n%s", diff)
	}
	if diff := cmp.Diff([]string{"public", "secret"}, names(friend.ID)); diff != "" {
		t.Errorf("friend's list -want +got\n%s", diff)
	}
}

func TestLeaveClosesSocketsEverywhere(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, bob := f.register("owner"), f.register("bob")
	r := f.room(owner.ID, "r", false)
	if err := f.Rooms.Join(ctx, bob.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	next := f.events(r.ID)
	if err := f.Rooms.Leave(ctx, bob.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	e := next()
	if diff := cmp.Diff(ports.Event{RoomID: r.ID, Payload: ports.MemberRemoved{UserID: bob.ID, Username: "bob", Reason: ports.Left}}, e); diff != "" {
		t.Fatalf("event (-want +got):\n%s", diff)
	}
	_, err := f.Messages.Send(ctx, bob.ID, r.ID, "still here?", "")
	wantKind(t, err, domain.Forbidden, "")
	wantKind(t, f.Rooms.Leave(ctx, bob.ID, r.ID), domain.NotFound, "")
}

func TestSendPublishesAfterStoringAndDeduplicates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice := f.register("alice")
	r := f.room(alice.ID, "r", false)
	next := f.events(r.ID)

	m, err := f.Messages.Send(ctx, alice.ID, r.ID, "  hello  ", "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 1 || m.Content != "hello" || m.Username != "alice" || m.ClientID != "c-1" {
		t.Fatalf("sent %+v", m)
	}
	// The event is the stored message itself, as a value.
	if diff := cmp.Diff(ports.Event{RoomID: r.ID, Payload: ports.MessageCreated{Message: m}}, next()); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}

	again, err := f.Messages.Send(ctx, alice.ID, r.ID, "hello", "c-1")
	if err != nil || again.ID != m.ID || again.Seq != 1 {
		t.Fatalf("retry = %+v, %v; want the first copy", again, err)
	}
	m2, err := f.Messages.Send(ctx, alice.ID, r.ID, "second", "")
	if err != nil || m2.Seq != 2 {
		t.Fatalf("second = %+v, %v", m2, err)
	}
	if e := next(); e.Seq() != 2 {
		t.Fatalf("the retry was published again: next event seq %d", e.Seq())
	}

	for _, bad := range []struct{ content, clientID, code string }{
		{"", "", "empty_message"}, {"   ", "", "empty_message"}, {string(make([]rune, 4001)), "", "invalid_content"},
		{"a\xff", "", "invalid_content"}, {"ok", "has space", "invalid_client_id"},
	} {
		_, err := f.Messages.Send(ctx, alice.ID, r.ID, bad.content, bad.clientID)
		wantKind(t, err, domain.Invalid, bad.code)
	}
}

// A client_id is scoped to (sender, room): reused in another room it is a
// new message there, reused with other content in the same room it is
// refused — never answered with another message.
func TestClientIDIsPerRoomAndNeverAnswersAnotherMessage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice := f.register("alice")
	private := f.room(alice.ID, "private", true)
	public := f.room(alice.ID, "public", false)
	first, err := f.Messages.Send(ctx, alice.ID, private.ID, "private text", "dup-k1")
	if err != nil {
		t.Fatal(err)
	}
	next := f.events(public.ID)
	second, err := f.Messages.Send(ctx, alice.ID, public.ID, "public text", "dup-k1")
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == first.ID || second.RoomID != public.ID || second.Content != "public text" {
		t.Fatalf("send in another room with the same client_id = %+v; want a new message there", second)
	}
	if e := next(); e.Kind() != ports.EventMessage || e.Seq() != second.Seq {
		t.Fatalf("event %+v; want the second message published", e)
	}
	_, err = f.Messages.Send(ctx, alice.ID, public.ID, "edited text", "dup-k1")
	wantKind(t, err, domain.Conflict, "client_id_reused")
	again, err := f.Messages.Send(ctx, alice.ID, public.ID, " public text ", "dup-k1")
	if err != nil || again.ID != second.ID {
		t.Fatalf("retry = %+v, %v; want message %d", again, err, second.ID)
	}
}

func TestDisplayNameRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := f.register("alice"), f.register("bob")
	str := func(s string) *string { return &s }
	tests := []struct {
		name    string
		display string
		kind    domain.Kind
		code    string
		want    string
	}{
		{"another user's username", "alice", domain.Conflict, "display_name_taken", ""},
		{"in other letter case", "  ALICE ", domain.Conflict, "display_name_taken", ""},
		{"one's own username", "Bob", 0, "", "Bob"},
		{"a free username", "carol", 0, "", "carol"},
		{"right-to-left override", "\u202eecila", domain.Invalid, "invalid_display_name", ""},
		{"zero-width space", "ali\u200bce", domain.Invalid, "invalid_display_name", ""},
		{"a name with a space", "Alice Liddell", 0, "", "Alice Liddell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := f.Users.UpdateProfile(ctx, bob.ID, user.Patch{DisplayName: str(tt.display)})
			if tt.code != "" {
				wantKind(t, err, tt.kind, tt.code)
				return
			}
			if err != nil || u.DisplayName != tt.want {
				t.Fatalf("UpdateProfile = %q, %v; want %q", u.DisplayName, err, tt.want)
			}
		})
	}
	// A refused change leaves the profile as it was.
	p, err := f.Users.Profile(ctx, bob.ID)
	if err != nil || p.DisplayName != "Alice Liddell" {
		t.Errorf("profile after refusals = %q, %v", p.DisplayName, err)
	}
	if p, _ := f.Users.Profile(ctx, alice.ID); p.DisplayName != "alice" {
		t.Errorf("alice's display name = %q", p.DisplayName)
	}
}

func TestHistoryPagesBothWays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice := f.register("alice")
	r := f.room(alice.ID, "r", false)
	for i := 0; i < 120; i++ {
		if _, err := f.Messages.Send(ctx, alice.ID, r.ID, "m", ""); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	var before message.ID
	var sizes []int
	for {
		page, err := f.Messages.History(ctx, alice.ID, r.ID, message.Page{Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		sizes = append(sizes, len(page))
		for i, m := range page {
			if seen[m.Seq] {
				t.Fatalf("seq %d twice", m.Seq)
			}
			seen[m.Seq] = true
			if i > 0 && m.Seq >= page[i-1].Seq {
				t.Fatal("page not newest first")
			}
		}
		before = page[len(page)-1].ID
	}
	if diff := cmp.Diff([]int{50, 50, 20}, sizes); diff != "" || len(seen) != 120 {
		t.Fatalf("page sizes -want +got\n%s (seen %d)", diff, len(seen))
	}
	fwd, err := f.Messages.History(ctx, alice.ID, r.ID, message.Page{Forward: true, Limit: 100})
	if err != nil || len(fwd) != 100 || fwd[0].Seq != 1 {
		t.Fatalf("forward from start: %d messages, first %+v, %v", len(fwd), fwd[0], err)
	}
	fwd, err = f.Messages.History(ctx, alice.ID, r.ID, message.Page{AfterSeq: 115})
	if err != nil || len(fwd) != 5 || fwd[0].Seq != 116 {
		t.Fatalf("after 115: %d messages, %v", len(fwd), err)
	}
	_, err = f.Messages.History(ctx, alice.ID, r.ID, message.Page{Limit: 101})
	wantKind(t, err, domain.Invalid, "invalid_limit")
}

func TestPresenceAnnouncesFirstAndLastSocket(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice := f.register("alice")
	r := f.room(alice.ID, "r", false)
	next := f.events(r.ID)
	for _, id := range []string{"a", "b"} {
		if err := f.Rooms.Connect(ctx, alice.ID, r.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	e := next()
	if diff := cmp.Diff(ports.Event{RoomID: r.ID, Payload: ports.PresenceChanged{UserID: alice.ID, Username: "alice", Joined: true}}, e); diff != "" {
		t.Fatalf("event (-want +got):\n%s", diff)
	}
	members, err := f.Rooms.Members(ctx, alice.ID, r.ID)
	if err != nil || len(members) != 1 || !members[0].Online {
		t.Fatalf("members = %+v, %v", members, err)
	}
	if err := f.Rooms.Disconnect(ctx, alice.ID, r.ID, "a"); err != nil {
		t.Fatal(err)
	}
	if err := f.Messages.Typing(ctx, alice.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Payload != (ports.Typing{UserID: alice.ID, Username: "alice"}) {
		t.Fatalf("a user_left was sent while a socket remained: %+v", e)
	}
	if err := f.Rooms.Disconnect(ctx, alice.ID, r.ID, "b"); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Payload != (ports.PresenceChanged{UserID: alice.ID, Username: "alice"}) {
		t.Fatalf("event %+v, want user_left", e)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestOwnerAddsByNameAndRemovesMembers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, bob, eve := f.register("owner"), f.register("bob"), f.register("eve")
	r := f.room(owner.ID, "private", true)
	id, _, err := f.Rooms.AddMemberByName(ctx, owner.ID, r.ID, "BOB")
	if err != nil || id != bob.ID {
		t.Fatalf("AddMemberByName = %d, %v", id, err)
	}
	_, _, err = f.Rooms.AddMemberByName(ctx, owner.ID, r.ID, "nobody")
	wantKind(t, err, domain.NotFound, "user_not_found")
	_, _, err = f.Rooms.AddMemberByName(ctx, bob.ID, r.ID, "eve")
	wantKind(t, err, domain.Forbidden, "not_owner")
	_, _, err = f.Rooms.AddMemberByName(ctx, eve.ID, r.ID, "eve")
	wantKind(t, err, domain.NotFound, "room_not_found")

	next := f.events(r.ID)
	wantKind(t, f.Rooms.RemoveMember(ctx, bob.ID, r.ID, owner.ID), domain.Forbidden, "not_owner")
	wantKind(t, f.Rooms.RemoveMember(ctx, owner.ID, r.ID, owner.ID), domain.Invalid, "remove_self")
	wantKind(t, f.Rooms.RemoveMember(ctx, owner.ID, r.ID, eve.ID), domain.NotFound, "not_a_member")
	if err := f.Rooms.RemoveMember(ctx, owner.ID, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Payload != (ports.MemberRemoved{UserID: bob.ID, Username: "bob", Reason: ports.Removed}) {
		t.Fatalf("event %+v", e)
	}
	wantKind(t, f.Rooms.Authorize(ctx, bob.ID, r.ID), domain.NotFound, "")
}

// countingMembers counts membership queries reaching the store.
type countingMembers struct {
	ports.MemberStore
	mu sync.Mutex
	n  int
}

func (c *countingMembers) IsMember(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.MemberStore.IsMember(ctx, r, u)
}

func (c *countingMembers) queries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestLiveSocketSkipsTheMembershipQuery(t *testing.T) {
	ctx := context.Background()
	st := memory.NewStores()
	members := &countingMembers{MemberStore: st.Members()}
	d := memoryDeps(t, st)
	d.Members = members
	app := mustNew(t, d)
	alice, err := app.Users.Register(ctx, user.Registration{Username: "alice", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := app.Users.Register(ctx, user.Registration{Username: "bob", Password: "password1"})
	r, _ := app.Rooms.Create(ctx, alice.ID, room.Spec{Name: "r", IsPrivate: true})
	if _, err := app.Rooms.AddMember(ctx, alice.ID, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	// Connect authorizes (an outsider's socket is refused) ...
	eve, _ := app.Users.Register(ctx, user.Registration{Username: "eve", Password: "password1"})
	wantKind(t, app.Rooms.Connect(ctx, eve.ID, r.ID, "e1"), domain.NotFound, "")
	if err := app.Rooms.Connect(ctx, bob.ID, r.ID, "b1"); err != nil {
		t.Fatal(err)
	}
	// ... and while the socket is open, sends need no query.
	before := members.queries()
	for range 10 {
		if _, err := app.Messages.Send(ctx, bob.ID, r.ID, "hi", ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := members.queries() - before; got != 0 {
		t.Fatalf("%d membership queries for 10 sends on a live socket, want 0", got)
	}
	// A removal here takes effect at once, before the socket has closed.
	if err := app.Rooms.RemoveMember(ctx, alice.ID, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err = app.Messages.Send(ctx, bob.ID, r.ID, "still here?", "")
	wantKind(t, err, domain.NotFound, "")
	// After the socket closes, every call asks the store again.
	if err := app.Rooms.Disconnect(ctx, bob.ID, r.ID, "b1"); err != nil {
		t.Fatal(err)
	}
	before = members.queries()
	_, err = app.Messages.Send(ctx, bob.ID, r.ID, "x", "")
	wantKind(t, err, domain.NotFound, "")
	if members.queries() == before {
		t.Fatal("no membership query after the socket closed")
	}
}

// roomKeepingCalls are the owner's use cases on a room, by name.
func roomKeepingCalls(f *fixture, to user.ID) map[string]func(actor user.ID, r room.ID) error {
	ctx := context.Background()
	name := "renamed"
	return map[string]func(actor user.ID, r room.ID) error{
		"update": func(a user.ID, r room.ID) error {
			_, err := f.Rooms.Update(ctx, a, r, room.Patch{Name: &name})
			return err
		},
		"transfer": func(a user.ID, r room.ID) error { _, err := f.Rooms.TransferOwnership(ctx, a, r, to); return err },
		"delete":   func(a user.ID, r room.ID) error { return f.Rooms.Delete(ctx, a, r) },
	}
}

// TestRoomKeepingAuthorization: only the owner keeps a room; other members
// get 403, outsiders 403 on a public room and, on a private one, exactly
// what a missing room answers.
func TestRoomKeepingAuthorization(t *testing.T) {
	for _, private := range []bool{false, true} {
		for name := range roomKeepingCalls(newFixture(t), 0) {
			t.Run(fmt.Sprintf("%s private=%v", name, private), func(t *testing.T) {
				f := newFixture(t)
				ctx := context.Background()
				owner, member, outsider := f.register("owner"), f.register("member"), f.register("outsider")
				r := f.room(owner.ID, "kept", private)
				if _, err := f.Rooms.AddMember(ctx, owner.ID, r.ID, member.ID); err != nil {
					t.Fatal(err)
				}
				call := roomKeepingCalls(f, member.ID)[name]
				wantKind(t, call(member.ID, r.ID), domain.Forbidden, "not_owner")
				if private {
					got, missing := call(outsider.ID, r.ID), call(outsider.ID, 424242)
					wantKind(t, got, domain.NotFound, "room_not_found")
					if domain.MessageOf(got) != domain.MessageOf(missing) || domain.CodeOf(got) != domain.CodeOf(missing) {
						t.Errorf("outsider on a private room: %v; on a missing room: %v", got, missing)
					}
				} else {
					wantKind(t, call(outsider.ID, r.ID), domain.Forbidden, "not_owner")
				}
				if err := call(owner.ID, r.ID); err != nil {
					t.Fatalf("%s by the owner: %v", name, err)
				}
			})
		}
	}
}

func TestRoomUpdatePublishesRoomUpdated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.register("owner")
	r := f.room(owner.ID, "general", false)
	next := f.events(r.ID)
	str := func(s string) *string { return &s }
	yes := true
	got, err := f.Rooms.Update(ctx, owner.ID, r.ID, room.Patch{Name: str(" random "), Description: str("anything goes"), IsPrivate: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "random" || got.Description != "anything goes" || !got.IsPrivate || got.OwnerID != owner.ID || got.ID != r.ID {
		t.Fatalf("Update = %+v", got)
	}
	if d := cmp.Diff(ports.Event{RoomID: r.ID, Payload: ports.RoomUpdated{Room: got, Actor: owner.ID}}, next()); d != "" {
		t.Errorf("room_updated (-want +got):\n%s", d)
	}
	if read, _ := f.Rooms.Get(ctx, owner.ID, r.ID); read != got {
		t.Errorf("Get = %+v, want %+v", read, got)
	}
	// Refused patches change nothing and tell nobody.
	_, err = f.Rooms.Update(ctx, owner.ID, r.ID, room.Patch{Name: str("\u202egnp.exe")})
	wantKind(t, err, domain.Invalid, "invalid_room_name")
	_, err = f.Rooms.Update(ctx, owner.ID, r.ID, room.Patch{Name: str("x"), Description: str(strings.Repeat("d", 1001))})
	wantKind(t, err, domain.Invalid, "invalid_room_description")
	// A patch that changes nothing tells nobody either.
	if _, err := f.Rooms.Update(ctx, owner.ID, r.ID, room.Patch{Name: str("random")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Messages.Send(ctx, owner.ID, r.ID, "marker", ""); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Kind() != ports.EventMessage {
		t.Errorf("event after refused and empty patches: %+v, want the marker message", e)
	}
	if read, _ := f.Rooms.Get(ctx, owner.ID, r.ID); read.Name != "random" {
		t.Errorf("name = %q after refused patches", read.Name)
	}
}

func TestTransferOwnership(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, bob, carol := f.register("owner"), f.register("bob"), f.register("carol")
	r := f.room(owner.ID, "handed", true)
	if _, err := f.Rooms.AddMember(ctx, owner.ID, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	next := f.events(r.ID)
	_, err := f.Rooms.TransferOwnership(ctx, owner.ID, r.ID, carol.ID)
	wantKind(t, err, domain.NotFound, "not_a_member")
	_, err = f.Rooms.TransferOwnership(ctx, owner.ID, r.ID, 424242)
	wantKind(t, err, domain.NotFound, "not_a_member")
	got, err := f.Rooms.TransferOwnership(ctx, owner.ID, r.ID, bob.ID)
	if err != nil || got.OwnerID != bob.ID {
		t.Fatalf("transfer to bob = %+v, %v", got, err)
	}
	if p, ok := next().Payload.(ports.RoomUpdated); !ok || p.Room.OwnerID != bob.ID {
		t.Errorf("event %+v, want room_updated with bob as owner", p)
	}
	// The old owner is an ordinary member now; the new one keeps the room.
	wantKind(t, second(f.Rooms.AddMember(ctx, owner.ID, r.ID, carol.ID)), domain.Forbidden, "not_owner")
	if _, err := f.Rooms.AddMember(ctx, bob.ID, r.ID, carol.ID); err != nil {
		t.Fatalf("the new owner adds a member: %v", err)
	}
	if _, err := f.Messages.History(ctx, owner.ID, r.ID, message.Page{}); err != nil {
		t.Errorf("the old owner lost access: %v", err)
	}
}

func TestOwnerLeavingHandsTheRoomToTheLongestStandingMember(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, bob, carol, dave := f.register("owner"), f.register("bob"), f.register("carol"), f.register("dave")
	r := f.room(owner.ID, "inherited", false)
	// Joined in this order: dave, carol, bob — the reverse of their ids,
	// which only break ties. The store stamps joins to the microsecond.
	for _, u := range []user.User{dave, carol, bob} {
		if err := f.Rooms.Join(ctx, u.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	next := f.events(r.ID)
	if err := f.Rooms.Leave(ctx, owner.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if p, ok := next().Payload.(ports.RoomUpdated); !ok || p.Room.OwnerID != dave.ID {
		t.Fatalf("first event %+v, want room_updated with dave as owner", p)
	}
	if e := next(); e.Payload != (ports.MemberRemoved{UserID: owner.ID, Username: "owner", Reason: ports.Left}) {
		t.Fatalf("second event %+v, want the old owner's removal", e)
	}
	got, err := f.Rooms.Get(ctx, dave.ID, r.ID)
	if err != nil || got.OwnerID != dave.ID {
		t.Fatalf("room after the owner left = %+v, %v; want dave as owner", got, err)
	}
	// Down to the last member, who deletes the room by leaving.
	for _, u := range []user.User{dave, carol} {
		if err := f.Rooms.Leave(ctx, u.ID, r.ID); err != nil {
			t.Fatalf("%s leaves: %v", u.Username, err)
		}
	}
	if got, _ := f.Rooms.Get(ctx, bob.ID, r.ID); got.OwnerID != bob.ID {
		t.Fatalf("owner after two leaves = %d, want bob", got.OwnerID)
	}
	drain := func() ports.Event {
		for {
			if e := next(); e.Kind() == ports.EventRoomDeleted {
				return e
			}
		}
	}
	if err := f.Rooms.Leave(ctx, bob.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if e := drain(); e.Payload != (ports.RoomDeleted{Room: r.ID}) {
		t.Errorf("room-deleted event is %+v", e)
	}
	_, err = f.Rooms.Get(ctx, bob.ID, r.ID)
	wantKind(t, err, domain.NotFound, "room_not_found")
	wantKind(t, f.Rooms.Join(ctx, owner.ID, r.ID), domain.NotFound, "room_not_found")
}

// presenceProbe is a Bus that, as each PresenceChanged is published,
// reads whether its user is online anywhere (what a room's member list
// says) at that moment.
type presenceProbe struct {
	ports.Bus
	presence ports.Presence
	mu       sync.Mutex
	seen     []string
}

func (p *presenceProbe) Publish(ctx context.Context, e ports.Event) error {
	if pc, ok := e.Payload.(ports.PresenceChanged); ok {
		on, err := p.presence.OnlineAmong(ctx, ports.Everyone, []user.ID{pc.UserID})
		p.mu.Lock()
		p.seen = append(p.seen, fmt.Sprintf("joined=%v online=%v err=%v", pc.Joined, on[pc.UserID], err))
		p.mu.Unlock()
	}
	return p.Bus.Publish(ctx, e)
}

// TestPresenceAnywhereBeforeAnnounce: a member told user_joined (or
// user_left) who then reads the room's members sees the user online (or
// offline) there: the socket is recorded (forgotten) anywhere before the
// room hears of it.
func TestPresenceAnywhereBeforeAnnounce(t *testing.T) {
	d := memoryDeps(t, memory.NewStores())
	probe := &presenceProbe{Bus: d.Bus, presence: d.Presence}
	d.Bus = probe
	f := &fixture{App: mustNew(t, d), bus: d.Bus, t: t}
	ctx := context.Background()
	alice := f.register("alice")
	r := f.room(alice.ID, "r", false)
	if err := f.Rooms.Connect(ctx, alice.ID, r.ID, "a"); err != nil {
		t.Fatal(err)
	}
	if err := f.Rooms.Disconnect(ctx, alice.ID, r.ID, "a"); err != nil {
		t.Fatal(err)
	}
	probe.mu.Lock()
	defer probe.mu.Unlock()
	want := []string{"joined=true online=true err=<nil>", "joined=false online=false err=<nil>"}
	if diff := cmp.Diff(want, probe.seen); diff != "" {
		t.Fatalf("presence anywhere when the room heard (-want +got):\n%s", diff)
	}
}
