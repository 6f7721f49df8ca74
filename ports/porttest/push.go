package porttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/push"
	"chat/domain/user"
	"chat/ports"
)

// PushSet is a StoreSet with the push subscriptions and room mutes of the
// same database.
type PushSet struct {
	StoreSet
	Push  ports.PushStore
	Mutes ports.MuteStore
}

// Push runs the contract of ports.PushStore and ports.MuteStore. open must
// return stores over a fresh, empty database for each call.
func Push(t *testing.T, open func(t *testing.T) PushSet) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s PushSet)
	}{
		{"SubscriptionsSaveReadDelete", testPushSubscriptions},
		{"SubscriptionsBoundedPerUser", testPushBounded},
		{"EndpointMovesToItsLastUser", testPushEndpointMoves},
		{"SubscriptionsGoWithTheAccount", testPushErased},
		{"MutesGoWithTheMembership", testMutes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, open(t))
		})
	}
}

func newSub(u user.ID, i int, at time.Time) push.Subscription {
	key := make([]byte, 65)
	key[0], key[1] = 4, byte(i)
	auth := make([]byte, 16)
	auth[0] = byte(i)
	return push.Subscription{UserID: u, Endpoint: fmt.Sprintf("https://push.example.com/send/%d-%d", u, i), P256DH: key, Auth: auth, CreatedAt: at}
}

func mustSave(t *testing.T, s PushSet, sub push.Subscription, max int) push.Subscription {
	t.Helper()
	got, err := s.Push.Save(ctxOf(t), sub, max)
	if err != nil {
		t.Fatalf("Save(%s): %v", sub.Endpoint, err)
	}
	if got.ID == 0 {
		t.Fatalf("Save(%s) assigned no id", sub.Endpoint)
	}
	return got
}

func wantSubs(t *testing.T, s PushSet, u user.ID, want ...push.Subscription) {
	t.Helper()
	got, err := s.Push.ByUser(ctxOf(t), u)
	if err != nil {
		t.Fatal(err)
	}
	if want == nil {
		want = []push.Subscription{}
	}
	if got == nil {
		got = []push.Subscription{}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ByUser(%d) (-want +got):\n%s", u, d)
	}
}

func testPushSubscriptions(t *testing.T, s PushSet) {
	ctx := ctxOf(t)
	alice, bob := mustUser(t, s.StoreSet, "alice"), mustUser(t, s.StoreSet, "bob")
	a1 := mustSave(t, s, newSub(alice.ID, 1, base), push.MaxPerUser)
	a2 := mustSave(t, s, newSub(alice.ID, 2, base.Add(time.Second)), push.MaxPerUser)
	b1 := mustSave(t, s, newSub(bob.ID, 1, base), push.MaxPerUser)
	wantSubs(t, s, alice.ID, a1, a2)
	got, err := s.Push.ByID(ctx, a2.ID)
	if err != nil || !cmp.Equal(a2, got) {
		t.Errorf("ByID = %+v, %v; want %+v", got, err, a2)
	}
	// An endpoint saved again is the same subscription, with its new keys.
	again := newSub(alice.ID, 1, base.Add(2*time.Second))
	again.Auth[1] = 9
	a1b := mustSave(t, s, again, push.MaxPerUser)
	if a1b.ID != a1.ID {
		t.Errorf("the same endpoint saved again got id %d, want %d", a1b.ID, a1.ID)
	}
	wantSubs(t, s, alice.ID, a2, a1b)

	if err := s.Push.Delete(ctx, alice.ID, b1.ID); domain.CodeOf(err) != "subscription_not_found" {
		t.Errorf("Delete(bob's, as alice) = %v, want subscription_not_found", err)
	}
	if err := s.Push.Delete(ctx, alice.ID, a2.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Push.Delete(ctx, 0, b1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Push.Delete(ctx, 0, b1.ID); domain.CodeOf(err) != "subscription_not_found" {
		t.Errorf("Delete twice = %v, want subscription_not_found", err)
	}
	if _, err := s.Push.ByID(ctx, b1.ID); domain.CodeOf(err) != "subscription_not_found" {
		t.Errorf("ByID(deleted) = %v, want subscription_not_found", err)
	}
	wantSubs(t, s, alice.ID, a1b)
	wantSubs(t, s, bob.ID)
	if _, err := s.Push.Save(ctx, newSub(9999, 1, base), push.MaxPerUser); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Save(no such user) = %v, want NotFound", err)
	}
}

func testPushBounded(t *testing.T, s PushSet) {
	alice := mustUser(t, s.StoreSet, "alice")
	var kept []push.Subscription
	for i := range 5 {
		kept = append(kept, mustSave(t, s, newSub(alice.ID, i, base.Add(time.Duration(i)*time.Second)), 3))
	}
	wantSubs(t, s, alice.ID, kept[2:]...)
}

func testPushEndpointMoves(t *testing.T, s PushSet) {
	alice, bob := mustUser(t, s.StoreSet, "alice"), mustUser(t, s.StoreSet, "bob")
	shared := mustSave(t, s, newSub(alice.ID, 1, base), push.MaxPerUser)
	moved := newSub(alice.ID, 1, base.Add(time.Minute))
	moved.UserID = bob.ID // bob signs in on alice's browser and subscribes it
	got := mustSave(t, s, moved, push.MaxPerUser)
	if got.ID != shared.ID || got.UserID != bob.ID {
		t.Errorf("moved subscription = %+v, want id %d for bob", got, shared.ID)
	}
	wantSubs(t, s, alice.ID)
	wantSubs(t, s, bob.ID, got)
}

func testPushErased(t *testing.T, s PushSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s.StoreSet, "alice")
	mustSave(t, s, newSub(alice.ID, 1, base), push.MaxPerUser)
	if err := s.Accounts.Erase(ctx, alice.ID); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	wantSubs(t, s, alice.ID)
}

func testMutes(t *testing.T, s PushSet) {
	ctx := ctxOf(t)
	alice, bob, carol := mustUser(t, s.StoreSet, "alice"), mustUser(t, s.StoreSet, "bob"), mustUser(t, s.StoreSet, "carol")
	r := mustRoom(t, s.StoreSet, alice.ID, "general", false)
	other := mustRoom(t, s.StoreSet, alice.ID, "other", false)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	everyone := []user.ID{alice.ID, bob.ID, carol.ID}
	muted := func(want ...user.ID) {
		t.Helper()
		got, err := s.Mutes.Muted(ctx, r.ID, everyone)
		if err != nil {
			t.Fatal(err)
		}
		w := map[user.ID]bool{}
		for _, u := range want {
			w[u] = true
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("Muted (-want +got):\n%s", d)
		}
	}
	muted()
	if err := s.Mutes.SetMuted(ctx, r.ID, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Mutes.SetMuted(ctx, r.ID, bob.ID, true); err != nil {
		t.Fatalf("muting twice: %v", err)
	}
	muted(bob.ID)
	if got, _ := s.Mutes.Muted(ctx, other.ID, everyone); len(got) != 0 {
		t.Errorf("another room's mutes = %v, want none", got)
	}
	if err := s.Mutes.SetMuted(ctx, r.ID, carol.ID, true); domain.KindOf(err) != domain.NotFound {
		t.Errorf("SetMuted(not a member) = %v, want NotFound", err)
	}
	// Leaving and joining again starts unmuted.
	if _, err := s.Members.Remove(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	muted()
	if err := s.Mutes.SetMuted(ctx, r.ID, alice.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Mutes.SetMuted(ctx, r.ID, alice.ID, false); err != nil {
		t.Fatal(err)
	}
	muted()
}
