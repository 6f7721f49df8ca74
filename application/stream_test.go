package application_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// quiet asserts that next has nothing within a short while (used only for
// what must not be published).
func quiet(t *testing.T, ch <-chan ports.Event) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

func (f *fixture) channel(r room.ID) <-chan ports.Event {
	f.t.Helper()
	ch := make(chan ports.Event, 100)
	sub, err := f.bus.Subscribe(context.Background(), r, func(e ports.Event) { ch <- e })
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { sub.Close() })
	return ch
}

// Membership changes are one event on Everyone each, whatever number of
// sockets the user has: O(1) bus messages per join.
func TestMembershipEventsOnEveryone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := f.register("alice"), f.register("bob")
	all := f.channel(ports.Everyone)

	pub := f.room(alice.ID, "pub", false)
	want := []ports.Payload{ports.RoomCreated{Room: pub}, ports.RoomAdded{UserID: alice.ID, Room: pub}}
	for _, w := range want {
		if e := <-all; !cmp.Equal(e.Payload, w) {
			t.Fatalf("event %+v, want %+v", e.Payload, w)
		}
	}
	priv := f.room(alice.ID, "priv", true)
	if e := <-all; !cmp.Equal(e.Payload, ports.Payload(ports.RoomAdded{UserID: alice.ID, Room: priv})) {
		t.Fatalf("private room's event %+v: only its creator hears of it", e.Payload)
	}
	quiet(t, all)

	if err := f.Rooms.Join(ctx, bob.ID, pub.ID); err != nil {
		t.Fatal(err)
	}
	if e := <-all; !cmp.Equal(e.Payload, ports.Payload(ports.RoomAdded{UserID: bob.ID, Room: pub})) {
		t.Fatalf("join published %+v", e.Payload)
	}
	if err := f.Rooms.Join(ctx, bob.ID, pub.ID); err != nil { // already a member
		t.Fatal(err)
	}
	if _, err := f.Rooms.AddMember(ctx, alice.ID, priv.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if e := <-all; !cmp.Equal(e.Payload, ports.Payload(ports.RoomAdded{UserID: bob.ID, Room: priv})) {
		t.Fatalf("add member published %+v", e.Payload)
	}
	if _, err := f.Rooms.AddMember(ctx, alice.ID, priv.ID, bob.ID); err != nil { // idempotent, silent
		t.Fatal(err)
	}
	quiet(t, all)

	// A public room's change and deletion reach every stream; a private
	// room's only its own channel.
	name := "renamed"
	if _, err := f.Rooms.Update(ctx, alice.ID, pub.ID, room.Patch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if e := <-all; e.Kind() != ports.EventRoom || e.Payload.(ports.RoomUpdated).Room.Name != name {
		t.Fatalf("public room update on Everyone: %+v", e)
	}
	if _, err := f.Rooms.Update(ctx, alice.ID, priv.ID, room.Patch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	quiet(t, all)
	// A public room that turns private (renamed at once) is announced to
	// everyone as it was known, marked private: the new name stays inside.
	pub2 := f.room(alice.ID, "open plans", false)
	<-all
	<-all
	secret, private := "secret plans", true
	if _, err := f.Rooms.Update(ctx, alice.ID, pub2.ID, room.Patch{Name: &secret, IsPrivate: &private}); err != nil {
		t.Fatal(err)
	}
	if e := <-all; e.Payload.(ports.RoomUpdated).Room.Name != "open plans" || !e.Payload.(ports.RoomUpdated).Room.IsPrivate {
		t.Fatalf("room turned private, on Everyone: %+v", e.Payload)
	}
	if err := f.Rooms.Delete(ctx, alice.ID, pub.ID); err != nil {
		t.Fatal(err)
	}
	if e := <-all; e.Payload != (ports.RoomDeleted{Room: pub.ID}) {
		t.Fatalf("public room deletion on Everyone: %+v", e)
	}
}

func TestMarkRead(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, bob, eve := f.register("alice"), f.register("bob"), f.register("eve")
	r := f.room(alice.ID, "reads", false)
	priv := f.room(alice.ID, "priv", true)
	if err := f.Rooms.Join(ctx, bob.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two", "three"} {
		if _, err := f.Messages.Send(ctx, alice.ID, r.ID, text, ""); err != nil {
			t.Fatal(err)
		}
	}
	ch := f.channel(r.ID)

	st, err := f.Rooms.MarkRead(ctx, bob.ID, r.ID, 2)
	if err != nil || st != (room.Standing{LastSeq: 3, LastReadSeq: 2, Unread: 1}) {
		t.Fatalf("MarkRead = %+v, %v", st, err)
	}
	if e := <-ch; e.Payload != (ports.ReadMoved{UserID: bob.ID, Seq: 2, Unread: 1, Receipt: true}) {
		t.Fatalf("event %+v", e.Payload)
	}
	// Backwards and in place: nothing moves, nothing is published.
	for _, seq := range []int64{1, 2} {
		if st, err := f.Rooms.MarkRead(ctx, bob.ID, r.ID, seq); err != nil || st.LastReadSeq != 2 {
			t.Fatalf("MarkRead(%d) = %+v, %v", seq, st, err)
		}
	}
	quiet(t, ch)
	// Receipts off: the move still travels (for the user's own sockets),
	// marked as no receipt.
	off := false
	if _, err := f.Users.UpdateProfile(ctx, bob.ID, user.Patch{ReadReceipts: &off}); err != nil {
		t.Fatal(err)
	}
	if st, err := f.Rooms.MarkRead(ctx, bob.ID, r.ID, math.MaxInt64); err != nil || st.LastReadSeq != 3 || st.Unread != 0 {
		t.Fatalf("MarkRead(all) = %+v, %v", st, err)
	}
	if e := <-ch; e.Payload != (ports.ReadMoved{UserID: bob.ID, Seq: 3, Receipt: false}) {
		t.Fatalf("event %+v", e.Payload)
	}
	ms, err := f.Rooms.Members(ctx, alice.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if want := map[user.ID]int64{alice.ID: 0, bob.ID: -1}[m.User.ID]; m.LastReadSeq != want {
			t.Errorf("member %s: last_read_seq %d, want %d", m.User.Username, m.LastReadSeq, want)
		}
	}

	// Outsiders: as for any other route.
	_, err = f.Rooms.MarkRead(ctx, eve.ID, r.ID, 1)
	wantKind(t, err, domain.Forbidden, "not_a_member")
	_, err = f.Rooms.MarkRead(ctx, eve.ID, priv.ID, 1)
	wantKind(t, err, domain.NotFound, "room_not_found")
	_, err = f.Rooms.MarkRead(ctx, eve.ID, 9999, 1)
	wantKind(t, err, domain.NotFound, "room_not_found")
}

// A stream is online anywhere: the user's first socket announces it to the
// members of the user's rooms, the last one's close takes it back; the
// rooms a stream follows pass frames without a membership query until it
// unfollows them.
func TestStreamPresenceAndFollows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := f.register("alice"), f.register("bob")
	r := f.room(alice.ID, "r", false)
	if err := f.Rooms.Join(ctx, bob.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	all := f.channel(ports.Everyone)

	st, err := f.Rooms.OpenStream(ctx, bob.ID, "c1")
	if err != nil || len(st) != 1 {
		t.Fatalf("OpenStream = %+v, %v", st, err)
	}
	if e := <-all; !cmp.Equal(e.Payload, ports.Payload(ports.UserPresence{UserID: bob.ID, Username: "bob", Online: true, Rooms: []room.ID{r.ID}})) {
		t.Fatalf("presence %+v", e.Payload)
	}
	if _, err := f.Rooms.OpenStream(ctx, bob.ID, "c2"); err != nil {
		t.Fatal(err)
	}
	quiet(t, all) // not the first socket

	// Joining while online: the streams carry the room now, so its
	// members hear that bob arrived.
	r2 := f.room(alice.ID, "r2", false)
	<-all
	<-all // room_created, room_added of alice
	in2 := f.channel(r2.ID)
	if err := f.Rooms.Join(ctx, bob.ID, r2.ID); err != nil {
		t.Fatal(err)
	}
	if e := <-in2; e.Payload != (ports.MemberAdded{UserID: bob.ID, Username: "bob"}) {
		t.Fatalf("join published %+v in the room, want member added", e.Payload)
	}
	if e := <-in2; e.Payload != (ports.PresenceChanged{UserID: bob.ID, Username: "bob", Joined: true}) {
		t.Fatalf("join of an online user published %+v in the room", e.Payload)
	}
	<-all // room_added of bob
	ms, err := f.Rooms.Members(ctx, alice.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.User.ID == bob.ID && !m.Online {
			t.Error("a user with a stream is not online in the member list")
		}
	}
	if err := f.Rooms.CloseStream(ctx, bob.ID, "c1", []room.ID{r.ID}); err != nil {
		t.Fatal(err)
	}
	quiet(t, all)
	if err := f.Rooms.CloseStream(ctx, bob.ID, "c2", []room.ID{r.ID, r2.ID}); err != nil {
		t.Fatal(err)
	}
	if e := <-all; e.Payload.(ports.UserPresence).Online {
		t.Fatalf("last stream closed: %+v", e.Payload)
	}

	// Follow refuses non-members the way Authorize does.
	eve := f.register("eve")
	_, err = f.Rooms.Follow(ctx, eve.ID, r.ID)
	wantKind(t, err, domain.Forbidden, "not_a_member")
}

// second is the error of a (value, error) pair.
func second[T any](_ T, err error) error { return err }
