package porttest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// StoreSet is the stores of one backing database. They share state: a
// room's owner must exist as a user, a message's room as a room.
type StoreSet struct {
	Users    ports.UserStore
	Accounts ports.AccountStore
	Rooms    ports.RoomStore
	Members  ports.MemberStore
	Messages ports.MessageStore
	Sessions ports.SessionStore
}

// Stores runs the contract of ports.UserStore, RoomStore, MemberStore and
// MessageStore. open must return stores over a fresh, empty database for
// each call; it is called once per subtest.
func Stores(t *testing.T, open func(t *testing.T) StoreSet) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s StoreSet)
	}{
		{"UserCreateAndRead", testUserCreateAndRead},
		{"UserNotFound", testUserNotFound},
		{"UserNameTakenCaseFolded", testUserNameTaken},
		{"UserUpdate", testUserUpdate},
		{"RoomCreateMakesOwnerMember", testRoomCreate},
		{"RoomNotFound", testRoomNotFound},
		{"RoomVisible", testRoomVisible},
		{"MemberAddRemove", testMemberAddRemove},
		{"MembersOrderedByUsername", testMembersOrdered},
		{"AppendSeqPerRoom", testAppendSeqPerRoom},
		{"AppendRoomNotFound", testAppendRoomNotFound},
		{"AppendClientIDDedup", testAppendDedup},
		{"AppendConcurrentGapFree", testAppendConcurrent},
		{"AppendConcurrentRetries", testAppendConcurrentRetries},
		{"BeforePagesNewestFirst", testBeforePaging},
		{"AfterPagesOldestFirst", testAfterPaging},
		{"NewestIfMember", testNewestIfMember},
		{"PageLimitMustBePositive", testPageLimit},
		{"TimesAreUTC", testTimesUTC},
		{"SessionCreateReadDelete", testSessionCRUD},
		{"SessionDeleteAllKeepsOne", testSessionDeleteAll},
		{"SessionExpiredRemovedAtCreate", testSessionExpiredRemoved},
		{"AccountSetPassword", testAccountSetPassword},
		{"AccountErase", testAccountErase},
		{"RoomSetOwner", testRoomSetOwner},
		{"RoomDelete", testRoomDelete},
		{"MemberEldest", testMemberEldest},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// base has microsecond precision, the finest PostgreSQL stores, so a value
// read back equals the value written.
var base = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

// usernameEq compares validated usernames (their field is unexported).
var usernameEq = cmp.Comparer(func(a, b user.Username) bool { return a == b })

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustUser(t *testing.T, s StoreSet, name string) user.User {
	t.Helper()
	n, err := user.NewUsername(name)
	if err != nil {
		t.Fatalf("NewUsername(%q): %v", name, err)
	}
	u, err := user.New(n, name+"@example.com", "hash-of-"+name, base)
	if err != nil {
		t.Fatalf("user.New(%q): %v", name, err)
	}
	got, err := s.Users.Create(ctxOf(t), u)
	if err != nil {
		t.Fatalf("Users.Create(%q): %v", name, err)
	}
	return got
}

func mustRoom(t *testing.T, s StoreSet, owner user.ID, name string, private bool) room.Room {
	t.Helper()
	r, err := room.New(room.Spec{Name: name, Description: "about " + name, IsPrivate: private}, owner, base)
	if err != nil {
		t.Fatalf("room.New(%q): %v", name, err)
	}
	got, err := s.Rooms.Create(ctxOf(t), r)
	if err != nil {
		t.Fatalf("Rooms.Create(%q): %v", name, err)
	}
	return got
}

func newMessage(t *testing.T, r room.ID, u user.User, text, clientID string) message.Message {
	t.Helper()
	c, err := message.NewContent(text)
	if err != nil {
		t.Fatalf("NewContent(%q): %v", text, err)
	}
	return message.Message{RoomID: r, UserID: u.ID, Username: u.Username.String(), Content: c.String(), ClientID: clientID, CreatedAt: base}
}

func mustAppend(t *testing.T, s StoreSet, m message.Message) message.Message {
	t.Helper()
	got, created, err := s.Messages.Append(ctxOf(t), m)
	if err != nil {
		t.Fatalf("Append(%q): %v", m.Content, err)
	}
	if !created {
		t.Fatalf("Append(%q): created = false for a new message", m.Content)
	}
	return got
}

func wantKind(t *testing.T, what string, err error, k domain.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: err = nil, want kind %v", what, k)
	}
	if got := domain.KindOf(err); got != k {
		t.Fatalf("%s: kind = %v, want %v (err: %v)", what, got, k, err)
	}
}

func seqs(ms []message.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func seqRange(from, to int64) []int64 {
	var out []int64
	if from <= to {
		for s := from; s <= to; s++ {
			out = append(out, s)
		}
	} else {
		for s := from; s >= to; s-- {
			out = append(out, s)
		}
	}
	return out
}

func testUserCreateAndRead(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	if alice.ID == 0 || bob.ID == 0 || alice.ID == bob.ID {
		t.Fatalf("ids = %d, %d; want distinct and non-zero", alice.ID, bob.ID)
	}
	n, _ := user.NewUsername("alice")
	want := user.User{ID: alice.ID, Username: n, Email: "alice@example.com", PasswordHash: "hash-of-alice", DisplayName: "alice", CreatedAt: base}
	if d := cmp.Diff(want, alice, usernameEq); d != "" {
		t.Errorf("Create (-want +got):\n%s", d)
	}
	got, err := s.Users.ByID(ctx, alice.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if d := cmp.Diff(want, got, usernameEq); d != "" {
		t.Errorf("ByID (-want +got):\n%s", d)
	}
	got, err = s.Users.ByUsername(ctx, n)
	if err != nil {
		t.Fatalf("ByUsername: %v", err)
	}
	if d := cmp.Diff(want, got, usernameEq); d != "" {
		t.Errorf("ByUsername (-want +got):\n%s", d)
	}
}

func testUserNotFound(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	mustUser(t, s, "alice")
	_, err := s.Users.ByID(ctx, 424242)
	wantKind(t, "ByID(missing)", err, domain.NotFound)
	n, _ := user.NewUsername("nobody")
	_, err = s.Users.ByUsername(ctx, n)
	wantKind(t, "ByUsername(missing)", err, domain.NotFound)
}

func testUserNameTaken(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	mustUser(t, s, "alice")
	folded, err := user.NewUsername("ALICE")
	if err != nil {
		t.Fatal(err)
	}
	u, err := user.New(folded, "", "other-hash", base)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Users.Create(ctx, u)
	wantKind(t, "Create(ALICE) after alice", err, domain.Conflict)
	if c := domain.CodeOf(err); c != "username_taken" {
		t.Errorf("code = %q, want username_taken", c)
	}
	// The failed insert must not have changed the first account.
	got, err := s.Users.ByUsername(ctx, folded)
	if err != nil {
		t.Fatal(err)
	}
	if got.PasswordHash != "hash-of-alice" {
		t.Errorf("password hash = %q after a conflicting create", got.PasswordHash)
	}
}

func testUserUpdate(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	dn, bio := "Alice A.", "likes tea"
	if err := alice.Apply(user.Patch{DisplayName: &dn, Bio: &bio}); err != nil {
		t.Fatal(err)
	}
	alice.AvatarKey = "avatars/1.png"
	// Only the profile fields are written.
	changed := alice
	changed.Email, changed.PasswordHash = "ignored@example.com", "ignored"
	got, err := s.Users.Update(ctx, changed)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if d := cmp.Diff(alice, got, usernameEq); d != "" {
		t.Errorf("Update (-want +got):\n%s", d)
	}
	read, err := s.Users.ByID(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(alice, read, usernameEq); d != "" {
		t.Errorf("ByID after Update (-want +got):\n%s", d)
	}
	other, err := s.Users.ByID(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(bob, other, usernameEq); d != "" {
		t.Errorf("another user changed (-want +got):\n%s", d)
	}
	missing := alice
	missing.ID = 424242
	_, err = s.Users.Update(ctx, missing)
	wantKind(t, "Update(missing)", err, domain.NotFound)
}

func testRoomCreate(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "general", false)
	want := room.Room{ID: r.ID, Name: "general", Description: "about general", OwnerID: alice.ID, CreatedAt: base}
	if r.ID == 0 {
		t.Fatal("Create returned id 0")
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("Create (-want +got):\n%s", d)
	}
	got, err := s.Rooms.ByID(ctx, r.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ByID (-want +got):\n%s", d)
	}
	ok, err := s.Members.IsMember(ctx, r.ID, alice.ID)
	if err != nil || !ok {
		t.Errorf("IsMember(owner) = %v, %v; want true", ok, err)
	}
	ms, err := s.Members.Members(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]user.User{alice}, ms, usernameEq); d != "" {
		t.Errorf("Members (-want +got):\n%s", d)
	}
	orphan, err := room.New(room.Spec{Name: "orphan"}, 424242, base)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Rooms.Create(ctx, orphan)
	wantKind(t, "Create(room of a missing owner)", err, domain.NotFound)
}

func testRoomNotFound(t *testing.T, s StoreSet) {
	_, err := s.Rooms.ByID(ctxOf(t), 424242)
	wantKind(t, "ByID(missing)", err, domain.NotFound)
}

func roomIDs(rs []room.Listing) []room.ID {
	out := make([]room.ID, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func testRoomVisible(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	carol := mustUser(t, s, "carol")
	pub := mustRoom(t, s, alice.ID, "public", false)
	aPriv := mustRoom(t, s, alice.ID, "alice-private", true)
	bPriv := mustRoom(t, s, bob.ID, "bob-private", true)
	pub2 := mustRoom(t, s, bob.ID, "public-2", false)
	visible := func(u user.ID) []room.ID {
		t.Helper()
		rs, err := s.Rooms.Visible(ctx, u)
		if err != nil {
			t.Fatalf("Visible(%d): %v", u, err)
		}
		return roomIDs(rs)
	}
	for _, tc := range []struct {
		who  string
		u    user.ID
		want []room.ID
	}{
		{"alice", alice.ID, []room.ID{pub.ID, aPriv.ID, pub2.ID}},
		{"bob", bob.ID, []room.ID{pub.ID, bPriv.ID, pub2.ID}},
		{"carol", carol.ID, []room.ID{pub.ID, pub2.ID}},
	} {
		if d := cmp.Diff(tc.want, visible(tc.u)); d != "" {
			t.Errorf("Visible(%s) (-want +got):\n%s", tc.who, d)
		}
	}
	if _, err := s.Members.Add(ctx, aPriv.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.ID{pub.ID, aPriv.ID, bPriv.ID, pub2.ID}, visible(bob.ID)); d != "" {
		t.Errorf("Visible(bob) after being added to alice's room (-want +got):\n%s", d)
	}
	rs, err := s.Rooms.Visible(ctx, carol.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.Listing{{Room: pub}, {Room: pub2}}, rs); d != "" {
		t.Errorf("Visible(carol) rooms (-want +got):\n%s", d)
	}
	if _, err := s.Members.Add(ctx, pub2.ID, carol.ID); err != nil {
		t.Fatal(err)
	}
	rs, err = s.Rooms.Visible(ctx, carol.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.Listing{{Room: pub}, {Room: pub2, IsMember: true}}, rs); d != "" {
		t.Errorf("Visible(carol) after joining public-2 (-want +got):\n%s", d)
	}
}

func testMemberAddRemove(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	steps := []struct {
		what   string
		do     func() (bool, error)
		want   bool
		member bool
	}{
		{"add", func() (bool, error) { return s.Members.Add(ctx, r.ID, bob.ID) }, true, true},
		{"add again", func() (bool, error) { return s.Members.Add(ctx, r.ID, bob.ID) }, false, true},
		{"remove", func() (bool, error) { return s.Members.Remove(ctx, r.ID, bob.ID) }, true, false},
		{"remove again", func() (bool, error) { return s.Members.Remove(ctx, r.ID, bob.ID) }, false, false},
		{"add back", func() (bool, error) { return s.Members.Add(ctx, r.ID, bob.ID) }, true, true},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		if got != st.want {
			t.Errorf("%s = %v, want %v", st.what, got, st.want)
		}
		is, err := s.Members.IsMember(ctx, r.ID, bob.ID)
		if err != nil {
			t.Fatalf("IsMember after %s: %v", st.what, err)
		}
		if is != st.member {
			t.Errorf("IsMember after %s = %v, want %v", st.what, is, st.member)
		}
	}
	if is, err := s.Members.IsMember(ctx, 424242, bob.ID); err != nil || is {
		t.Errorf("IsMember(missing room) = %v, %v; want false, nil", is, err)
	}
	_, err := s.Members.Add(ctx, 424242, bob.ID)
	wantKind(t, "Add(missing room)", err, domain.NotFound)
	_, err = s.Members.Add(ctx, r.ID, 424242)
	wantKind(t, "Add(missing user)", err, domain.NotFound)
	if removed, err := s.Members.Remove(ctx, 424242, bob.ID); err != nil || removed {
		t.Errorf("Remove(missing room) = %v, %v; want false, nil", removed, err)
	}
}

func testMembersOrdered(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	zed := mustUser(t, s, "zed")
	amy := mustUser(t, s, "amy")
	mike := mustUser(t, s, "mike")
	r := mustRoom(t, s, zed.ID, "general", true)
	other := mustRoom(t, s, amy.ID, "other", false)
	for _, u := range []user.User{mike, amy} {
		if _, err := s.Members.Add(ctx, r.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Members.Members(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]user.User{amy, mike, zed}, got, usernameEq); d != "" {
		t.Errorf("Members (-want +got):\n%s", d)
	}
	got, err = s.Members.Members(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]user.User{amy}, got, usernameEq); d != "" {
		t.Errorf("Members(other) (-want +got):\n%s", d)
	}
}

func testAppendSeqPerRoom(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	a := mustRoom(t, s, alice.ID, "a", false)
	b := mustRoom(t, s, alice.ID, "b", false)
	var inA, inB []message.Message
	var lastID message.ID
	for i := range 6 {
		r := a.ID
		if i%3 == 2 {
			r = b.ID
		}
		m := newMessage(t, r, alice, fmt.Sprintf("message %d", i), "")
		got := mustAppend(t, s, m)
		if got.ID <= lastID {
			t.Errorf("message %d: id %d not above the previous %d", i, got.ID, lastID)
		}
		lastID = got.ID
		m.ID, m.Seq = got.ID, got.Seq
		if d := cmp.Diff(m, got); d != "" {
			t.Errorf("Append %d (-want +got):\n%s", i, d)
		}
		if r == a.ID {
			inA = append(inA, got)
		} else {
			inB = append(inB, got)
		}
	}
	if d := cmp.Diff([]int64{1, 2, 3, 4}, seqs(inA)); d != "" {
		t.Errorf("seqs in a (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int64{1, 2}, seqs(inB)); d != "" {
		t.Errorf("seqs in b (-want +got):\n%s", d)
	}
	got, err := s.Messages.After(ctx, a.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(inA, got); d != "" {
		t.Errorf("After(a, 0) (-want +got):\n%s", d)
	}
	// CreatedAt is assigned when zero.
	m := newMessage(t, b.ID, alice, "no time", "")
	m.CreatedAt = time.Time{}
	stored := mustAppend(t, s, m)
	if stored.CreatedAt.IsZero() || stored.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want a UTC time assigned by the store", stored.CreatedAt)
	}
	read, err := s.Messages.After(ctx, b.ID, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{stored}, read); d != "" {
		t.Errorf("After(b, 2) (-want +got):\n%s", d)
	}
}

func testAppendRoomNotFound(t *testing.T, s StoreSet) {
	alice := mustUser(t, s, "alice")
	_, _, err := s.Messages.Append(ctxOf(t), newMessage(t, 424242, alice, "hello", ""))
	wantKind(t, "Append(missing room)", err, domain.NotFound)
	_, _, err = s.Messages.Append(ctxOf(t), newMessage(t, 424242, alice, "hello", "c1"))
	wantKind(t, "Append(missing room, with client id)", err, domain.NotFound)
}

func testAppendDedup(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	first := mustAppend(t, s, newMessage(t, r.ID, alice, "first", "c1"))
	if first.ClientID != "c1" {
		t.Errorf("ClientID = %q, want c1", first.ClientID)
	}
	again, created, err := s.Messages.Append(ctx, newMessage(t, r.ID, alice, "retried", "c1"))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if created {
		t.Error("retry: created = true, want false")
	}
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("retry returned (-want first +got):\n%s", d)
	}
	// The key is per sender; another sender's equal key is a new message,
	// and the retry consumed no seq.
	bobs := mustAppend(t, s, newMessage(t, r.ID, bob, "bob's", "c1"))
	plain := mustAppend(t, s, newMessage(t, r.ID, alice, "no key", ""))
	plain2 := mustAppend(t, s, newMessage(t, r.ID, alice, "no key either", ""))
	if d := cmp.Diff([]int64{1, 2, 3, 4}, []int64{first.Seq, bobs.Seq, plain.Seq, plain2.Seq}); d != "" {
		t.Errorf("seqs (-want +got):\n%s", d)
	}
	all, err := s.Messages.After(ctx, r.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{first, bobs, plain, plain2}, all); d != "" {
		t.Errorf("stored messages (-want +got):\n%s", d)
	}
}

func testAppendConcurrent(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "busy", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	const writers, each = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		target := r.ID
		if w%5 == 4 {
			target = other.ID
		}
		batch := make([]message.Message, each)
		for i := range batch {
			batch[i] = newMessage(t, target, alice, fmt.Sprintf("w%d m%d", w, i), "")
		}
		wg.Go(func() {
			for _, m := range batch {
				if _, _, err := s.Messages.Append(ctx, m); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Append: %v", err)
	}
	for _, tc := range []struct {
		r room.ID
		n int64
	}{{r.ID, 16 * each}, {other.ID, 4 * each}} {
		got, err := s.Messages.After(ctx, tc.r, 0, message.PageMax)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(seqRange(1, tc.n), seqs(got)); d != "" {
			t.Errorf("room %d seqs (-want +got):\n%s", tc.r, d)
		}
		ids := make([]int, len(got))
		for i, m := range got {
			ids[i] = int(m.ID)
		}
		if !sort.IntsAreSorted(ids) {
			t.Errorf("room %d: ids not in seq order: %v", tc.r, ids)
		}
	}
}

func testAppendConcurrentRetries(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "general", false)
	const tries = 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		ids     = map[message.ID]bool{}
	)
	for i := range tries {
		try := newMessage(t, r.ID, alice, fmt.Sprintf("try %d", i), "same-key")
		wg.Go(func() {
			m, c, err := s.Messages.Append(ctx, try)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("Append try %d: %v", i, err)
				return
			}
			if c {
				created++
			}
			ids[m.ID] = true
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Errorf("%d concurrent retries: created %d, distinct ids %d; want 1 and 1", tries, created, len(ids))
	}
	next := mustAppend(t, s, newMessage(t, r.ID, alice, "after", ""))
	if next.Seq != 2 {
		t.Errorf("seq after the retries = %d, want 2 (no seq consumed by a duplicate)", next.Seq)
	}
}

func appendN(t *testing.T, s StoreSet, r room.ID, u user.User, n int) []message.Message {
	t.Helper()
	out := make([]message.Message, n)
	for i := range n {
		out[i] = mustAppend(t, s, newMessage(t, r, u, fmt.Sprintf("message %d", i+1), ""))
	}
	return out
}

func testBeforePaging(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "history", false)
	noise := mustRoom(t, s, alice.ID, "noise", false)
	appendN(t, s, noise.ID, alice, 3)
	all := appendN(t, s, r.ID, alice, 120)
	appendN(t, s, noise.ID, alice, 3)

	var got []int64
	pages := []int{}
	before := message.ID(0)
	for range 5 {
		page, err := s.Messages.Before(ctx, r.ID, before, 50)
		if err != nil {
			t.Fatalf("Before(%d): %v", before, err)
		}
		if len(page) == 0 {
			break
		}
		pages = append(pages, len(page))
		got = append(got, seqs(page)...)
		before = page[len(page)-1].ID
	}
	if d := cmp.Diff([]int{50, 50, 20}, pages); d != "" {
		t.Errorf("page sizes (-want +got):\n%s", d)
	}
	if d := cmp.Diff(seqRange(120, 1), got); d != "" {
		t.Errorf("seqs over all pages (-want +got):\n%s", d)
	}
	page, err := s.Messages.Before(ctx, r.ID, all[10].ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{all[9], all[8], all[7]}, page); d != "" {
		t.Errorf("Before(11th id, 3) (-want +got):\n%s", d)
	}
	empty, err := s.Messages.Before(ctx, 424242, 0, 10)
	if err != nil || len(empty) != 0 {
		t.Errorf("Before(missing room) = %v, %v; want no messages", empty, err)
	}
}

func testNewestIfMember(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "newest", false)
	all := appendN(t, s, r.ID, alice, 5)
	for range 2 { // the second read may come from a cache
		page, member, err := s.Messages.NewestIfMember(ctx, r.ID, alice.ID, 3)
		if err != nil || !member {
			t.Fatalf("NewestIfMember(owner) = member %v, %v", member, err)
		}
		if d := cmp.Diff([]message.Message{all[4], all[3], all[2]}, page); d != "" {
			t.Errorf("NewestIfMember(owner, 3) (-want +got):\n%s", d)
		}
	}
	if page, member, err := s.Messages.NewestIfMember(ctx, r.ID, bob.ID, 3); err != nil || member || len(page) != 0 {
		t.Errorf("NewestIfMember(outsider) = %v, member %v, %v; want nothing", page, member, err)
	}
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	more := appendN(t, s, r.ID, bob, 1)
	page, member, err := s.Messages.NewestIfMember(ctx, r.ID, bob.ID, 2)
	if err != nil || !member || len(page) != 2 || page[0].ID != more[0].ID || page[1].ID != all[4].ID {
		t.Errorf("NewestIfMember(joined) = %v, member %v, %v", page, member, err)
	}
	if page, member, err := s.Messages.NewestIfMember(ctx, 424242, alice.ID, 3); err != nil || member || len(page) != 0 {
		t.Errorf("NewestIfMember(missing room) = %v, member %v, %v; want nothing", page, member, err)
	}
	_, _, err = s.Messages.NewestIfMember(ctx, r.ID, alice.ID, 0)
	wantKind(t, "NewestIfMember(limit 0)", err, domain.Invalid)
}

func testAfterPaging(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "history", false)
	noise := mustRoom(t, s, alice.ID, "noise", false)
	all := appendN(t, s, r.ID, alice, 120)
	appendN(t, s, noise.ID, alice, 5)

	var got []message.Message
	pages := []int{}
	after := int64(0)
	for range 5 {
		page, err := s.Messages.After(ctx, r.ID, after, 50)
		if err != nil {
			t.Fatalf("After(%d): %v", after, err)
		}
		if len(page) == 0 {
			break
		}
		pages = append(pages, len(page))
		got = append(got, page...)
		after = page[len(page)-1].Seq
	}
	if d := cmp.Diff([]int{50, 50, 20}, pages); d != "" {
		t.Errorf("page sizes (-want +got):\n%s", d)
	}
	if d := cmp.Diff(all, got); d != "" {
		t.Errorf("messages over all pages (-want +got):\n%s", d)
	}
	tail, err := s.Messages.After(ctx, r.ID, 117, 50)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{118, 119, 120}, seqs(tail)); d != "" {
		t.Errorf("After(117) (-want +got):\n%s", d)
	}
}

// A limit below 1 is a caller's bug; stores refuse it alike rather than
// each reading it their own way (SQLite takes LIMIT -1 as no limit).
func testPageLimit(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "general", false)
	appendN(t, s, r.ID, alice, 2)
	for _, limit := range []int{0, -1} {
		_, err := s.Messages.Before(ctx, r.ID, 0, limit)
		wantKind(t, fmt.Sprintf("Before(limit %d)", limit), err, domain.Invalid)
		_, err = s.Messages.After(ctx, r.ID, 0, limit)
		wantKind(t, fmt.Sprintf("After(limit %d)", limit), err, domain.Invalid)
	}
}

func testTimesUTC(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	zone := time.FixedZone("UTC+5", 5*3600)
	local := base.In(zone)
	n, _ := user.NewUsername("zoned")
	u, err := user.New(n, "", "h", base)
	if err != nil {
		t.Fatal(err)
	}
	u.CreatedAt = local
	created, err := s.Users.Create(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	r, err := room.New(room.Spec{Name: "zoned"}, created.ID, base)
	if err != nil {
		t.Fatal(err)
	}
	r.CreatedAt = local
	rm, err := s.Rooms.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	m := newMessage(t, rm.ID, created, "hi", "")
	m.CreatedAt = local
	msg, _, err := s.Messages.Append(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	readUser, err := s.Users.ByID(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	readRoom, err := s.Rooms.ByID(ctx, rm.ID)
	if err != nil {
		t.Fatal(err)
	}
	readMsgs, err := s.Messages.Before(ctx, rm.ID, 0, 1)
	if err != nil || len(readMsgs) != 1 {
		t.Fatalf("Before = %v, %v", readMsgs, err)
	}
	members, err := s.Members.Members(ctx, rm.ID)
	if err != nil || len(members) != 1 {
		t.Fatalf("Members = %v, %v", members, err)
	}
	for _, tc := range []struct {
		what string
		at   time.Time
	}{
		{"Users.Create", created.CreatedAt},
		{"Users.ByID", readUser.CreatedAt},
		{"Members.Members", members[0].CreatedAt},
		{"Rooms.Create", rm.CreatedAt},
		{"Rooms.ByID", readRoom.CreatedAt},
		{"Messages.Append", msg.CreatedAt},
		{"Messages.Before", readMsgs[0].CreatedAt},
	} {
		if tc.at.Location() != time.UTC || !tc.at.Equal(base) {
			t.Errorf("%s: CreatedAt = %v, want %v in UTC", tc.what, tc.at, base)
		}
	}
}
