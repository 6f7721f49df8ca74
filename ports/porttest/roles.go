package porttest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/user"
)

// The contract of ports.RoleStore; part of Stores.

func testRoles(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	if alice.Admin || alice.Suspended() {
		t.Fatalf("a new user is an admin or suspended: %+v", alice)
	}
	got, err := s.Roles.SetAdmin(ctx, alice.ID, true)
	if err != nil {
		t.Fatalf("SetAdmin: %v", err)
	}
	want := alice
	want.Admin = true
	if d := cmp.Diff(want, got, usernameEq); d != "" {
		t.Errorf("SetAdmin returned (-want +got):\n%s", d)
	}
	for _, read := range []func() (user.User, error){
		func() (user.User, error) { return s.Users.ByID(ctx, alice.ID) },
		func() (user.User, error) { return s.Users.ByUsername(ctx, alice.Username) },
	} {
		got, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, usernameEq); d != "" {
			t.Errorf("read back (-want +got):\n%s", d)
		}
	}
	// A profile update keeps the role and the suspension.
	sus := user.Suspension{At: base.Add(time.Hour), Reason: "spam\nand more"}
	if got, err = s.Roles.Suspend(ctx, bob.ID, sus); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	wantBob := bob
	wantBob.Suspension = sus
	if d := cmp.Diff(wantBob, got, usernameEq); d != "" {
		t.Errorf("Suspend returned (-want +got):\n%s", d)
	}
	bobNow, err := s.Users.ByID(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bobNow.Suspension.At.Location() != time.UTC || !bobNow.Suspended() {
		t.Errorf("suspension read back as %+v", bobNow.Suspension)
	}
	bobNow.Bio = "still here"
	if got, err = s.Users.Update(ctx, bobNow); err != nil || got.Suspension != sus {
		t.Fatalf("Update after Suspend = %+v, %v; want the suspension kept", got.Suspension, err)
	}
	if got, err = s.Roles.Suspend(ctx, bob.ID, user.Suspension{}); err != nil || got.Suspended() || got.Suspension != (user.Suspension{}) {
		t.Fatalf("lifting = %+v, %v", got.Suspension, err)
	}
	if got, err = s.Roles.SetAdmin(ctx, alice.ID, false); err != nil || got.Admin {
		t.Fatalf("revoking = %+v, %v", got, err)
	}
	// A user created an administrator is one.
	n, _ := user.NewUsername("carol")
	c, _ := user.New(n, "", base)
	c.Admin = true
	if c, err = s.Users.Create(ctx, c, "h"); err != nil || !c.Admin {
		t.Fatalf("Create(admin) = %+v, %v", c, err)
	}
	if c, err = s.Users.ByID(ctx, c.ID); err != nil || !c.Admin {
		t.Fatalf("ByID(admin) = %+v, %v", c, err)
	}

	_, err = s.Roles.SetAdmin(ctx, 999999, true)
	wantKind(t, "SetAdmin of an unknown user", err, domain.NotFound)
	_, err = s.Roles.Suspend(ctx, 999999, sus)
	wantKind(t, "Suspend of an unknown user", err, domain.NotFound)
	if err := s.Accounts.Erase(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Roles.Suspend(ctx, bob.ID, sus)
	wantKind(t, "Suspend of a deleted account", err, domain.NotFound)
	_, err = s.Roles.SetAdmin(ctx, bob.ID, true)
	wantKind(t, "SetAdmin of a deleted account", err, domain.NotFound)
}

func testUserList(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	var all []user.User
	for _, n := range []string{"alice", "bob", "carol", "dave_x", "alfred", "zed"} {
		all = append(all, mustUser(t, s, n))
	}
	zed := all[5]
	zed.DisplayName = "Zed ALIce"
	var err error
	if all[5], err = s.Users.Update(ctx, zed); err != nil {
		t.Fatal(err)
	}
	gone := mustUser(t, s, "alien")
	if err := s.Accounts.Erase(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	names := func(us []user.User) []string {
		out := []string{}
		for _, u := range us {
			out = append(out, u.Username.String())
		}
		return out
	}
	for _, tc := range []struct {
		q    user.ListQuery
		want []string
	}{
		{user.ListQuery{Limit: 10}, []string{"alice", "bob", "carol", "dave_x", "alfred", "zed"}},
		{user.ListQuery{Limit: 2}, []string{"alice", "bob"}},
		{user.ListQuery{After: all[1].ID, Limit: 2}, []string{"carol", "dave_x"}},
		{user.ListQuery{After: all[5].ID, Limit: 2}, []string{}},
		{user.ListQuery{Search: "AL", Limit: 10}, []string{"alice", "alfred", "zed"}},
		{user.ListQuery{Search: "alice", Limit: 10}, []string{"alice", "zed"}},
		{user.ListQuery{Search: "al", After: all[0].ID, Limit: 1}, []string{"alfred"}},
		{user.ListQuery{Search: "_", Limit: 10}, []string{"dave_x"}},
		{user.ListQuery{Search: "%", Limit: 10}, []string{}},
		{user.ListQuery{Search: "nobody", Limit: 10}, []string{}},
	} {
		got, err := s.Roles.List(ctx, tc.q)
		if err != nil {
			t.Fatalf("List(%+v): %v", tc.q, err)
		}
		if d := cmp.Diff(tc.want, names(got)); d != "" {
			t.Errorf("List(%+v) (-want +got):\n%s", tc.q, d)
		}
	}
	got, err := s.Roles.List(ctx, user.ListQuery{Search: "zed", Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("List(zed) = %v, %v", got, err)
	}
	if d := cmp.Diff(all[5], got[0], usernameEq); d != "" {
		t.Errorf("listed user (-want +got):\n%s", d)
	}
}
