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
	Roles    ports.RoleStore
	Rooms    ports.RoomStore
	Members  ports.MemberStore
	Messages ports.MessageStore
	Sessions ports.SessionStore
	Reads    ports.ReadStore
	Invites  ports.InviteStore
	// Files is the AttachmentStore of the same database: a message's files
	// are its rows, attached by Append.
	Files ports.AttachmentStore
	// Scheduled is the ScheduledStore of the same database.
	Scheduled ports.ScheduledStore
	// Jobs returns (and forgets) the jobs the stores inserted since its
	// last call, in order: the purge jobs of deleted messages' files and
	// the send jobs of scheduled messages (attachments' jobs too).
	Jobs func(t *testing.T) []ports.Job
}

// Stores runs the contract of ports.UserStore, AccountStore, RoleStore, SessionStore,
// RoomStore, MemberStore, ReadStore, MessageStore and ScheduledStore. open must return
// stores over a fresh, empty database for each call; it is called once per
// subtest.
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
		{"RoomUpdate", testRoomUpdate},
		{"RoomUpdateOwner", testRoomUpdateOwner},
		{"RoomDelete", testRoomDelete},
		{"MemberAddRemove", testMemberAddRemove},
		{"Memberships", testMemberships},
		{"MembersOrderedByUsername", testMembersOrdered},
		{"AppendSeqPerRoom", testAppendSeqPerRoom},
		{"AppendRoomNotFound", testAppendRoomNotFound},
		{"AppendClientIDDedup", testAppendDedup},
		{"AppendClientIDPerRoom", testAppendKeyPerRoom},
		{"AppendConcurrentGapFree", testAppendConcurrent},
		{"AppendConcurrentRetries", testAppendConcurrentRetries},
		{"BeforePagesNewestFirst", testBeforePaging},
		{"AfterPagesOldestFirst", testAfterPaging},
		{"NewestIfMember", testNewestIfMember},
		{"LastSeqs", testLastSeqs},
		{"PageLimitMustBePositive", testPageLimit},
		{"TimesAreUTC", testTimesUTC},
		{"SessionCreateReadDelete", testSessionCRUD},
		{"SessionDeleteAllKeepsOne", testSessionDeleteAll},
		{"SessionExpiredRemovedAtCreate", testSessionExpiredRemoved},
		{"AccountCredentials", testAccountCredentials},
		{"AccountSetPassword", testAccountSetPassword},
		{"AccountErase", testAccountErase},
		{"Roles", testRoles},
		{"UserList", testUserList},
		{"Invites", testInvites},
		{"InvitesBounded", testInvitesBound},
		{"MarkRead", testMarkRead},
		{"MarkReadConcurrent", testMarkReadConcurrent},
		{"ReadPointers", testPointers},
		{"ReadsRandomHistories", testReadsRandomHistories},
		{"RoomKindAndEditWindow", testRoomKindAndEditWindow},
		{"OpenDirect", testOpenDirect},
		{"OpenDirectConcurrent", testOpenDirectConcurrent},
		{"StreamOrder", testStreamOrder},
		{"EntriesLimit", testEntriesLimit},
		{"Edit", testEdit},
		{"EditRefused", testEditRefused},
		{"Delete", testDelete},
		{"DeleteFiles", testDeleteFiles},
		{"Reactions", testReactions},
		{"ReactionsBounded", testReactionsBounded},
		{"Replies", testReplies},
		{"AppendFiles", testAppendFiles},
		{"Mentions", testMentions},
		{"Scheduled", testScheduled},
		{"ScheduledBounded", testScheduledBounded},
		{"ScheduledErasedWithAccount", testScheduledErased},
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
	u, err := user.New(n, name+"@example.com", base)
	if err != nil {
		t.Fatalf("user.New(%q): %v", name, err)
	}
	got, err := s.Users.Create(ctxOf(t), u, "hash-of-"+name)
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
	want := user.User{ID: alice.ID, Username: n, Email: "alice@example.com", DisplayName: "alice", CreatedAt: base}
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
	u, err := user.New(folded, "", base)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Users.Create(ctx, u, "other-hash")
	wantKind(t, "Create(ALICE) after alice", err, domain.Conflict)
	if c := domain.CodeOf(err); c != "username_taken" {
		t.Errorf("code = %q, want username_taken", c)
	}
	// The failed insert must not have changed the first account.
	got, err := s.Accounts.Credentials(ctx, folded)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash != "hash-of-alice" {
		t.Errorf("password hash = %q after a conflicting create", got.Hash)
	}
}

func testUserUpdate(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	dn, bio, receipts := "Alice A.", "likes tea", false
	if err := alice.Apply(user.Patch{DisplayName: &dn, Bio: &bio, ReadReceipts: &receipts}); err != nil {
		t.Fatal(err)
	}
	alice.AvatarKey = "avatars/1.png"
	// Only the profile fields are written.
	changed := alice
	changed.Email = "ignored@example.com"
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
	// Every read of a profile carries the receipts setting.
	r := mustRoom(t, s, bob.ID, "general", false)
	if _, err := s.Members.Add(ctx, r.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	members, err := s.Members.Members(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]user.User{alice, bob}, members, usernameEq); d != "" {
		t.Errorf("Members after Update (-want +got):\n%s", d)
	}
	byName, err := s.Users.ByUsername(ctx, alice.Username)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(alice, byName, usernameEq); d != "" {
		t.Errorf("ByUsername after Update (-want +got):\n%s", d)
	}
	receipts = true
	if err := alice.Apply(user.Patch{ReadReceipts: &receipts}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Users.Update(ctx, alice); err != nil || got.HideReceipts {
		t.Errorf("Update(receipts shown again) = HideReceipts %v, %v; want false", got.HideReceipts, err)
	}
	if got, err := s.Users.ByID(ctx, alice.ID); err != nil || got.HideReceipts {
		t.Errorf("ByID after showing receipts again = HideReceipts %v, %v; want false", got.HideReceipts, err)
	}
	// Create writes the setting too.
	n, _ := user.NewUsername("hidden")
	quiet, err := user.New(n, "", base)
	if err != nil {
		t.Fatal(err)
	}
	quiet.HideReceipts = true
	created, err := s.Users.Create(ctx, quiet, "hash")
	if err != nil || !created.HideReceipts {
		t.Fatalf("Create(HideReceipts) = %+v, %v", created, err)
	}
	if got, err := s.Users.ByID(ctx, created.ID); err != nil || !got.HideReceipts {
		t.Errorf("ByID of a user created hiding receipts = HideReceipts %v, %v; want true", got.HideReceipts, err)
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

func testRoomUpdate(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "general", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	got, err := s.Rooms.Update(ctx, r.ID, func(cur *room.Room) error {
		if d := cmp.Diff(r, *cur); d != "" {
			t.Errorf("change got (-want +got):\n%s", d)
		}
		cur.Name, cur.Description, cur.IsPrivate = "renamed", "new words", true
		cur.ID, cur.CreatedAt = 424242, base.Add(time.Hour) // not the change's to make
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	want := r
	want.Name, want.Description, want.IsPrivate = "renamed", "new words", true
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Update (-want +got):\n%s", d)
	}
	read, err := s.Rooms.ByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, read); d != "" {
		t.Errorf("ByID after Update (-want +got):\n%s", d)
	}
	if untouched, err := s.Rooms.ByID(ctx, other.ID); err != nil || untouched != other {
		t.Errorf("another room = %+v, %v; want it untouched", untouched, err)
	}
	// A change that fails writes nothing and its error comes back as is.
	refusal := domain.Errorf(domain.Forbidden, "not_owner", "no")
	_, err = s.Rooms.Update(ctx, r.ID, func(cur *room.Room) error {
		cur.Name = "half done"
		return refusal
	})
	if err != refusal {
		t.Errorf("Update with a failing change: err = %v, want the change's error", err)
	}
	if read, _ := s.Rooms.ByID(ctx, r.ID); read.Name != "renamed" {
		t.Errorf("name = %q after a failed change, want renamed", read.Name)
	}
	called := false
	_, err = s.Rooms.Update(ctx, 424242, func(*room.Room) error { called = true; return nil })
	wantKind(t, "Update(missing)", err, domain.NotFound)
	if c := domain.CodeOf(err); c != "room_not_found" || called {
		t.Errorf("Update(missing): code %q, change called %v", c, called)
	}
}

func testRoomUpdateOwner(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	carol := mustUser(t, s, "carol")
	r := mustRoom(t, s, alice.ID, "general", true)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	// To a non-member: refused, and nothing else the change made is kept.
	_, err := s.Rooms.Update(ctx, r.ID, func(cur *room.Room) error {
		cur.OwnerID, cur.Name = carol.ID, "carol's"
		return nil
	})
	wantKind(t, "Update(owner: a non-member)", err, domain.NotFound)
	if c := domain.CodeOf(err); c != "not_a_member" {
		t.Errorf("code = %q, want not_a_member", c)
	}
	if read, _ := s.Rooms.ByID(ctx, r.ID); read.OwnerID != alice.ID || read.Name != "general" {
		t.Errorf("room after a refused transfer = %+v", read)
	}
	got, err := s.Rooms.Update(ctx, r.ID, func(cur *room.Room) error {
		cur.OwnerID = bob.ID
		return nil
	})
	if err != nil || got.OwnerID != bob.ID {
		t.Fatalf("Update(owner: bob) = %+v, %v", got, err)
	}
	if read, _ := s.Rooms.ByID(ctx, r.ID); read.OwnerID != bob.ID {
		t.Errorf("owner after the transfer = %d, want bob (%d)", read.OwnerID, bob.ID)
	}
	// Both stay members; the old owner is an ordinary one now.
	for _, u := range []user.User{alice, bob} {
		if ok, err := s.Members.IsMember(ctx, r.ID, u.ID); err != nil || !ok {
			t.Errorf("IsMember(%s) = %v, %v", u.Username, ok, err)
		}
	}
}

func testRoomDelete(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "doomed", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, r.ID, alice, 3)
	mustAppend(t, s, newMessage(t, r.ID, bob, "with a key", "k1"))
	kept := appendN(t, s, other.ID, alice, 2)
	if _, err := s.Rooms.Delete(ctx, r.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Rooms.ByID(ctx, r.ID)
	wantKind(t, "ByID(deleted)", err, domain.NotFound)
	for _, u := range []user.User{alice, bob} {
		if ok, err := s.Members.IsMember(ctx, r.ID, u.ID); err != nil || ok {
			t.Errorf("IsMember(deleted room, %s) = %v, %v; want false", u.Username, ok, err)
		}
	}
	if ms, err := s.Members.Memberships(ctx, r.ID); err != nil || len(ms) != 0 {
		t.Errorf("Memberships(deleted room) = %v, %v; want none", ms, err)
	}
	if ms, err := s.Messages.After(ctx, r.ID, 0, 10); err != nil || len(ms) != 0 {
		t.Errorf("messages of the deleted room = %v, %v; want none", ms, err)
	}
	if page, member, err := s.Messages.NewestIfMember(ctx, r.ID, alice.ID, 10); err != nil || member || len(page) != 0 {
		t.Errorf("NewestIfMember(deleted room) = %v, member %v, %v", page, member, err)
	}
	listed, err := s.Rooms.Visible(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.ID{other.ID}, roomIDs(listed)); d != "" {
		t.Errorf("Visible after Delete (-want +got):\n%s", d)
	}
	_, _, err = s.Messages.Append(ctx, newMessage(t, r.ID, alice, "too late", "k1"))
	wantKind(t, "Append(deleted room)", err, domain.NotFound)
	_, err = s.Members.Add(ctx, r.ID, bob.ID)
	wantKind(t, "Members.Add(deleted room)", err, domain.NotFound)
	_, err = s.Rooms.Delete(ctx, r.ID)
	wantKind(t, "Delete(deleted room)", err, domain.NotFound)
	if c := domain.CodeOf(err); c != "room_not_found" {
		t.Errorf("Delete(deleted room) code = %q, want room_not_found", c)
	}
	// The other room is untouched.
	if ms, err := s.Messages.After(ctx, other.ID, 0, 10); err != nil || !cmp.Equal(kept, ms) {
		t.Errorf("messages of the other room = %v, %v; want %v", ms, err, kept)
	}
}

func testMemberships(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	carol := mustUser(t, s, "carol")
	r := mustRoom(t, s, alice.ID, "general", false)
	for _, u := range []user.User{bob, carol} {
		if _, err := s.Members.Add(ctx, r.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := s.Members.Memberships(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	joined := map[user.ID]time.Time{}
	for _, m := range ms {
		if m.JoinedAt.IsZero() || m.JoinedAt.Location() != time.UTC {
			t.Errorf("member %d joined at %v, want a UTC time", m.UserID, m.JoinedAt)
		}
		joined[m.UserID] = m.JoinedAt
	}
	if len(ms) != 3 || len(joined) != 3 {
		t.Fatalf("Memberships = %v, want alice, bob and carol", ms)
	}
	if !joined[alice.ID].Equal(base) {
		t.Errorf("the owner joined at %v, want the room's creation %v", joined[alice.ID], base)
	}
	if joined[carol.ID].Before(joined[bob.ID]) {
		t.Errorf("carol (added second) joined at %v, before bob at %v", joined[carol.ID], joined[bob.ID])
	}
	if heir, ok := room.Heir(ms, alice.ID); !ok || heir != bob.ID {
		t.Errorf("Heir = %d, %v; want bob (%d), who was added first", heir, ok, bob.ID)
	}
	if _, err := s.Members.Remove(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if ms, err = s.Members.Memberships(ctx, r.ID); err != nil || len(ms) != 2 {
		t.Errorf("Memberships after a removal = %v, %v", ms, err)
	}
	if ms, err := s.Members.Memberships(ctx, 424242); err != nil || len(ms) != 0 {
		t.Errorf("Memberships(missing room) = %v, %v; want none", ms, err)
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
	// The owner stays until the room has another owner.
	removed, err := s.Members.Remove(ctx, r.ID, alice.ID)
	wantKind(t, "Remove(owner)", err, domain.Conflict)
	if c := domain.CodeOf(err); c != "owner_must_hand_over" || removed {
		t.Errorf("Remove(owner) = %v, code %q; want false, owner_must_hand_over", removed, c)
	}
	if ok, err := s.Members.IsMember(ctx, r.ID, alice.ID); err != nil || !ok {
		t.Errorf("IsMember(owner) after a refused Remove = %v, %v", ok, err)
	}
	if _, err := s.Rooms.Update(ctx, r.ID, func(cur *room.Room) error { cur.OwnerID = bob.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	if removed, err := s.Members.Remove(ctx, r.ID, alice.ID); err != nil || !removed {
		t.Errorf("Remove(the former owner) = %v, %v; want true", removed, err)
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
	again, created, err := s.Messages.Append(ctx, newMessage(t, r.ID, alice, "first", "c1"))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if created {
		t.Error("retry: created = true, want false")
	}
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("retry returned (-want first +got):\n%s", d)
	}
	// The same key with other content is refused, never answered with the
	// first message.
	reused, created, err := s.Messages.Append(ctx, newMessage(t, r.ID, alice, "something else", "c1"))
	wantKind(t, "Append(same key, other content)", err, domain.Conflict)
	if c := domain.CodeOf(err); c != "client_id_reused" || created || reused.ID != 0 {
		t.Errorf("Append(same key, other content) = %+v, created %v, code %q; want nothing, client_id_reused", reused, created, c)
	}
	// The key is per sender; another sender's equal key is a new message,
	// and neither the retry nor the refusal consumed a seq.
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

// A key is scoped to its room: reusing it in another room stores another
// message there (it was once answered with the first room's message, and
// the second was lost).
func testAppendKeyPerRoom(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	private := mustRoom(t, s, alice.ID, "private", true)
	public := mustRoom(t, s, alice.ID, "public", false)
	inPrivate := mustAppend(t, s, newMessage(t, private.ID, alice, "private text", "dup-k1"))
	inPublic := mustAppend(t, s, newMessage(t, public.ID, alice, "public text", "dup-k1"))
	if inPublic.ID == inPrivate.ID || inPublic.RoomID != public.ID || inPublic.Content != "public text" || inPublic.Seq != 1 {
		t.Fatalf("Append in the second room = %+v; want a new message there", inPublic)
	}
	// A retry in either room finds that room's copy.
	for _, want := range []message.Message{inPrivate, inPublic} {
		got, created, err := s.Messages.Append(ctx, newMessage(t, want.RoomID, alice, want.Content, "dup-k1"))
		if err != nil || created {
			t.Fatalf("retry in room %d: created %v, %v", want.RoomID, created, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("retry in room %d (-want +got):\n%s", want.RoomID, d)
		}
	}
	pub, err := s.Messages.After(ctx, public.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{inPublic}, pub); d != "" {
		t.Errorf("public room (-want +got):\n%s", d)
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
	// race appends n messages with one key at once; content(i) is the
	// content of the i-th. It returns how many were created, the distinct
	// ids answered, and how many were refused as client_id_reused.
	race := func(key string, n int, content func(i int) string) (created, refused int, ids map[message.ID]bool) {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		ids = map[message.ID]bool{}
		for i := range n {
			try := newMessage(t, r.ID, alice, content(i), key)
			wg.Go(func() {
				m, c, err := s.Messages.Append(ctx, try)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case domain.CodeOf(err) == "client_id_reused":
					refused++
				case err != nil:
					t.Errorf("Append try %d: %v", i, err)
				default:
					if c {
						created++
					}
					ids[m.ID] = true
				}
			})
		}
		wg.Wait()
		return created, refused, ids
	}
	const tries = 10
	created, refused, ids := race("same-key", tries, func(int) string { return "the same text" })
	if created != 1 || refused != 0 || len(ids) != 1 {
		t.Errorf("%d concurrent retries: created %d, refused %d, distinct ids %d; want 1, 0, 1", tries, created, refused, len(ids))
	}
	// Different texts under one key: one is stored, the others refused.
	created, refused, ids = race("other-key", tries, func(i int) string { return fmt.Sprintf("text %d", i) })
	if created != 1 || refused != tries-1 || len(ids) != 1 {
		t.Errorf("%d concurrent reuses: created %d, refused %d, distinct ids %d; want 1, %d, 1", tries, created, refused, len(ids), tries-1)
	}
	next := mustAppend(t, s, newMessage(t, r.ID, alice, "after", ""))
	if next.Seq != 3 {
		t.Errorf("seq after the retries = %d, want 3 (no seq consumed by a duplicate)", next.Seq)
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

func testLastSeqs(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	busy := mustRoom(t, s, alice.ID, "busy", false)
	quiet := mustRoom(t, s, alice.ID, "quiet", true)
	other := mustRoom(t, s, alice.ID, "other", false)
	appendN(t, s, busy.ID, alice, 7)
	appendN(t, s, other.ID, alice, 2)

	got, err := s.Messages.LastSeqs(ctx, []room.ID{busy.ID, quiet.ID, 987654})
	if err != nil {
		t.Fatal(err)
	}
	want := map[room.ID]int64{busy.ID: 7, quiet.ID: 0}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LastSeqs (-want +got):\n%s", d)
	}
	none, err := s.Messages.LastSeqs(ctx, nil)
	if err != nil || len(none) != 0 {
		t.Errorf("LastSeqs(nil) = %v, %v; want empty, nil", none, err)
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
	u, err := user.New(n, "", base)
	if err != nil {
		t.Fatal(err)
	}
	u.CreatedAt = local
	created, err := s.Users.Create(ctx, u, "h")
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
