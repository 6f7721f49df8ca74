package porttest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// The contract of ports.SessionStore and ports.AccountStore; part of
// Stores.

func session(id string, u user.ID, expires time.Time) user.Session {
	return user.Session{ID: id, UserID: u, CreatedAt: base, ExpiresAt: expires}
}

func testSessionCRUD(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	want := session("S-ALICE-1", alice.ID, base.Add(24*time.Hour))
	if err := s.Sessions.Create(ctx, want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := s.Sessions.ByID(ctx, want.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ByID (-want +got):\n%s", d)
	}
	if got.ExpiresAt.Location() != time.UTC || got.CreatedAt.Location() != time.UTC {
		t.Errorf("times not in UTC: %+v", got)
	}
	_, err = s.Sessions.ByID(ctx, "S-NONE")
	wantKind(t, "ByID of an unknown session", err, domain.NotFound)
	err = s.Sessions.Create(ctx, session("S-GHOST", 999999, base.Add(time.Hour)))
	wantKind(t, "Create for an unknown user", err, domain.NotFound)

	if ok, err := s.Sessions.Delete(ctx, bob.ID, want.ID); err != nil || ok {
		t.Fatalf("Delete of alice's session as bob = %v, %v; want false", ok, err)
	}
	if _, err := s.Sessions.ByID(ctx, want.ID); err != nil {
		t.Fatalf("session gone after bob's Delete: %v", err)
	}
	if ok, err := s.Sessions.Delete(ctx, alice.ID, want.ID); err != nil || !ok {
		t.Fatalf("Delete = %v, %v; want true", ok, err)
	}
	_, err = s.Sessions.ByID(ctx, want.ID)
	wantKind(t, "ByID after Delete", err, domain.NotFound)
	if ok, err := s.Sessions.Delete(ctx, alice.ID, want.ID); err != nil || ok {
		t.Fatalf("second Delete = %v, %v; want false", ok, err)
	}
}

func testSessionDeleteAll(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	exp := base.Add(24 * time.Hour)
	for _, sess := range []user.Session{
		session("A1", alice.ID, exp), session("A2", alice.ID, exp), session("A3", alice.ID, exp), session("B1", bob.ID, exp),
	} {
		if err := s.Sessions.Create(ctx, sess); err != nil {
			t.Fatalf("Create(%s): %v", sess.ID, err)
		}
	}
	ended, err := s.Sessions.DeleteAll(ctx, alice.ID, "A2")
	if err != nil {
		t.Fatalf("DeleteAll: %v", err)
	}
	if d := cmp.Diff([]user.Session{session("A1", alice.ID, exp), session("A3", alice.ID, exp)}, ended); d != "" {
		t.Errorf("ended (-want +got):\n%s", d)
	}
	for id, want := range map[string]bool{"A1": false, "A2": true, "A3": false, "B1": true} {
		_, err := s.Sessions.ByID(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("session %s exists = %v, want %v (%v)", id, got, want, err)
		}
	}
	ended, err = s.Sessions.DeleteAll(ctx, alice.ID, "")
	if err != nil || len(ended) != 1 || ended[0].ID != "A2" {
		t.Fatalf("DeleteAll keeping none = %+v, %v; want A2", ended, err)
	}
	if ended, err := s.Sessions.DeleteAll(ctx, alice.ID, ""); err != nil || len(ended) != 0 {
		t.Fatalf("DeleteAll of nothing = %+v, %v", ended, err)
	}
}

func testSessionExpiredRemoved(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	old := session("OLD", alice.ID, base.Add(-time.Hour))
	if err := s.Sessions.Create(ctx, old); err != nil {
		t.Fatalf("Create: %v", err)
	}
	bobOld := session("BOB-OLD", bob.ID, base.Add(-time.Hour))
	if err := s.Sessions.Create(ctx, bobOld); err != nil {
		t.Fatalf("Create: %v", err)
	}
	fresh := session("NEW", alice.ID, base.Add(time.Hour)) // created at base: OLD has expired by then
	if err := s.Sessions.Create(ctx, fresh); err != nil {
		t.Fatalf("Create: %v", err)
	}
	_, err := s.Sessions.ByID(ctx, "OLD")
	wantKind(t, "expired session after the user's next login", err, domain.NotFound)
	if _, err := s.Sessions.ByID(ctx, "BOB-OLD"); err != nil {
		t.Errorf("another user's expired session went too: %v", err)
	}
}

func testAccountCredentials(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	for _, u := range []user.User{alice, bob} {
		want := user.Credentials{UserID: u.ID, Username: u.Username, Hash: "hash-of-" + u.Username.String()}
		got, err := s.Accounts.Credentials(ctx, u.Username)
		if err != nil {
			t.Fatalf("Credentials(%s): %v", u.Username, err)
		}
		if d := cmp.Diff(want, got, usernameEq); d != "" {
			t.Errorf("Credentials(%s) (-want +got):\n%s", u.Username, d)
		}
		got, err = s.Accounts.CredentialsByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("CredentialsByID(%d): %v", u.ID, err)
		}
		if d := cmp.Diff(want, got, usernameEq); d != "" {
			t.Errorf("CredentialsByID(%d) (-want +got):\n%s", u.ID, d)
		}
	}
	nobody, _ := user.NewUsername("nobody")
	_, err := s.Accounts.Credentials(ctx, nobody)
	wantKind(t, "Credentials of an unknown name", err, domain.NotFound)
	_, err = s.Accounts.CredentialsByID(ctx, 999999)
	wantKind(t, "CredentialsByID of an unknown user", err, domain.NotFound)
}

func testAccountSetPassword(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	if err := s.Accounts.SetPassword(ctx, alice.ID, "new-hash"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	got, err := s.Accounts.CredentialsByID(ctx, alice.ID)
	if err != nil || got.Hash != "new-hash" {
		t.Fatalf("after SetPassword: %+v, %v", got, err)
	}
	if other, err := s.Accounts.Credentials(ctx, bob.Username); err != nil || other.Hash != "hash-of-bob" {
		t.Errorf("bob's credentials after alice's SetPassword: %+v, %v", other, err)
	}
	if u, err := s.Users.ByID(ctx, alice.ID); err != nil || u.DisplayName != alice.DisplayName {
		t.Errorf("profile after SetPassword: %+v, %v", u, err)
	}
	wantKind(t, "SetPassword of an unknown user", s.Accounts.SetPassword(ctx, 999999, "h"), domain.NotFound)
}

func testAccountErase(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	r1 := mustRoom(t, s, bob.ID, "one", false)
	r2 := mustRoom(t, s, bob.ID, "two", true)
	if _, err := s.Members.Add(ctx, r1.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Members.Add(ctx, r2.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, newMessage(t, r1.ID, alice, "from alice", "k1"))
	mustAppend(t, s, newMessage(t, r1.ID, bob, "from bob", ""))
	mustAppend(t, s, newMessage(t, r2.ID, alice, "alice in two", ""))
	if err := s.Sessions.Create(ctx, session("ALICE", alice.ID, base.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	// Read bob's newest page first, so a store that caches it must notice
	// the rename.
	if _, ok, err := s.Messages.NewestIfMember(ctx, r1.ID, bob.ID, 50); err != nil || !ok {
		t.Fatalf("NewestIfMember: %v, %v", ok, err)
	}

	if err := s.Accounts.Erase(ctx, alice.ID); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	_, err := s.Users.ByID(ctx, alice.ID)
	wantKind(t, "ByID after Erase", err, domain.NotFound)
	_, err = s.Users.ByUsername(ctx, alice.Username)
	wantKind(t, "ByUsername after Erase", err, domain.NotFound)
	_, err = s.Accounts.Credentials(ctx, alice.Username)
	wantKind(t, "Credentials after Erase", err, domain.NotFound)
	_, err = s.Accounts.CredentialsByID(ctx, alice.ID)
	wantKind(t, "CredentialsByID after Erase", err, domain.NotFound)
	_, err = s.Sessions.ByID(ctx, "ALICE")
	wantKind(t, "session after Erase", err, domain.NotFound)
	for _, r := range []room.Room{r1, r2} {
		if ok, err := s.Members.IsMember(ctx, r.ID, alice.ID); err != nil || ok {
			t.Errorf("still a member of room %s: %v, %v", r.Name, ok, err)
		}
	}
	if ms, err := s.Members.Members(ctx, r1.ID); err != nil || len(ms) != 1 || ms[0].ID != bob.ID {
		t.Errorf("members of room one after Erase: %+v, %v", ms, err)
	}
	authors := func(ms []message.Message) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.Username + ": " + m.Content
		}
		return out
	}
	page, ok, err := s.Messages.NewestIfMember(ctx, r1.ID, bob.ID, 50)
	if err != nil || !ok {
		t.Fatalf("NewestIfMember: %v, %v", ok, err)
	}
	if d := cmp.Diff([]string{"bob: from bob", user.DeletedName + ": from alice"}, authors(page)); d != "" {
		t.Errorf("room one's newest page (-want +got):\n%s", d)
	}
	after, err := s.Messages.After(ctx, r2.ID, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{user.DeletedName + ": alice in two"}, authors(after)); d != "" {
		t.Errorf("room two (-want +got):\n%s", d)
	}
	if page[1].UserID != alice.ID {
		t.Errorf("the erased author's id changed: %d", page[1].UserID)
	}
	// The name is free again, for someone else.
	again := mustUser(t, s, "alice")
	if again.ID == alice.ID {
		t.Errorf("the new alice got the erased account's id")
	}
	wantKind(t, "second Erase", s.Accounts.Erase(ctx, alice.ID), domain.NotFound)
	wantKind(t, "Erase of an unknown user", s.Accounts.Erase(ctx, 999999), domain.NotFound)
	wantKind(t, "SetPassword of an erased user", s.Accounts.SetPassword(ctx, alice.ID, "h"), domain.NotFound)
	err = s.Sessions.Create(ctx, session("GHOST", alice.ID, base.Add(time.Hour)))
	wantKind(t, "a session for an erased user", err, domain.NotFound)
}
