package application_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"chat/adapters/auth"
	"chat/adapters/blob"
	"chat/adapters/memory"
	"chat/application"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// countingSessions counts the session lookups that reach the store.
type countingSessions struct {
	ports.SessionStore
	mu    sync.Mutex
	reads int
}

func (c *countingSessions) ByID(ctx context.Context, id string) (user.Session, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.SessionStore.ByID(ctx, id)
}

func (c *countingSessions) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// sessionFixture is two application instances over shared stores, bus and
// caches (as two chatd processes over PostgreSQL and Redis), on a clock
// the test moves.
type sessionFixture struct {
	t        *testing.T
	a, b     *application.App
	st       *memory.Stores
	sessions *countingSessions
	blobs    *blob.Disk
	clock    *filesClock
	events   chan ports.Event
	bus      ports.Bus
}

func newSessionFixture(t *testing.T) *sessionFixture {
	t.Helper()
	clock := &filesClock{now: time.Now().UTC()}
	st := memory.NewStores()
	tokens, err := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &sessionFixture{
		t: t, st: st, sessions: &countingSessions{SessionStore: st.Sessions()}, blobs: blobs, clock: clock,
		events: make(chan ports.Event, 100), bus: memory.NewBus(),
	}
	deps := application.Deps{
		Users: st.Users(), Accounts: st.Users(), Rooms: st.Rooms(), Members: st.Members(), Messages: st.Messages(), Reads: st.Reads(), Invites: st.Invites(),
		Bus: f.bus, Presence: memory.NewPresence(30*time.Second, clock.Now), Cache: memory.NewExpiringCache(10*time.Minute, clock.Now),
		Tokens: tokens, Passwords: &auth.Passwords{Params: auth.TestParams},
		Sessions: f.sessions, SessionCache: memory.NewSessionCache(clock.Now), Tickets: memory.NewTickets(clock.Now),
		Blobs: blobs, Clock: clock,
	}
	f.a, f.b = mustNew(t, deps), mustNew(t, deps)
	return f
}

// listen records the events of rooms.
func (f *sessionFixture) listen(rooms ...room.ID) {
	f.t.Helper()
	for _, r := range rooms {
		sub, err := f.bus.Subscribe(context.Background(), r, func(e ports.Event) { f.events <- e })
		if err != nil {
			f.t.Fatal(err)
		}
		f.t.Cleanup(func() { sub.Close() })
	}
}

// control returns the control events received so far (messages, presence
// and the like skipped).
func (f *sessionFixture) control() []ports.Event {
	var out []ports.Event
	for {
		select {
		case e := <-f.events:
			if e.Kind() == ports.EventSessionEnded || e.Kind() == ports.EventMemberRemoved {
				out = append(out, e)
			}
		case <-time.After(50 * time.Millisecond):
			return out
		}
	}
}

func (f *sessionFixture) register(name string) user.User {
	f.t.Helper()
	u, err := f.a.Users.Register(context.Background(), user.Registration{Username: name, Password: "password1"})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// login signs in on instance A and returns the token with its claims.
func (f *sessionFixture) login(name, password string) (string, user.Claims) {
	f.t.Helper()
	tok, err := f.a.Users.Login(context.Background(), name, password)
	if err != nil {
		f.t.Fatalf("login %s: %v", name, err)
	}
	c, err := f.a.Users.Authenticate(context.Background(), tok.AccessToken)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok.AccessToken, c
}

// wantAuth checks a token on both instances.
func (f *sessionFixture) wantAuth(what, token string, code string) {
	f.t.Helper()
	for i, app := range []*application.App{f.a, f.b} {
		_, err := app.Users.Authenticate(context.Background(), token)
		if code == "" {
			if err != nil {
				f.t.Errorf("%s, instance %d: %v", what, i, err)
			}
			continue
		}
		if domain.KindOf(err) != domain.Unauthenticated || domain.CodeOf(err) != code {
			f.t.Errorf("%s, instance %d: err = %v, want Unauthenticated %s", what, i, err, code)
		}
	}
}

func TestLogoutEndsThisSessionOnEveryInstance(t *testing.T) {
	f := newSessionFixture(t)
	ctx := context.Background()
	alice := f.register("alice")
	r, _ := f.a.Rooms.Create(ctx, alice.ID, room.Spec{Name: "r"})
	f.listen(r.ID)
	phone, phoneClaims := f.login("alice", "password1")
	laptop, _ := f.login("alice", "password1")
	f.wantAuth("before logout", phone, "")

	if err := f.a.Sessions.Logout(ctx, phoneClaims); err != nil {
		t.Fatal(err)
	}
	f.wantAuth("the signed-out token", phone, "session_ended")
	f.wantAuth("the other device", laptop, "")
	got := f.control()
	if len(got) != 1 || got[0].RoomID != r.ID || got[0].Payload != (ports.SessionEnded{UserID: alice.ID, Session: phoneClaims.SessionID}) {
		t.Errorf("control events %+v, want one session_ended for the phone's session in room %d", got, r.ID)
	}
}

func TestLogoutAllEndsEverySession(t *testing.T) {
	f := newSessionFixture(t)
	ctx := context.Background()
	alice := f.register("alice")
	f.register("bob")
	r, _ := f.a.Rooms.Create(ctx, alice.ID, room.Spec{Name: "r"})
	f.listen(r.ID)
	one, c1 := f.login("alice", "password1")
	two, c2 := f.login("alice", "password1")
	bobs, _ := f.login("bob", "password1")

	if err := f.b.Sessions.LogoutAll(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	f.wantAuth("first device", one, "session_ended")
	f.wantAuth("second device", two, "session_ended")
	f.wantAuth("another user", bobs, "")
	ended := map[string]bool{}
	for _, e := range f.control() {
		if p, ok := e.Payload.(ports.SessionEnded); ok && p.UserID == alice.ID {
			ended[p.Session] = true
		}
	}
	if !ended[c1.SessionID] || !ended[c2.SessionID] {
		t.Errorf("sessions told to close: %v, want both of alice's", ended)
	}
	// Signing in again works.
	again, _ := f.login("alice", "password1")
	f.wantAuth("a new sign-in", again, "")
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	f := newSessionFixture(t)
	ctx := context.Background()
	f.register("alice")
	here, c := f.login("alice", "password1")
	other, _ := f.login("alice", "password1")

	err := f.a.Sessions.ChangePassword(ctx, c, "wrong-password", "new-password1")
	wantKind(t, err, domain.Forbidden, "wrong_password")
	err = f.a.Sessions.ChangePassword(ctx, c, "password1", "short")
	wantKind(t, err, domain.Invalid, "invalid_password")
	f.wantAuth("after refused changes", other, "")

	if err := f.a.Sessions.ChangePassword(ctx, c, "password1", "new-password1"); err != nil {
		t.Fatal(err)
	}
	f.wantAuth("this session", here, "")
	f.wantAuth("the other session", other, "session_ended")
	_, err = f.a.Users.Login(ctx, "alice", "password1")
	wantKind(t, err, domain.Unauthenticated, "invalid_credentials")
	f.login("alice", "new-password1")
}

func TestDeleteAccount(t *testing.T) {
	f := newSessionFixture(t)
	ctx := context.Background()
	alice, bob, carol, dave := f.register("alice"), f.register("bob"), f.register("carol"), f.register("dave")
	shared, _ := f.a.Rooms.Create(ctx, alice.ID, room.Spec{Name: "shared", IsPrivate: true})
	alone, _ := f.a.Rooms.Create(ctx, alice.ID, room.Spec{Name: "alone"})
	carols, _ := f.a.Rooms.Create(ctx, carol.ID, room.Spec{Name: "carol's"})
	for _, u := range []user.ID{bob.ID, dave.ID} { // bob joins first: he takes over
		if _, err := f.a.Rooms.AddMember(ctx, alice.ID, shared.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.a.Rooms.Join(ctx, alice.ID, carols.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.Messages.Send(ctx, alice.ID, carols.ID, "hello from alice", ""); err != nil {
		t.Fatal(err)
	}
	// An avatar on disk, as the avatar job leaves it.
	avatarKey := "a/1/avatar.webp"
	if _, err := f.blobs.Put(ctx, avatarKey, bytes.NewReader([]byte("WEBP")), 10); err != nil {
		t.Fatal(err)
	}
	withAvatar, _ := f.st.Users().ByID(ctx, alice.ID)
	withAvatar.AvatarKey = avatarKey
	if _, err := f.st.Users().Update(ctx, withAvatar); err != nil {
		t.Fatal(err)
	}
	f.listen(shared.ID, alone.ID, carols.ID)
	token, c := f.login("alice", "password1")

	err := f.a.Sessions.DeleteAccount(ctx, alice.ID, "wrong-password")
	wantKind(t, err, domain.Forbidden, "wrong_password")
	f.wantAuth("after a refused deletion", token, "")

	if err := f.a.Sessions.DeleteAccount(ctx, alice.ID, "password1"); err != nil {
		t.Fatal(err)
	}
	f.wantAuth("the deleted account's token", token, "session_ended")
	_, err = f.a.Users.Login(ctx, "alice", "password1")
	wantKind(t, err, domain.Unauthenticated, "invalid_credentials")
	_, err = f.b.Users.Profile(ctx, alice.ID)
	wantKind(t, err, domain.NotFound, "")

	// Rooms: the shared one passes to bob, who joined before dave; the one
	// alice was alone in is gone; alice is in none.
	if r, err := f.a.Rooms.Get(ctx, bob.ID, shared.ID); err != nil || r.OwnerID != bob.ID {
		t.Errorf("shared room after deletion: %+v, %v; want bob as owner", r, err)
	}
	_, err = f.a.Rooms.Get(ctx, bob.ID, alone.ID)
	wantKind(t, err, domain.NotFound, "room_not_found")
	for _, r := range []room.ID{shared.ID, carols.ID} {
		if ok, _ := f.st.Members().IsMember(ctx, r, alice.ID); ok {
			t.Errorf("alice is still a member of room %d", r)
		}
	}
	// Her message stays, under the deleted author's name.
	page, err := f.a.Messages.History(ctx, carol.ID, carols.ID, message.Page{})
	if err != nil || len(page) != 1 || page[0].Username != user.DeletedName || page[0].Content != "hello from alice" {
		t.Errorf("carol's room after deletion: %+v, %v", page, err)
	}
	// Her avatar is gone from disk.
	if _, _, err := f.blobs.Open(ctx, avatarKey); domain.KindOf(err) != domain.NotFound {
		t.Errorf("avatar after deletion: %v", err)
	}
	// Her sockets were told: session ended (4401) in each of her rooms,
	// then member removed.
	kinds := map[room.ID][]ports.EventKind{}
	for _, e := range f.control() {
		switch p := e.Payload.(type) {
		case ports.SessionEnded:
			if p.UserID != alice.ID {
				continue
			}
			if p.Session != c.SessionID {
				t.Errorf("session_ended for %q, want %q", p.Session, c.SessionID)
			}
		case ports.MemberRemoved:
			if p.UserID != alice.ID {
				continue
			}
		}
		kinds[e.RoomID] = append(kinds[e.RoomID], e.Kind())
	}
	for _, r := range []room.ID{shared.ID, carols.ID} {
		if len(kinds[r]) < 2 || kinds[r][0] != ports.EventSessionEnded || kinds[r][len(kinds[r])-1] != ports.EventMemberRemoved {
			t.Errorf("room %d got %v, want session ended first and member removed last", r, kinds[r])
		}
	}
	// The name is free for someone new.
	if u := f.register("alice"); u.ID == alice.ID {
		t.Error("the new alice got the deleted account's id")
	}
}

func TestTicketsAreOneTimeAndBoundToTheSession(t *testing.T) {
	f := newSessionFixture(t)
	ctx := context.Background()
	f.register("alice")
	_, c := f.login("alice", "password1")

	tk, err := f.a.Sessions.IssueTicket(ctx, c)
	if err != nil || tk.Value == "" || tk.ExpiresIn != application.TicketTTL {
		t.Fatalf("IssueTicket = %+v, %v", tk, err)
	}
	got, err := f.b.Sessions.RedeemTicket(ctx, tk.Value) // issued on A, used on B
	if err != nil || got != c {
		t.Fatalf("RedeemTicket = %+v, %v; want %+v", got, err, c)
	}
	_, err = f.a.Sessions.RedeemTicket(ctx, tk.Value)
	wantKind(t, err, domain.Unauthenticated, "invalid_ticket")
	for _, bad := range []string{"", "unknown", string(make([]byte, 200))} {
		_, err = f.a.Sessions.RedeemTicket(ctx, bad)
		wantKind(t, err, domain.Unauthenticated, "invalid_ticket")
	}

	late, _ := f.a.Sessions.IssueTicket(ctx, c)
	f.clock.advance(application.TicketTTL)
	_, err = f.a.Sessions.RedeemTicket(ctx, late.Value)
	wantKind(t, err, domain.Unauthenticated, "invalid_ticket")

	orphan, _ := f.a.Sessions.IssueTicket(ctx, c)
	if err := f.a.Sessions.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err = f.b.Sessions.RedeemTicket(ctx, orphan.Value)
	wantKind(t, err, domain.Unauthenticated, "session_ended")
}

// In the steady state a request's session check asks no store: the login
// caches the session, and an ended session's token replayed in a loop
// costs one lookup per instance, not one per request.
func TestSessionCheckSparesTheStore(t *testing.T) {
	f := newSessionFixture(t)
	ctx := context.Background()
	f.register("alice")
	token, c := f.login("alice", "password1")
	before := f.sessions.count()
	for range 100 {
		if _, err := f.a.Users.Authenticate(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.sessions.count() - before; n != 0 {
		t.Errorf("100 requests read the session store %d times, want 0", n)
	}
	if err := f.a.Sessions.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	before = f.sessions.count()
	for range 100 {
		if _, err := f.b.Users.Authenticate(ctx, token); domain.CodeOf(err) != "session_ended" {
			t.Fatalf("ended token: %v", err)
		}
	}
	if n := f.sessions.count() - before; n != 0 {
		t.Errorf("100 replays of an ended token read the store %d times, want 0", n)
	}
}

// An account whose row vanishes behind the server's back (an operator's
// DELETE, taking its sessions with it) stops authenticating: nothing
// cached about it lives forever.
func TestVanishedAccountStopsAuthenticating(t *testing.T) {
	f := newSessionFixture(t)
	ctx := context.Background()
	alice := f.register("alice")
	token, _ := f.login("alice", "password1")
	f.wantAuth("before", token, "") // both instances cache the session and the profile

	f.st.Drop(alice.ID)
	f.clock.advance(2 * time.Minute)
	f.wantAuth("after the row vanished", token, "session_ended")
	f.clock.advance(memory.DefaultCacheTTL)
	if _, err := f.a.Users.Profile(ctx, alice.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("profile of a vanished account: %v", err)
	}
}

// A validly signed token naming a session the store does not know is
// refused (a token without any session is refused by auth.Tokens).
func TestTokenOfAnUnknownSessionRefused(t *testing.T) {
	f := newSessionFixture(t)
	alice := f.register("alice")
	tokens, _ := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour, f.clock.Now)
	tok, _, err := tokens.Issue(context.Background(), alice.ID, "made-up-session")
	if err != nil {
		t.Fatal(err)
	}
	f.wantAuth("a token naming an unknown session", tok, "session_ended")
}

// BenchmarkAuthenticate is what every authenticated request pays before
// its handler: the token (a remembered verification after the first use),
// its session (a SessionCache hit) and its user (a profile cache hit).
// "token+profile" is the same work minus the session check, as requests
// paid before sessions existed.
func BenchmarkAuthenticate(b *testing.B) {
	d := memoryDeps(b, memory.NewStores())
	tokens := d.Tokens
	app := mustNew(b, d)
	ctx := context.Background()
	if _, err := app.Users.Register(ctx, user.Registration{Username: "alice", Password: "password1"}); err != nil {
		b.Fatal(err)
	}
	tok, err := app.Users.Login(ctx, "alice", "password1")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("token+session+profile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := app.Users.Authenticate(ctx, tok.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("token+profile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := tokens.Verify(ctx, tok.AccessToken)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := app.Users.Profile(ctx, c.UserID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
