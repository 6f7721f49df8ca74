package porttest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/room"
)

func newInvite(r room.ID, by room.Room, code string, at time.Time, ttl time.Duration) room.Invite {
	return room.Invite{Code: code, RoomID: r, CreatedBy: by.OwnerID, CreatedAt: at, ExpiresAt: at.Add(ttl)}
}

func testInvites(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "hidden", true)
	other := mustRoom(t, s, alice.ID, "other", false)

	a := newInvite(r.ID, r, "code-a", base, time.Hour)
	b := newInvite(r.ID, r, "code-b", base.Add(time.Second), time.Hour)
	short := newInvite(r.ID, r, "code-short", base.Add(2*time.Second), time.Minute)
	for _, inv := range []room.Invite{a, b, short} {
		if err := s.Invites.Create(ctx, inv, 10); err != nil {
			t.Fatalf("Create(%s): %v", inv.Code, err)
		}
	}
	got, err := s.Invites.ByCode(ctx, "code-a", base.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, got); d != "" {
		t.Errorf("ByCode (-want +got):\n%s", d)
	}
	// Newest first, live ones only.
	list, err := s.Invites.List(ctx, r.ID, base.Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.Invite{short, b, a}, list); d != "" {
		t.Errorf("List (-want +got):\n%s", d)
	}
	list, err = s.Invites.List(ctx, r.ID, base.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.Invite{b, a}, list); d != "" {
		t.Errorf("List after one expired (-want +got):\n%s", d)
	}
	if _, err := s.Invites.ByCode(ctx, "code-short", base.Add(5*time.Minute)); domain.CodeOf(err) != "invite_not_found" {
		t.Errorf("ByCode(expired) = %v, want invite_not_found", err)
	}
	if _, err := s.Invites.ByCode(ctx, "nope", base); domain.CodeOf(err) != "invite_not_found" {
		t.Errorf("ByCode(unknown) = %v, want invite_not_found", err)
	}
	if l, err := s.Invites.List(ctx, other.ID, base); err != nil || len(l) != 0 {
		t.Errorf("List(another room) = %v, %v", l, err)
	}

	// Delete: only in its own room, once.
	if ok, err := s.Invites.Delete(ctx, other.ID, "code-a"); err != nil || ok {
		t.Errorf("Delete(another room's code) = %v, %v", ok, err)
	}
	if ok, err := s.Invites.Delete(ctx, r.ID, "code-a"); err != nil || !ok {
		t.Errorf("Delete = %v, %v", ok, err)
	}
	if ok, err := s.Invites.Delete(ctx, r.ID, "code-a"); err != nil || ok {
		t.Errorf("Delete again = %v, %v", ok, err)
	}
	if _, err := s.Invites.ByCode(ctx, "code-a", base); domain.CodeOf(err) != "invite_not_found" {
		t.Errorf("ByCode(revoked) = %v", err)
	}

	// A room that does not exist has no invites; a deleted room's go.
	err = s.Invites.Create(ctx, newInvite(424242, r, "code-x", base, time.Hour), 10)
	wantKind(t, "Create(missing room)", err, domain.NotFound)
	if _, err := s.Rooms.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Invites.ByCode(ctx, "code-b", base); domain.CodeOf(err) != "invite_not_found" {
		t.Errorf("ByCode(invite of a deleted room) = %v", err)
	}
}

// testInvitesBound: at most max live invites per room, also when creates
// race; expired ones do not count.
func testInvitesBound(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "r", false)
	const max = 5
	var wg sync.WaitGroup
	errs := make(chan error, 3*max)
	for i := range 3 * max {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Invites.Create(ctx, newInvite(r.ID, r, fmt.Sprintf("c%02d", i), base, time.Hour), max)
		}()
	}
	wg.Wait()
	close(errs)
	ok, refused := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case domain.CodeOf(err) == "too_many_invites":
			refused++
		default:
			t.Errorf("Create: %v", err)
		}
	}
	if ok != max || refused != 2*max {
		t.Errorf("%d created, %d refused; want %d and %d", ok, refused, max, 2*max)
	}
	// An hour and a second later they have all expired: room for more.
	if err := s.Invites.Create(ctx, newInvite(r.ID, r, "later", base.Add(time.Hour+time.Second), time.Hour), max); err != nil {
		t.Errorf("Create after the others expired: %v", err)
	}
}
