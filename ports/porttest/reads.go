package porttest

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// The contract of ports.ReadStore, and of RoomStore.Visible's Standing;
// part of Stores.

// seed replays ReadsRandomHistories: a failure logs the seed it ran with,
// and -porttest.seed=N (go test ... -args -porttest.seed=N) runs it again.
var seed = flag.Uint64("porttest.seed", 0, "seed of the random histories of the read pointer contract (0: a new one per run)")

func mustMarkRead(t *testing.T, s StoreSet, r room.ID, u user.ID, seq int64) (room.Standing, bool) {
	t.Helper()
	st, moved, err := s.Reads.MarkRead(ctxOf(t), r, u, seq)
	if err != nil {
		t.Fatalf("MarkRead(room %d, user %d, %d): %v", r, u, seq, err)
	}
	return st, moved
}

func mustStandings(t *testing.T, s StoreSet, u user.ID) map[room.ID]room.Standing {
	t.Helper()
	got, err := s.Reads.Standings(ctxOf(t), u)
	if err != nil {
		t.Fatalf("Standings(%d): %v", u, err)
	}
	return got
}

func wantNotAMember(t *testing.T, what string, err error) {
	t.Helper()
	wantKind(t, what, err, domain.NotFound)
	if c := domain.CodeOf(err); c != "not_a_member" {
		t.Errorf("%s: code %q, want not_a_member", what, c)
	}
}

func testMarkRead(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	carol := mustUser(t, s, "carol")
	r := mustRoom(t, s, alice.ID, "general", false)
	quiet := mustRoom(t, s, alice.ID, "quiet", false)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	// Seqs 1..6: alice, bob, alice, alice, bob, alice.
	for i, u := range []user.User{alice, bob, alice, alice, bob, alice} {
		mustAppend(t, s, newMessage(t, r.ID, u, fmt.Sprint("m", i+1), ""))
	}
	for _, step := range []struct {
		what      string
		seq       int64
		want      room.Standing
		wantMoved bool
	}{
		{"a new member starts at 0", 0, room.Standing{LastSeq: 6, Unread: 4}, false},
		{"forward", 3, room.Standing{LastSeq: 6, LastReadSeq: 3, Unread: 2}, true},
		{"the same seq again", 3, room.Standing{LastSeq: 6, LastReadSeq: 3, Unread: 2}, false},
		{"backwards stays", 1, room.Standing{LastSeq: 6, LastReadSeq: 3, Unread: 2}, false},
		{"negative stays", -5, room.Standing{LastSeq: 6, LastReadSeq: 3, Unread: 2}, false},
		{"onto bob's own message", 5, room.Standing{LastSeq: 6, LastReadSeq: 5, Unread: 1}, true},
		{"past the end caps at last_seq", 99, room.Standing{LastSeq: 6, LastReadSeq: 6}, true},
		{"past the end again", 100, room.Standing{LastSeq: 6, LastReadSeq: 6}, false},
	} {
		st, moved := mustMarkRead(t, s, r.ID, bob.ID, step.seq)
		if d := cmp.Diff(step.want, st); d != "" || moved != step.wantMoved {
			t.Errorf("%s: MarkRead(%d) moved %v, want %v; standing (-want +got):\n%s", step.what, step.seq, moved, step.wantMoved, d)
		}
	}
	// Bob's own messages are never unread to him; alice's are.
	mustAppend(t, s, newMessage(t, r.ID, bob, "m7", ""))
	mustAppend(t, s, newMessage(t, r.ID, alice, "m8", ""))
	want := map[room.ID]room.Standing{r.ID: {LastSeq: 8, LastReadSeq: 6, Unread: 1}}
	if d := cmp.Diff(want, mustStandings(t, s, bob.ID)); d != "" {
		t.Errorf("Standings(bob) after two more messages (-want +got):\n%s", d)
	}
	// A room without messages: nothing to move to.
	st, moved := mustMarkRead(t, s, quiet.ID, alice.ID, 3)
	if d := cmp.Diff(room.Standing{}, st); d != "" || moved {
		t.Errorf("MarkRead(empty room, 3) moved %v, standing (-want +got):\n%s", moved, d)
	}

	// Outsiders and rooms that do not exist.
	_, _, err := s.Reads.MarkRead(ctx, r.ID, carol.ID, 2)
	wantNotAMember(t, "MarkRead(an outsider)", err)
	_, _, err = s.Reads.MarkRead(ctx, 424242, bob.ID, 2)
	wantNotAMember(t, "MarkRead(a missing room)", err)
	_, _, err = s.Reads.MarkRead(ctx, r.ID, 424242, 2)
	wantNotAMember(t, "MarkRead(a missing user)", err)
	if got := mustStandings(t, s, carol.ID); len(got) != 0 {
		t.Errorf("Standings(carol, in no room) = %v, want empty", got)
	}

	// The pointer goes with the membership: a re-join starts at 0.
	if removed, err := s.Members.Remove(ctx, r.ID, bob.ID); err != nil || !removed {
		t.Fatalf("Remove(bob) = %v, %v", removed, err)
	}
	_, _, err = s.Reads.MarkRead(ctx, r.ID, bob.ID, 8)
	wantNotAMember(t, "MarkRead(after leaving)", err)
	if got := mustStandings(t, s, bob.ID); len(got) != 0 {
		t.Errorf("Standings(bob) after leaving = %v, want empty", got)
	}
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	want = map[room.ID]room.Standing{r.ID: {LastSeq: 8, Unread: 5}}
	if d := cmp.Diff(want, mustStandings(t, s, bob.ID)); d != "" {
		t.Errorf("Standings(bob) after re-joining (-want +got):\n%s", d)
	}
	st, moved = mustMarkRead(t, s, r.ID, bob.ID, 2)
	if d := cmp.Diff(room.Standing{LastSeq: 8, LastReadSeq: 2, Unread: 4}, st); d != "" || !moved {
		t.Errorf("MarkRead(2) after re-joining moved %v, standing (-want +got):\n%s", moved, d)
	}
}

func testMarkReadConcurrent(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	const n = 24
	appendN(t, s, r.ID, alice, n)
	// Every seq from 1 to n at once, while a reader watches the pointer:
	// it must only ever grow, and it ends at n.
	var (
		wg       sync.WaitGroup
		movedToN atomic.Bool
		done     = make(chan struct{})
	)
	watched := make(chan error, 1)
	go func() {
		var last int64
		for {
			select {
			case <-done:
				watched <- nil
				return
			default:
			}
			ps, err := s.Reads.Pointers(ctx, r.ID)
			if err != nil {
				watched <- err
				return
			}
			if ps[bob.ID] < last {
				watched <- fmt.Errorf("bob's pointer went back from %d to %d", last, ps[bob.ID])
				return
			}
			last = ps[bob.ID]
		}
	}()
	for seq := int64(n); seq >= 1; seq-- {
		wg.Go(func() {
			st, moved, err := s.Reads.MarkRead(ctx, r.ID, bob.ID, seq)
			if err != nil {
				t.Errorf("MarkRead(%d): %v", seq, err)
				return
			}
			if st.LastReadSeq < seq {
				t.Errorf("MarkRead(%d) answered pointer %d, behind the seq it was given", seq, st.LastReadSeq)
			}
			if moved && seq == n {
				movedToN.Store(true)
			}
		})
	}
	wg.Wait()
	close(done)
	if err := <-watched; err != nil {
		t.Error(err)
	}
	if !movedToN.Load() {
		t.Errorf("MarkRead(%d) did not move the pointer, though nothing else could take it to %d", n, n)
	}
	want := map[room.ID]room.Standing{r.ID: {LastSeq: n, LastReadSeq: n}}
	if d := cmp.Diff(want, mustStandings(t, s, bob.ID)); d != "" {
		t.Errorf("Standings after concurrent MarkReads (-want +got):\n%s", d)
	}
}

func testPointers(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	carol := mustUser(t, s, "carol")
	r := mustRoom(t, s, alice.ID, "general", true)
	other := mustRoom(t, s, bob.ID, "other", false)
	for _, u := range []user.User{bob, carol} {
		if _, err := s.Members.Add(ctx, r.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	appendN(t, s, r.ID, alice, 5)
	appendN(t, s, other.ID, bob, 5)
	mustMarkRead(t, s, r.ID, alice.ID, 4)
	mustMarkRead(t, s, r.ID, bob.ID, 2)
	mustMarkRead(t, s, other.ID, bob.ID, 5)
	pointers := func(r room.ID) map[user.ID]int64 {
		t.Helper()
		got, err := s.Reads.Pointers(ctx, r)
		if err != nil {
			t.Fatalf("Pointers(%d): %v", r, err)
		}
		return got
	}
	if d := cmp.Diff(map[user.ID]int64{alice.ID: 4, bob.ID: 2, carol.ID: 0}, pointers(r.ID)); d != "" {
		t.Errorf("Pointers (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[user.ID]int64{bob.ID: 5}, pointers(other.ID)); d != "" {
		t.Errorf("Pointers(other) (-want +got):\n%s", d)
	}
	if _, err := s.Members.Remove(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[user.ID]int64{alice.ID: 4, carol.ID: 0}, pointers(r.ID)); d != "" {
		t.Errorf("Pointers after bob left (-want +got):\n%s", d)
	}
	if got := pointers(424242); len(got) != 0 {
		t.Errorf("Pointers(a missing room) = %v, want empty", got)
	}
}

// readModel is what the stores should hold, kept by the test beside them:
// each room's seq stream (its messages, with who sent them, whom they
// mention and whether they are deleted, and how many seqs changes took) and
// each member's pointer.
type readModel struct {
	rooms   []room.Room
	last    map[room.ID]int64
	msgs    map[room.ID][]*modelMessage
	members map[room.ID]map[user.ID]int64
}

type modelMessage struct {
	stored    message.Message
	mentions  []user.ID
	deleted   bool
	reactions map[string]map[user.ID]bool
}

func (m *readModel) standing(r room.ID, u user.ID) room.Standing {
	st := room.Standing{LastSeq: m.last[r], LastReadSeq: m.members[r][u]}
	for _, msg := range m.msgs[r] {
		if msg.stored.Seq <= st.LastReadSeq || msg.stored.UserID == u {
			continue
		}
		st.Unread++
		if !msg.deleted && slices.Contains(msg.mentions, u) {
			st.Mentions++
		}
	}
	return st
}

func (m *readModel) standings(u user.ID) map[room.ID]room.Standing {
	out := map[room.ID]room.Standing{}
	for r, ms := range m.members {
		if _, ok := ms[u]; ok {
			out[r] = m.standing(r, u)
		}
	}
	return out
}

func (m *readModel) visible(u user.ID) []room.Listing {
	out := []room.Listing{}
	for _, r := range m.rooms { // in id order
		_, member := m.members[r.ID][u]
		switch {
		case member:
			out = append(out, room.Listing{Room: r, IsMember: true, Standing: m.standing(r.ID, u)})
		case !r.IsPrivate:
			out = append(out, room.Listing{Room: r, Standing: room.Standing{LastSeq: m.last[r.ID]}})
		}
	}
	return out
}

// live returns a random message of r that is not deleted, or nil.
func (m *readModel) live(rng *rand.Rand, r room.ID) *modelMessage {
	var live []*modelMessage
	for _, msg := range m.msgs[r] {
		if !msg.deleted {
			live = append(live, msg)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return live[rng.IntN(len(live))]
}

// mentionsOf picks up to two random users for a message to mention.
func mentionsOf(rng *rand.Rand, users []user.User) []user.ID {
	var out []user.ID
	for range rng.IntN(3) {
		u := users[rng.IntN(len(users))].ID
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// testReadsRandomHistories drives the stores through random histories —
// appends by random members mentioning random users, edits that change
// the mentions, deletes, reactions added and removed (no-ops too), random
// MarkReads (behind, at and past the end, by outsiders too), joins and
// leaves — and after every step compares each user's Standings and Visible
// with a brute-force count over the stream the test wrote.
func testReadsRandomHistories(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	sd := *seed
	if sd == 0 {
		sd = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay: go test -run '%s' ... -args -porttest.seed=%d)", sd, t.Name(), sd)
	rng := rand.New(rand.NewPCG(sd, sd))

	var users []user.User
	for _, name := range []string{"ann", "ben", "cat", "dan"} {
		users = append(users, mustUser(t, s, name))
	}
	m := &readModel{last: map[room.ID]int64{}, msgs: map[room.ID][]*modelMessage{}, members: map[room.ID]map[user.ID]int64{}}
	for i, spec := range []struct {
		name    string
		private bool
	}{{"lobby", false}, {"den", true}, {"yard", false}} {
		owner := users[i]
		r := mustRoom(t, s, owner.ID, spec.name, spec.private)
		m.rooms = append(m.rooms, r)
		m.members[r.ID] = map[user.ID]int64{owner.ID: 0}
	}
	emoji := []string{"👍", "🎉", "👀"}

	const steps = 300
	for step := range steps {
		r := m.rooms[rng.IntN(len(m.rooms))]
		u := users[rng.IntN(len(users))]
		_, member := m.members[r.ID][u.ID]
		when := base.Add(time.Duration(step) * time.Second)
		var what string
		switch op := rng.IntN(16); {
		case op < 4: // a member posts
			if !member {
				what = fmt.Sprintf("skip (user %d posts in room %d, not a member)", u.ID, r.ID)
				break
			}
			mentions := mentionsOf(rng, users)
			what = fmt.Sprintf("user %d posts in room %d mentioning %v", u.ID, r.ID, mentions)
			msg := newMessage(t, r.ID, u, fmt.Sprint("step ", step), "")
			msg.Mentions = mentions
			got := mustAppend(t, s, msg)
			m.last[r.ID]++
			m.msgs[r.ID] = append(m.msgs[r.ID], &modelMessage{stored: got, mentions: mentions})
			if got.Seq != m.last[r.ID] {
				t.Fatalf("step %d: %s: seq %d, want %d", step, what, got.Seq, m.last[r.ID])
			}
		case op < 8: // a member edits, deletes or reacts to a message
			target := m.live(rng, r.ID)
			if !member || target == nil {
				what = fmt.Sprintf("skip (user %d changes a message in room %d: not a member, or nothing to change)", u.ID, r.ID)
				break
			}
			var seq int64
			switch op {
			case 4:
				mentions := mentionsOf(rng, users)
				what = fmt.Sprintf("user %d edits message %d of room %d to mention %v", u.ID, target.stored.ID, r.ID, mentions)
				seq = mustEdit(t, s, target.stored, u, fmt.Sprint("edited at step ", step), mentions, when).Seq
				target.mentions = mentions
			case 5:
				what = fmt.Sprintf("user %d deletes message %d of room %d", u.ID, target.stored.ID, r.ID)
				seq = mustDelete(t, s, target.stored, u, when).Seq
				target.deleted = true
			default:
				e, add := emoji[rng.IntN(len(emoji))], rng.IntN(2) == 0
				what = fmt.Sprintf("user %d reacts %s (add %v) to message %d of room %d", u.ID, e, add, target.stored.ID, r.ID)
				if target.reactions == nil {
					target.reactions = map[string]map[user.ID]bool{}
				}
				if target.reactions[e] == nil {
					target.reactions[e] = map[user.ID]bool{}
				}
				c, changed := mustReact(t, s, target.stored, u, e, add, when)
				if want := target.reactions[e][u.ID] != add; changed != want {
					t.Fatalf("step %d: %s: changed %v, want %v", step, what, changed, want)
				}
				target.reactions[e][u.ID] = add
				if !changed {
					if c.Seq != 0 {
						t.Fatalf("step %d: %s: a no-op took seq %d", step, what, c.Seq)
					}
					break
				}
				seq = c.Seq
			}
			if seq != 0 {
				m.last[r.ID]++
				if seq != m.last[r.ID] {
					t.Fatalf("step %d: %s: seq %d, want %d", step, what, seq, m.last[r.ID])
				}
			}
		case op < 12: // anyone marks a seq read
			last := m.last[r.ID]
			seq := rng.Int64N(last+4) - 1 // -1 .. last+2
			what = fmt.Sprintf("user %d marks %d read in room %d (last %d)", u.ID, seq, r.ID, last)
			st, moved, err := s.Reads.MarkRead(ctx, r.ID, u.ID, seq)
			if !member {
				wantNotAMember(t, fmt.Sprintf("step %d: %s", step, what), err)
				break
			}
			if err != nil {
				t.Fatalf("step %d: %s: %v", step, what, err)
			}
			cur := m.members[r.ID][u.ID]
			next := max(cur, min(seq, last))
			m.members[r.ID][u.ID] = next
			if d := cmp.Diff(m.standing(r.ID, u.ID), st); d != "" || moved != (next > cur) {
				t.Fatalf("step %d: %s: moved %v, want %v; standing (-want +got):\n%s", step, what, moved, next > cur, d)
			}
		case op < 14: // join
			what = fmt.Sprintf("user %d joins room %d", u.ID, r.ID)
			added, err := s.Members.Add(ctx, r.ID, u.ID)
			if err != nil || added == member {
				t.Fatalf("step %d: %s: added %v, %v; want %v", step, what, added, err, !member)
			}
			if !member {
				m.members[r.ID][u.ID] = 0
			}
		default: // leave (the owner stays)
			if !member || u.ID == r.OwnerID {
				what = fmt.Sprintf("skip (user %d leaves room %d, owner or outsider)", u.ID, r.ID)
				break
			}
			what = fmt.Sprintf("user %d leaves room %d", u.ID, r.ID)
			if removed, err := s.Members.Remove(ctx, r.ID, u.ID); err != nil || !removed {
				t.Fatalf("step %d: %s: removed %v, %v", step, what, removed, err)
			}
			delete(m.members[r.ID], u.ID)
		}
		for _, v := range users {
			if d := cmp.Diff(m.standings(v.ID), mustStandings(t, s, v.ID)); d != "" {
				t.Fatalf("step %d (%s): Standings(user %d) (-want +got):\n%s", step, what, v.ID, d)
			}
			got, err := s.Rooms.Visible(ctx, v.ID)
			if err != nil {
				t.Fatalf("step %d: Visible(%d): %v", step, v.ID, err)
			}
			if d := cmp.Diff(m.visible(v.ID), got); d != "" {
				t.Fatalf("step %d (%s): Visible(user %d) (-want +got):\n%s", step, what, v.ID, d)
			}
		}
	}
	for _, r := range m.rooms {
		got, err := s.Reads.Pointers(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(m.members[r.ID], got); d != "" {
			t.Errorf("Pointers(room %d) at the end (-want +got):\n%s", r.ID, d)
		}
	}
}
