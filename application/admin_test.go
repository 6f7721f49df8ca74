package application_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"chat/adapters/memory"
	"chat/application"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// adminFixture is the conversations fixture with an administrator, made
// by the operator's command as chatd admin does.
type adminFixture struct {
	*convFixture
	admin user.User
}

func newAdminFixture(t *testing.T) *adminFixture {
	t.Helper()
	f := newConvFixture(t)
	a, err := f.Admin.CreateUser(context.Background(), "root", "password1", true)
	if err != nil {
		t.Fatal(err)
	}
	return &adminFixture{convFixture: f, admin: a}
}

// TestAdminRefusesEveryoneElse: every use case of an administrator is
// refused (Forbidden "not_admin") to a member, to a room's owner, to a
// revoked administrator and to a suspended one, before anything is looked
// at — unknown rooms, messages and users and malformed input included —
// and changes nothing.
func TestAdminRefusesEveryoneElse(t *testing.T) {
	ctx := context.Background()
	f := newAdminFixture(t)
	owner, member, gone, susp := f.register("owner"), f.register("member"), f.register("revoked"), f.register("suspadm")
	for _, u := range []user.User{gone, susp} {
		if _, err := f.Admin.SetAdmin(ctx, u.Username.String(), true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Admin.SetAdmin(ctx, "revoked", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Admin.Suspend(ctx, f.admin.ID, susp.ID, "no"); err != nil {
		t.Fatal(err)
	}
	r := f.room(owner.ID, "general", false)
	if err := f.Rooms.Join(ctx, member.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	m := f.send(member.ID, r.ID, "hello")

	calls := []struct {
		name string
		call func(actor user.ID) error
	}{
		{"Authorize", func(a user.ID) error { return f.Admin.Authorize(ctx, a) }},
		{"Users", func(a user.ID) error { _, err := f.Admin.Users(ctx, a, user.ListQuery{}); return err }},
		{"Users bad query", func(a user.ID) error { _, err := f.Admin.Users(ctx, a, user.ListQuery{Limit: -5}); return err }},
		{"Account", func(a user.ID) error { _, err := f.Admin.Account(ctx, a, member.ID); return err }},
		{"Account unknown", func(a user.ID) error { _, err := f.Admin.Account(ctx, a, 9999); return err }},
		{"Suspend", func(a user.ID) error { _, err := f.Admin.Suspend(ctx, a, member.ID, "x"); return err }},
		{"Suspend self", func(a user.ID) error { _, err := f.Admin.Suspend(ctx, a, a, "x"); return err }},
		{"Unsuspend", func(a user.ID) error { _, err := f.Admin.Unsuspend(ctx, a, susp.ID); return err }},
		{"DeleteMessage", func(a user.ID) error { _, err := f.Admin.DeleteMessage(ctx, a, r.ID, m.ID); return err }},
		{"DeleteMessage unknown", func(a user.ID) error { _, err := f.Admin.DeleteMessage(ctx, a, 9999, 1); return err }},
		{"DeleteRoom", func(a user.ID) error { return f.Admin.DeleteRoom(ctx, a, r.ID) }},
		{"RemoveMember", func(a user.ID) error { return f.Admin.RemoveMember(ctx, a, r.ID, member.ID) }},
		{"RemoveMember owner", func(a user.ID) error { return f.Admin.RemoveMember(ctx, a, r.ID, owner.ID) }},
	}
	for _, actor := range []user.User{member, owner, gone, susp} {
		for _, c := range calls {
			t.Run(fmt.Sprintf("%s/%s", actor.Username, c.name), func(t *testing.T) {
				wantKind(t, c.call(actor.ID), domain.Forbidden, "not_admin")
			})
		}
	}
	t.Run("unknown actor", func(t *testing.T) {
		wantKind(t, f.Admin.DeleteRoom(ctx, 9999, r.ID), domain.Forbidden, "not_admin")
	})
	// Nothing changed.
	if got, err := f.Messages.Get(ctx, member.ID, r.ID, m.ID); err != nil || got.Deleted {
		t.Fatalf("message after refusals = %+v, %v", got, err)
	}
	if ok, err := f.Rooms.Members(ctx, member.ID, r.ID); err != nil || len(ok) != 2 {
		t.Fatalf("members after refusals = %v, %v", ok, err)
	}
	if u, err := f.Admin.Account(ctx, f.admin.ID, member.ID); err != nil || u.Suspended() {
		t.Fatalf("member after refusals = %+v, %v", u, err)
	}
	if u, err := f.Admin.Account(ctx, f.admin.ID, susp.ID); err != nil || !u.Suspended() {
		t.Fatalf("suspended admin after refusals = %+v, %v", u, err)
	}
}

// TestAdminSuspend: a suspension ends every session of the account — each
// room and Everyone hear SessionEnded marked Suspended, the tokens stop at
// once — and login is refused with account_suspended (after the password
// is checked: a wrong one learns nothing) until it is lifted.
func TestAdminSuspend(t *testing.T) {
	ctx := context.Background()
	f := newAdminFixture(t)
	bob := f.register("bob")
	r := f.room(bob.ID, "bobs", true)
	next := f.events(r.ID)
	everyone := f.events(ports.Everyone)
	tok1, err := f.Users.Login(ctx, "bob", "password1")
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := f.Users.Login(ctx, "bob", "password1")
	if err != nil {
		t.Fatal(err)
	}
	c1, err := f.Users.Authenticate(ctx, tok1.AccessToken)
	if err != nil {
		t.Fatal(err)
	}

	_, err = f.Admin.Suspend(ctx, f.admin.ID, bob.ID, "spam\x00")
	wantKind(t, err, domain.Invalid, "invalid_reason")
	_, err = f.Admin.Suspend(ctx, f.admin.ID, f.admin.ID, "")
	wantKind(t, err, domain.Invalid, "suspend_self")
	_, err = f.Admin.Suspend(ctx, f.admin.ID, 9999, "")
	wantKind(t, err, domain.NotFound, "user_not_found")

	u, err := f.Admin.Suspend(ctx, f.admin.ID, bob.ID, "  spam  ")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Suspended() || u.Suspension.Reason != "spam" || !u.Suspension.At.Equal(f.clock.Now()) {
		t.Fatalf("suspended = %+v", u.Suspension)
	}
	for _, next := range []func() ports.Event{next, everyone} {
		ended := map[string]bool{}
		for len(ended) < 2 {
			if p, ok := next().Payload.(ports.SessionEnded); ok {
				if p.UserID != bob.ID || !p.Suspended {
					t.Fatalf("SessionEnded = %+v", p)
				}
				ended[p.Session] = true
			}
		}
		if !ended[c1.SessionID] {
			t.Fatalf("ended %v, not %s", ended, c1.SessionID)
		}
	}
	for _, tok := range []string{tok1.AccessToken, tok2.AccessToken} {
		_, err := f.Users.Authenticate(ctx, tok)
		wantKind(t, err, domain.Unauthenticated, "")
	}
	_, err = f.Users.Login(ctx, "bob", "password1")
	wantKind(t, err, domain.Forbidden, "account_suspended")
	_, err = f.Users.Login(ctx, "bob", "wrong-password")
	wantKind(t, err, domain.Unauthenticated, "invalid_credentials")

	// A second suspension keeps the first's time and reason.
	f.clock.advance(time.Hour)
	if again, err := f.Admin.Suspend(ctx, f.admin.ID, bob.ID, "other"); err != nil || again.Suspension != u.Suspension {
		t.Fatalf("second Suspend = %+v, %v; want %+v", again.Suspension, err, u.Suspension)
	}

	if u, err = f.Admin.Unsuspend(ctx, f.admin.ID, bob.ID); err != nil || u.Suspended() {
		t.Fatalf("Unsuspend = %+v, %v", u, err)
	}
	tok, err := f.Users.Login(ctx, "bob", "password1")
	if err != nil {
		t.Fatalf("login after Unsuspend: %v", err)
	}
	if _, err := f.Users.Authenticate(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	if u, err = f.Admin.Unsuspend(ctx, f.admin.ID, bob.ID); err != nil || u.Suspended() {
		t.Fatalf("second Unsuspend = %+v, %v", u, err)
	}
}

// TestAdminSuspendedSessionRace: a session that started as the account
// was suspended (its login read the account before) is refused all the
// same: the session check reads the suspended profile.
func TestAdminSuspendedSessionRace(t *testing.T) {
	ctx := context.Background()
	st := memory.NewStores()
	d := memoryDeps(t, st)
	app := mustNew(t, d)
	if _, err := app.Admin.CreateUser(ctx, "root", "password1", true); err != nil {
		t.Fatal(err)
	}
	bob, err := app.Admin.CreateUser(ctx, "bob", "password1", false)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := app.Users.Login(ctx, "bob", "password1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Users.Authenticate(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	// The suspension written behind the sessions' back (as if the session
	// had been created after Suspend ended the others).
	if _, err := st.Users().Suspend(ctx, bob.ID, user.Suspension{At: time.Now(), Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Cache.Invalidate(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err = app.Users.Authenticate(ctx, tok.AccessToken)
	wantKind(t, err, domain.Unauthenticated, "account_suspended")
}

// TestAdminModeration: an administrator who is in none of the rooms
// deletes any message (the author's delete's effects: a tombstone, the
// next seq, the event; the files' purge job is the store's Delete's, as
// the contract suite checks), removes any member (an
// owner hands the room over first) and deletes any room.
func TestAdminModeration(t *testing.T) {
	ctx := context.Background()
	f := newAdminFixture(t)
	owner, bob, carol := f.register("owner"), f.register("bob"), f.register("carol")
	r := f.room(owner.ID, "secret", true)
	for _, u := range []user.User{bob, carol} {
		if _, err := f.Rooms.AddMember(ctx, owner.ID, r.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	next := f.events(r.ID)
	m := f.send(bob.ID, r.ID, "hello")

	_, err := f.Admin.DeleteMessage(ctx, f.admin.ID, r.ID, 9999)
	wantKind(t, err, domain.NotFound, "message_not_found")
	_, err = f.Admin.DeleteMessage(ctx, f.admin.ID, 9999, m.ID)
	wantKind(t, err, domain.NotFound, "room_not_found")
	ch, err := f.Admin.DeleteMessage(ctx, f.admin.ID, r.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Kind != message.Deleted || ch.Seq != m.Seq+1 || ch.UserID != f.admin.ID {
		t.Fatalf("change = %+v", ch)
	}
	if got := nextChange(t, next); got.Seq != ch.Seq || got.Kind != message.Deleted {
		t.Fatalf("event = %+v", got)
	}
	if got, err := f.Messages.Get(ctx, bob.ID, r.ID, m.ID); err != nil || !got.Deleted || got.Content != "" {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	_, err = f.Admin.DeleteMessage(ctx, f.admin.ID, r.ID, m.ID)
	wantKind(t, err, domain.Conflict, "message_deleted")

	// Removing a member closes their sockets (MemberRemoved); removing the
	// owner hands the room to the longest-standing member first.
	if err := f.Admin.RemoveMember(ctx, f.admin.ID, r.ID, carol.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, next, carol.ID)
	wantKind(t, f.Admin.RemoveMember(ctx, f.admin.ID, r.ID, carol.ID), domain.NotFound, "not_a_member")
	if err := f.Admin.RemoveMember(ctx, f.admin.ID, r.ID, owner.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, next, owner.ID)
	got, err := f.Rooms.Get(ctx, bob.ID, r.ID)
	if err != nil || got.OwnerID != bob.ID {
		t.Fatalf("room after the owner's removal = %+v, %v; want bob owning it", got, err)
	}

	if err := f.Admin.DeleteRoom(ctx, f.admin.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	for {
		if _, ok := next().Payload.(ports.RoomDeleted); ok {
			break
		}
	}
	_, err = f.Rooms.Get(ctx, bob.ID, r.ID)
	wantKind(t, err, domain.NotFound, "room_not_found")
	wantKind(t, f.Admin.DeleteRoom(ctx, f.admin.ID, r.ID), domain.NotFound, "room_not_found")

	dm, _, err := f.Rooms.OpenDirect(ctx, bob.ID, []user.ID{carol.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, f.Admin.RemoveMember(ctx, f.admin.ID, dm.ID, carol.ID), domain.Forbidden, "direct_message")
}

func wantRemoved(t *testing.T, next func() ports.Event, u user.ID) {
	t.Helper()
	for {
		if p, ok := next().Payload.(ports.MemberRemoved); ok {
			if p.UserID != u || p.Reason != ports.Removed {
				t.Fatalf("MemberRemoved = %+v, want %d removed", p, u)
			}
			return
		}
	}
}

// TestAdminOperator: the operator's commands create accounts (admins or
// not), grant and revoke the role, and reset a password, which ends every
// session of the account.
func TestAdminOperator(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.Admin.CreateUser(ctx, "x", "password1", false)
	wantKind(t, err, domain.Invalid, "invalid_username")
	_, err = f.Admin.CreateUser(ctx, "alice", "short", false)
	wantKind(t, err, domain.Invalid, "invalid_password")
	alice, err := f.Admin.CreateUser(ctx, "Alice", "password1", false)
	if err != nil || alice.Admin {
		t.Fatalf("CreateUser = %+v, %v", alice, err)
	}
	_, err = f.Admin.CreateUser(ctx, "alice", "password1", true)
	wantKind(t, err, domain.Conflict, "username_taken")

	_, err = f.Admin.SetAdmin(ctx, "nobody", true)
	wantKind(t, err, domain.NotFound, "user_not_found")
	_, err = f.Admin.SetAdmin(ctx, "?!", true)
	wantKind(t, err, domain.NotFound, "user_not_found")
	if u, err := f.Admin.SetAdmin(ctx, "ALICE", true); err != nil || !u.Admin {
		t.Fatalf("grant = %+v, %v", u, err)
	}
	if p, err := f.Users.Profile(ctx, alice.ID); err != nil || !p.Admin {
		t.Fatalf("profile after grant = %+v, %v (the cache must drop the old one)", p, err)
	}
	bob := f.register("bob")
	if us, err := f.Admin.Users(ctx, alice.ID, user.ListQuery{Search: "bo"}); err != nil || len(us) != 1 || us[0].ID != bob.ID {
		t.Fatalf("Users as the new admin = %v, %v", us, err)
	}
	if u, err := f.Admin.SetAdmin(ctx, "alice", false); err != nil || u.Admin {
		t.Fatalf("revoke = %+v, %v", u, err)
	}
	_, err = f.Admin.Users(ctx, alice.ID, user.ListQuery{})
	wantKind(t, err, domain.Forbidden, "not_admin")

	tok, err := f.Users.Login(ctx, "bob", "password1")
	if err != nil {
		t.Fatal(err)
	}
	r := f.room(bob.ID, "r", false)
	next := f.events(r.ID)
	wantKind(t, f.Admin.ResetPassword(ctx, "bob", "short"), domain.Invalid, "invalid_password")
	wantKind(t, f.Admin.ResetPassword(ctx, "nobody", "password2"), domain.NotFound, "user_not_found")
	if err := f.Admin.ResetPassword(ctx, "bob", "password2"); err != nil {
		t.Fatal(err)
	}
	for {
		if p, ok := next().Payload.(ports.SessionEnded); ok {
			if p.UserID != bob.ID || p.Suspended {
				t.Fatalf("SessionEnded = %+v", p)
			}
			break
		}
	}
	_, err = f.Users.Authenticate(ctx, tok.AccessToken)
	wantKind(t, err, domain.Unauthenticated, "session_ended")
	_, err = f.Users.Login(ctx, "bob", "password1")
	wantKind(t, err, domain.Unauthenticated, "invalid_credentials")
	if _, err := f.Users.Login(ctx, "bob", "password2"); err != nil {
		t.Fatal(err)
	}
}

// TestAdminListAndRate: the list pages by id and searches names; an
// administrator's requests are charged to Limits.Admin.
func TestAdminListAndRate(t *testing.T) {
	ctx := context.Background()
	d := memoryDeps(t, memory.NewStores())
	d.Limiter = memory.NewLimiter(nil)
	d.Limits = application.Limits{Admin: ports.Rate{Burst: 3, Per: time.Hour}}
	app := mustNew(t, d)
	root, err := app.Admin.CreateUser(ctx, "root", "password1", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"amy", "ben", "cal"} {
		if _, err := app.Admin.CreateUser(ctx, n, "password1", false); err != nil {
			t.Fatal(err)
		}
	}
	page, err := app.Admin.Users(ctx, root.ID, user.ListQuery{Limit: 2})
	if err != nil || len(page) != 2 || page[0].ID != root.ID {
		t.Fatalf("first page = %v, %v", page, err)
	}
	page, err = app.Admin.Users(ctx, root.ID, user.ListQuery{After: page[1].ID, Limit: 2})
	if err != nil || len(page) != 2 || page[1].Username.String() != "cal" {
		t.Fatalf("second page = %v, %v", page, err)
	}
	_, err = app.Admin.Users(ctx, root.ID, user.ListQuery{Limit: user.ListMax + 1})
	wantKind(t, err, domain.Invalid, "invalid_limit")
	_, err = app.Admin.Account(ctx, root.ID, root.ID)
	wantKind(t, err, domain.TooMany, "rate_limited")
}

var _ room.Moderation = application.Administration(nil)
