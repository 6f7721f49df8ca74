package porttest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The contract of the conversation around messages — one seq stream of
// messages and their changes, edits and versions, tombstones, reactions,
// replies, files, mentions — and of direct conversations and scheduled
// messages; part of Stores.

// at is base plus n minutes: when the changes of these tests happen.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

func changeOf(kind message.ChangeKind, m message.Message, by user.User, when time.Time) message.Change {
	return message.Change{Kind: kind, RoomID: m.RoomID, MessageID: m.ID, UserID: by.ID, Username: by.Username.String(), At: when}
}

func editOf(m message.Message, by user.User, content string, mentions []user.ID, when time.Time) message.Change {
	c := changeOf(message.Edited, m, by, when)
	c.Content, c.Mentions = content, mentions
	return c
}

func reactionOf(m message.Message, by user.User, emoji string, add bool, when time.Time) message.Change {
	kind := message.ReactionRemoved
	if add {
		kind = message.ReactionAdded
	}
	c := changeOf(kind, m, by, when)
	c.Emoji = emoji
	return c
}

func allow(message.Message) error { return nil }

func mustEdit(t *testing.T, s StoreSet, m message.Message, by user.User, content string, mentions []user.ID, when time.Time) message.Change {
	t.Helper()
	c, err := s.Messages.Edit(ctxOf(t), editOf(m, by, content, mentions, when), allow)
	if err != nil {
		t.Fatalf("Edit(message %d, %q): %v", m.ID, content, err)
	}
	return c
}

func mustDelete(t *testing.T, s StoreSet, m message.Message, by user.User, when time.Time) message.Change {
	t.Helper()
	c, err := s.Messages.Delete(ctxOf(t), changeOf(message.Deleted, m, by, when), allow)
	if err != nil {
		t.Fatalf("Delete(message %d): %v", m.ID, err)
	}
	return c
}

func mustReact(t *testing.T, s StoreSet, m message.Message, by user.User, emoji string, add bool, when time.Time) (message.Change, bool) {
	t.Helper()
	c, changed, err := s.Messages.React(ctxOf(t), reactionOf(m, by, emoji, add, when), message.ReactionsMax)
	if err != nil {
		t.Fatalf("React(message %d, %s, %q, add %v): %v", m.ID, by.Username, emoji, add, err)
	}
	return c, changed
}

func mustGet(t *testing.T, s StoreSet, m message.Message) message.Message {
	t.Helper()
	got, err := s.Messages.Get(ctxOf(t), m.RoomID, m.ID)
	if err != nil {
		t.Fatalf("Get(message %d): %v", m.ID, err)
	}
	return got
}

func mustVersions(t *testing.T, s StoreSet, m message.Message) []message.Version {
	t.Helper()
	got, err := s.Messages.Versions(ctxOf(t), m.RoomID, m.ID)
	if err != nil {
		t.Fatalf("Versions(message %d): %v", m.ID, err)
	}
	return got
}

func mustLastSeq(t *testing.T, s StoreSet, r room.ID) int64 {
	t.Helper()
	got, err := s.Messages.LastSeqs(ctxOf(t), []room.ID{r})
	if err != nil {
		t.Fatalf("LastSeqs(%d): %v", r, err)
	}
	return got[r]
}

// allEntries pages through a room's stream limit entries at a time.
func allEntries(t *testing.T, s StoreSet, r room.ID, after int64, limit int) []message.Entry {
	t.Helper()
	var out []message.Entry
	for range 100 {
		page, err := s.Messages.Entries(ctxOf(t), r, after, limit)
		if err != nil {
			t.Fatalf("Entries(room %d, after %d, limit %d): %v", r, after, limit, err)
		}
		if len(page) > limit {
			t.Fatalf("Entries(limit %d) returned %d entries", limit, len(page))
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Seq()
	}
	t.Fatal("Entries never ended")
	return nil
}

func wantCode(t *testing.T, what string, err error, k domain.Kind, code string) {
	t.Helper()
	wantKind(t, what, err, k)
	if c := domain.CodeOf(err); c != code {
		t.Errorf("%s: code %q, want %q", what, c, code)
	}
}

// tombstone is m as a deleted message reads.
func tombstone(m message.Message) message.Message {
	m.Content, m.Deleted, m.EditedAt = "", true, time.Time{}
	m.Mentions, m.Reactions, m.Files = nil, nil, nil
	return m
}

func mustFile(t *testing.T, s StoreSet, r room.ID, u user.User, name string) attachment.Attachment {
	t.Helper()
	a, err := s.Files.Create(ctxOf(t), attachment.Attachment{
		RoomID: r, UserID: u.ID, Filename: name, ContentType: "application/octet-stream", Size: 42,
		BlobKey: "f/" + strings.ReplaceAll(name, ".", "-") + fmt.Sprintf("-%d", r), ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: base,
	}, nil)
	if err != nil {
		t.Fatalf("Files.Create(%q): %v", name, err)
	}
	return a
}

func fileRefs(as ...attachment.Attachment) []attachment.Attachment {
	out := make([]attachment.Attachment, len(as))
	for i, a := range as {
		out[i] = attachment.Attachment{ID: a.ID}
	}
	return out
}

func jobsOf(t *testing.T, s StoreSet) []ports.Job {
	t.Helper()
	return s.Jobs(t)
}

func testRoomKindAndEditWindow(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	spec, err := room.New(room.Spec{Name: "edits"}, alice.ID, base)
	if err != nil {
		t.Fatal(err)
	}
	spec.EditWindow = 15 * time.Minute
	r, err := s.Rooms.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := spec
	want.ID = r.ID
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("Create (-want +got):\n%s", d)
	}
	if got, err := s.Rooms.ByID(ctx, r.ID); err != nil || !cmp.Equal(want, got) {
		t.Errorf("ByID = %+v, %v; want %+v", got, err, want)
	}
	// Update writes the edit window, never the kind.
	got, err := s.Rooms.Update(ctx, r.ID, func(cur *room.Room) error {
		cur.EditWindow, cur.Kind = time.Hour, room.Direct
		return nil
	})
	want.EditWindow = time.Hour
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("Update(edit window) = %+v, %v; want %+v", got, err, want)
	}
	listed, err := s.Rooms.Visible(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.Listing{{Room: want, IsMember: true}}, listed); d != "" {
		t.Errorf("Visible (-want +got):\n%s", d)
	}
}

func testOpenDirect(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	carol := mustUser(t, s, "carol")
	r, key, err := room.NewDirect(alice, []user.User{bob}, base)
	if err != nil {
		t.Fatal(err)
	}
	got, created, err := s.Rooms.OpenDirect(ctx, key, r, []user.ID{alice.ID, bob.ID})
	if err != nil || !created || got.ID == 0 {
		t.Fatalf("OpenDirect = %+v, created %v, %v; want a new room", got, created, err)
	}
	want := r
	want.ID = got.ID
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("OpenDirect (-want +got):\n%s", d)
	}
	// Opened again, by either side: the same room.
	r2, key2, err := room.NewDirect(bob, []user.User{alice}, base.Add(time.Hour))
	if err != nil || key2 != key {
		t.Fatalf("NewDirect(bob, alice) key %q, %v; want %q", key2, err, key)
	}
	again, created, err := s.Rooms.OpenDirect(ctx, key2, r2, []user.ID{bob.ID, alice.ID})
	if err != nil || created || !cmp.Equal(want, again) {
		t.Errorf("OpenDirect again = %+v, created %v, %v; want %+v, not created", again, created, err, want)
	}
	if read, err := s.Rooms.ByID(ctx, got.ID); err != nil || !cmp.Equal(want, read) {
		t.Errorf("ByID = %+v, %v; want %+v", read, err, want)
	}
	members, err := s.Members.Members(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]user.User{alice, bob}, members, usernameEq); d != "" {
		t.Errorf("Members (-want +got):\n%s", d)
	}
	// A direct conversation is private: its people see it, nobody else.
	for _, tc := range []struct {
		who  user.User
		want []room.Listing
	}{
		{bob, []room.Listing{{Room: want, IsMember: true}}},
		{carol, []room.Listing{}},
	} {
		listed, err := s.Rooms.Visible(ctx, tc.who.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, listed); d != "" {
			t.Errorf("Visible(%s) (-want +got):\n%s", tc.who.Username, d)
		}
	}
	// Another set of people is another conversation.
	group, gkey, err := room.NewDirect(alice, []user.User{bob, carol}, base)
	if err != nil {
		t.Fatal(err)
	}
	g, created, err := s.Rooms.OpenDirect(ctx, gkey, group, []user.ID{alice.ID, bob.ID, carol.ID})
	if err != nil || !created || g.ID == got.ID {
		t.Errorf("OpenDirect(group) = %+v, created %v, %v; want another new room", g, created, err)
	}
	// A member who does not exist: refused, nothing created.
	ghost, gkey2, err := room.NewDirect(alice, []user.User{{ID: 987654}}, base)
	if err != nil {
		t.Fatal(err)
	}
	_, created, err = s.Rooms.OpenDirect(ctx, gkey2, ghost, []user.ID{alice.ID, 987654})
	wantCode(t, "OpenDirect(a missing member)", err, domain.NotFound, "user_not_found")
	if created {
		t.Error("OpenDirect(a missing member): created")
	}
	listed, err := s.Rooms.Visible(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]room.ID{got.ID, g.ID}, roomIDs(listed)); d != "" {
		t.Errorf("Visible(alice) after a refused OpenDirect (-want +got):\n%s", d)
	}
}

// testOpenDirectConcurrent: many instances opening one conversation at once
// make one room.
func testOpenDirectConcurrent(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r, key, err := room.NewDirect(alice, []user.User{bob}, base)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[room.ID]int{}
		created int
	)
	for range n {
		wg.Go(func() {
			got, c, err := s.Rooms.OpenDirect(ctx, key, r, []user.ID{alice.ID, bob.ID})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("OpenDirect: %v", err)
				return
			}
			ids[got.ID]++
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Errorf("%d concurrent OpenDirects: rooms %v, created %d; want one room, created once", n, ids, created)
	}
	listed, err := s.Rooms.Visible(ctx, bob.ID)
	if err != nil || len(listed) != 1 {
		t.Errorf("Visible(bob) = %+v, %v; want the one room", listed, err)
	}
}

// testStreamOrder: messages and changes share one gap-free seq stream;
// reads of messages skip the changes' seqs and show the current state, and
// Entries pages merge both in seq order.
func testStreamOrder(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	m1 := mustAppend(t, s, newMessage(t, r.ID, alice, "one", ""))
	edit := mustEdit(t, s, m1, alice, "one, edited", nil, at(1))
	m2 := mustAppend(t, s, newMessage(t, r.ID, bob, "two", "c2"))
	elsewhere := mustAppend(t, s, newMessage(t, other.ID, bob, "elsewhere", ""))
	add1, _ := mustReact(t, s, m2, alice, "👍", true, at(2))
	add2, _ := mustReact(t, s, m2, bob, "👍", true, at(3))
	if c, changed := mustReact(t, s, m2, bob, "👍", true, at(4)); changed || c.Seq != 0 {
		t.Errorf("adding a reaction again: changed %v, seq %d; want a no-op", changed, c.Seq)
	}
	rem, _ := mustReact(t, s, m2, alice, "👍", false, at(5))
	if c, changed := mustReact(t, s, m2, alice, "👍", false, at(6)); changed || c.Seq != 0 {
		t.Errorf("removing a reaction again: changed %v, seq %d; want a no-op", changed, c.Seq)
	}
	m3 := mustAppend(t, s, newMessage(t, r.ID, alice, "three", ""))
	del := mustDelete(t, s, m1, alice, at(7))
	m4 := mustAppend(t, s, newMessage(t, r.ID, bob, "four", ""))

	if d := cmp.Diff(seqRange(1, 9), []int64{m1.Seq, edit.Seq, m2.Seq, add1.Seq, add2.Seq, rem.Seq, m3.Seq, del.Seq, m4.Seq}); d != "" {
		t.Errorf("seqs of the writes (-want +got):\n%s", d)
	}
	wantEdit := editOf(m1, alice, "one, edited", nil, at(1))
	wantEdit.Seq = 2
	wantAdd1 := reactionOf(m2, alice, "👍", true, at(2))
	wantAdd1.Seq, wantAdd1.Count = 4, 1
	wantAdd2 := reactionOf(m2, bob, "👍", true, at(3))
	wantAdd2.Seq, wantAdd2.Count = 5, 2
	wantRem := reactionOf(m2, alice, "👍", false, at(5))
	wantRem.Seq, wantRem.Count = 6, 1
	wantDel := changeOf(message.Deleted, m1, alice, at(7))
	wantDel.Seq = 8
	if d := cmp.Diff([]message.Change{wantEdit, wantAdd1, wantAdd2, wantRem, wantDel}, []message.Change{edit, add1, add2, rem, del}); d != "" {
		t.Errorf("changes as returned (-want +got):\n%s", d)
	}

	tomb := tombstone(m1)
	m2now := m2
	m2now.Reactions = []message.Reaction{{Emoji: "👍", Count: 1, UserIDs: []user.ID{bob.ID}}}
	after, err := s.Messages.After(ctx, r.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{tomb, m2now, m3, m4}, after); d != "" {
		t.Errorf("After(0): messages only, as they are now (-want +got):\n%s", d)
	}
	after, err = s.Messages.After(ctx, r.ID, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{m2now, m3}, after); d != "" {
		t.Errorf("After(1, 2) (-want +got):\n%s", d)
	}
	before, err := s.Messages.Before(ctx, r.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{m4, m3, m2now, tomb}, before); d != "" {
		t.Errorf("Before(0) (-want +got):\n%s", d)
	}
	for range 2 { // the second read may come from a cache
		newest, member, err := s.Messages.NewestIfMember(ctx, r.ID, bob.ID, 3)
		if err != nil || !member {
			t.Fatalf("NewestIfMember = member %v, %v", member, err)
		}
		if d := cmp.Diff([]message.Message{m4, m3, m2now}, newest); d != "" {
			t.Errorf("NewestIfMember (-want +got):\n%s", d)
		}
	}
	for _, want := range []message.Message{tomb, m2now, m4} {
		if d := cmp.Diff(want, mustGet(t, s, want)); d != "" {
			t.Errorf("Get(%d) (-want +got):\n%s", want.ID, d)
		}
	}
	_, err = s.Messages.Get(ctx, other.ID, m2.ID)
	wantCode(t, "Get(a message of another room)", err, domain.NotFound, "message_not_found")
	_, err = s.Messages.Get(ctx, r.ID, 987654)
	wantCode(t, "Get(missing)", err, domain.NotFound, "message_not_found")
	last, err := s.Messages.LastSeqs(ctx, []room.ID{r.ID, other.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[room.ID]int64{r.ID: 9, other.ID: 1}, last); d != "" {
		t.Errorf("LastSeqs: changes take seqs too (-want +got):\n%s", d)
	}

	// The stream: a replayed edit carries the message's text as it is now
	// (none: it was deleted since).
	replayedEdit := wantEdit
	replayedEdit.Content = ""
	want := []message.Entry{
		{Message: &tomb}, {Change: &replayedEdit}, {Message: &m2now}, {Change: &wantAdd1},
		{Change: &wantAdd2}, {Change: &wantRem}, {Message: &m3}, {Change: &wantDel}, {Message: &m4},
	}
	for _, limit := range []int{1, 2, 4, 100} {
		if d := cmp.Diff(want, allEntries(t, s, r.ID, 0, limit)); d != "" {
			t.Errorf("Entries in pages of %d (-want +got):\n%s", limit, d)
		}
	}
	page, err := s.Messages.Entries(ctx, r.ID, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want[5:7], page); d != "" {
		t.Errorf("Entries(after 5, 2) (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]message.Entry{{Message: &elsewhere}}, allEntries(t, s, other.ID, 0, 10)); d != "" {
		t.Errorf("Entries(other room) (-want +got):\n%s", d)
	}
	if rest := allEntries(t, s, r.ID, 9, 10); len(rest) != 0 {
		t.Errorf("Entries(after the last seq) = %v, want none", rest)
	}
}

func testEntriesLimit(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "general", false)
	appendN(t, s, r.ID, alice, 2)
	for _, limit := range []int{0, -1} {
		_, err := s.Messages.Entries(ctx, r.ID, 0, limit)
		wantKind(t, fmt.Sprintf("Entries(limit %d)", limit), err, domain.Invalid)
	}
	if got, err := s.Messages.Entries(ctx, 987654, 0, 10); err != nil || len(got) != 0 {
		t.Errorf("Entries(missing room) = %v, %v; want none", got, err)
	}
}

func testEdit(t *testing.T, s StoreSet) {
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
	first := newMessage(t, r.ID, alice, "first text", "k1")
	first.Mentions = []user.ID{bob.ID}
	m := mustAppend(t, s, first)
	untouched := mustAppend(t, s, newMessage(t, r.ID, bob, "never edited", ""))

	var seen message.Message
	c, err := s.Messages.Edit(ctx, editOf(m, alice, "second text", []user.ID{carol.ID}, at(1)), func(cur message.Message) error {
		seen = cur
		return nil
	})
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if d := cmp.Diff(m, seen); d != "" {
		t.Errorf("check saw (-want the message as stored +got):\n%s", d)
	}
	want1 := editOf(m, alice, "second text", []user.ID{carol.ID}, at(1))
	want1.Seq = 3
	if d := cmp.Diff(want1, c); d != "" {
		t.Errorf("Edit (-want +got):\n%s", d)
	}
	now := m
	now.Content, now.Mentions, now.EditedAt = "second text", []user.ID{carol.ID}, at(1)
	if d := cmp.Diff(now, mustGet(t, s, m)); d != "" {
		t.Errorf("Get after an edit (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]message.Version{{Content: "first text", At: m.CreatedAt}}, mustVersions(t, s, m)); d != "" {
		t.Errorf("Versions after one edit (-want +got):\n%s", d)
	}
	// The mention moved from bob to carol.
	for _, tc := range []struct {
		who  user.User
		want room.Standing
	}{
		{bob, room.Standing{LastSeq: 3, Unread: 1}},
		{carol, room.Standing{LastSeq: 3, Unread: 2, Mentions: 1}},
	} {
		if d := cmp.Diff(map[room.ID]room.Standing{r.ID: tc.want}, mustStandings(t, s, tc.who.ID)); d != "" {
			t.Errorf("Standings(%s) after the edit (-want +got):\n%s", tc.who.Username, d)
		}
	}

	c2 := mustEdit(t, s, m, alice, "third text", nil, at(2))
	if c2.Seq != 4 {
		t.Errorf("second edit: seq %d, want 4", c2.Seq)
	}
	now.Content, now.Mentions, now.EditedAt = "third text", nil, at(2)
	if d := cmp.Diff(now, mustGet(t, s, m)); d != "" {
		t.Errorf("Get after two edits (-want +got):\n%s", d)
	}
	wantVersions := []message.Version{{Content: "first text", At: m.CreatedAt}, {Content: "second text", At: at(1)}}
	if d := cmp.Diff(wantVersions, mustVersions(t, s, m)); d != "" {
		t.Errorf("Versions after two edits (-want +got):\n%s", d)
	}
	if v := mustVersions(t, s, untouched); len(v) != 0 {
		t.Errorf("Versions of a message never edited = %v, want none", v)
	}
	if got := mustStandings(t, s, carol.ID)[r.ID]; got.Mentions != 0 {
		t.Errorf("carol's mentions after the mention was edited out = %d, want 0", got.Mentions)
	}
	// Replayed, both edits carry the text as it is now.
	replay1, replay2 := want1, c2
	replay1.Content, replay1.Mentions = "third text", nil
	want := []message.Entry{{Message: &now}, {Message: &untouched}, {Change: &replay1}, {Change: &replay2}}
	if d := cmp.Diff(want, allEntries(t, s, r.ID, 0, 10)); d != "" {
		t.Errorf("Entries (-want +got):\n%s", d)
	}
	_, err = s.Messages.Versions(ctx, r.ID, 987654)
	wantCode(t, "Versions(missing)", err, domain.NotFound, "message_not_found")
	other := mustRoom(t, s, alice.ID, "other", false)
	_, err = s.Messages.Versions(ctx, other.ID, m.ID)
	wantCode(t, "Versions(a message of another room)", err, domain.NotFound, "message_not_found")
}

// testEditRefused: a refused edit writes nothing and takes no seq.
func testEditRefused(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "general", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	m := mustAppend(t, s, newMessage(t, r.ID, alice, "as sent", ""))
	gone := mustAppend(t, s, newMessage(t, r.ID, alice, "to delete", ""))
	mustDelete(t, s, gone, alice, at(1))
	refusal := domain.Errorf(domain.Forbidden, "edit_window_closed", "too late")
	inOther := m
	inOther.RoomID = other.ID
	missing := m
	missing.ID = 987654
	for _, tc := range []struct {
		name      string
		m         message.Message
		check     func(message.Message) error
		wantErr   error
		kind      domain.Kind
		code      string
		wantCheck bool
	}{
		{"check refuses", m, func(message.Message) error { return refusal }, refusal, domain.Forbidden, "edit_window_closed", true},
		{"missing", missing, allow, nil, domain.NotFound, "message_not_found", false},
		{"another room's", inOther, allow, nil, domain.NotFound, "message_not_found", false},
		{"deleted", gone, allow, nil, domain.Conflict, "message_deleted", false},
	} {
		called := false
		_, err := s.Messages.Edit(ctx, editOf(tc.m, alice, "changed", nil, at(2)), func(cur message.Message) error {
			called = true
			return tc.check(cur)
		})
		if tc.wantErr != nil && err != tc.wantErr {
			t.Errorf("%s: err = %v, want the check's error as it is", tc.name, err)
		}
		wantCode(t, tc.name, err, tc.kind, tc.code)
		if called != tc.wantCheck {
			t.Errorf("%s: check called %v, want %v", tc.name, called, tc.wantCheck)
		}
	}
	if d := cmp.Diff(m, mustGet(t, s, m)); d != "" {
		t.Errorf("message after refused edits (-want +got):\n%s", d)
	}
	if v := mustVersions(t, s, m); len(v) != 0 {
		t.Errorf("Versions after refused edits = %v, want none", v)
	}
	if last := mustLastSeq(t, s, r.ID); last != 3 {
		t.Errorf("last seq after refused edits = %d, want 3", last)
	}
}

func testDelete(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	p := newMessage(t, r.ID, alice, "parent text", "")
	p.Mentions = []user.ID{bob.ID}
	parent := mustAppend(t, s, p)                                                    // 1
	edit := mustEdit(t, s, parent, alice, "parent edited", []user.ID{bob.ID}, at(1)) // 2
	react, _ := mustReact(t, s, parent, bob, "🎉", true, at(2))                       // 3
	rp := newMessage(t, r.ID, bob, "a reply", "")
	rp.ReplyTo = &message.Quote{ID: parent.ID}
	reply := mustAppend(t, s, rp) // 4
	wantQuote := &message.Quote{ID: parent.ID, Seq: 1, UserID: alice.ID, Username: "alice", Content: "parent edited"}
	if d := cmp.Diff(wantQuote, reply.ReplyTo); d != "" {
		t.Errorf("the reply's quote (-want +got):\n%s", d)
	}
	if got := mustStandings(t, s, bob.ID)[r.ID]; got.Mentions != 1 {
		t.Errorf("bob's mentions before the delete = %d, want 1", got.Mentions)
	}
	jobsOf(t, s) // none expected so far; forget whatever setup made

	// A refusal writes nothing.
	refusal := domain.Errorf(domain.Forbidden, "not_allowed", "no")
	_, err := s.Messages.Delete(ctx, changeOf(message.Deleted, parent, bob, at(3)), func(message.Message) error { return refusal })
	if err != refusal {
		t.Errorf("Delete with a refusing check: err = %v, want the check's error", err)
	}
	if got := mustGet(t, s, parent); got.Deleted || got.Content != "parent edited" {
		t.Errorf("message after a refused delete = %+v", got)
	}

	var seen message.Message
	del, err := s.Messages.Delete(ctx, changeOf(message.Deleted, parent, alice, at(3)), func(cur message.Message) error {
		seen = cur
		return nil
	})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if seen.ID != parent.ID || seen.Content != "parent edited" || seen.Deleted {
		t.Errorf("check saw %+v, want the message before the delete", seen)
	}
	wantDel := changeOf(message.Deleted, parent, alice, at(3))
	wantDel.Seq = 5
	if d := cmp.Diff(wantDel, del); d != "" {
		t.Errorf("Delete (-want +got):\n%s", d)
	}
	tomb := tombstone(parent)
	if d := cmp.Diff(tomb, mustGet(t, s, parent)); d != "" {
		t.Errorf("Get(deleted) (-want +got):\n%s", d)
	}
	replyNow := reply
	replyNow.ReplyTo = &message.Quote{ID: parent.ID, Seq: 1, UserID: alice.ID, Username: "alice", Deleted: true}
	if d := cmp.Diff(replyNow, mustGet(t, s, reply)); d != "" {
		t.Errorf("Get(reply): the quote is a tombstone too (-want +got):\n%s", d)
	}
	page, err := s.Messages.Before(ctx, r.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{replyNow, tomb}, page); d != "" {
		t.Errorf("Before (-want +got):\n%s", d)
	}
	if v := mustVersions(t, s, parent); len(v) != 0 {
		t.Errorf("Versions(deleted) = %v, want none", v)
	}
	// Replayed, the earlier edit has no text left; the reaction keeps what
	// it recorded.
	replayedEdit := edit
	replayedEdit.Content, replayedEdit.Mentions = "", nil
	want := []message.Entry{{Message: &tomb}, {Change: &replayedEdit}, {Change: &react}, {Message: &replyNow}, {Change: &wantDel}}
	if d := cmp.Diff(want, allEntries(t, s, r.ID, 0, 10)); d != "" {
		t.Errorf("Entries (-want +got):\n%s", d)
	}
	// Unread still counts a deleted message; a mention of it is gone.
	if d := cmp.Diff(map[room.ID]room.Standing{r.ID: {LastSeq: 5, Unread: 1}}, mustStandings(t, s, bob.ID)); d != "" {
		t.Errorf("Standings(bob) after the delete (-want +got):\n%s", d)
	}
	if jobs := jobsOf(t, s); len(jobs) != 0 {
		t.Errorf("jobs after deleting a message without files = %v, want none", jobs)
	}

	// A tombstone takes no more changes.
	called := false
	noted := func(message.Message) error { called = true; return nil }
	_, err = s.Messages.Delete(ctx, changeOf(message.Deleted, parent, alice, at(4)), noted)
	wantCode(t, "Delete(deleted)", err, domain.Conflict, "message_deleted")
	_, err = s.Messages.Edit(ctx, editOf(parent, alice, "back", nil, at(4)), noted)
	wantCode(t, "Edit(deleted)", err, domain.Conflict, "message_deleted")
	_, changed, err := s.Messages.React(ctx, reactionOf(parent, bob, "🎉", false, at(4)), message.ReactionsMax)
	wantCode(t, "React(deleted)", err, domain.Conflict, "message_deleted")
	if called || changed {
		t.Errorf("on a tombstone: check called %v, changed %v", called, changed)
	}
	missing := parent
	missing.ID = 987654
	_, err = s.Messages.Delete(ctx, changeOf(message.Deleted, missing, alice, at(4)), noted)
	wantCode(t, "Delete(missing)", err, domain.NotFound, "message_not_found")
	if last := mustLastSeq(t, s, r.ID); last != 5 {
		t.Errorf("last seq after refused deletes = %d, want 5", last)
	}
}

// testDeleteFiles: a deleted message's files lose their rows, and their
// blob keys go to one purge job inserted with the delete.
func testDeleteFiles(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	r := mustRoom(t, s, alice.ID, "general", false)
	img := mustFile(t, s, r.ID, alice, "a.png")
	doc := mustFile(t, s, r.ID, alice, "b.txt")
	loose := mustFile(t, s, r.ID, alice, "c.txt")
	if err := s.Files.SetThumbnail(ctx, img.ID, "t/a-png", attachment.ThumbnailReady); err != nil {
		t.Fatal(err)
	}
	img.ThumbnailKey, img.ThumbnailStatus = "t/a-png", attachment.ThumbnailReady
	m := newMessage(t, r.ID, alice, "with files", "")
	m.Files = fileRefs(doc, img)
	stored := mustAppend(t, s, m)
	if d := cmp.Diff([]attachment.Attachment{img, doc}, stored.Files); d != "" {
		t.Errorf("Append: files by id (-want +got):\n%s", d)
	}
	if d := cmp.Diff(stored.Files, mustGet(t, s, stored).Files); d != "" {
		t.Errorf("Get: files (-want +got):\n%s", d)
	}
	jobsOf(t, s)

	mustDelete(t, s, stored, alice, at(1))
	jobs := jobsOf(t, s)
	for i := range jobs {
		slices.Sort(jobs[i].BlobKeys)
	}
	want := []ports.Job{{Kind: ports.JobPurge, BlobKeys: []string{doc.BlobKey, img.BlobKey, "t/a-png"}}}
	slices.Sort(want[0].BlobKeys)
	if d := cmp.Diff(want, jobs); d != "" {
		t.Errorf("jobs of the delete (-want +got):\n%s", d)
	}
	for _, a := range []attachment.Attachment{img, doc} {
		_, err := s.Files.ByID(ctx, a.ID)
		wantKind(t, fmt.Sprintf("Files.ByID(%s) after its message was deleted", a.Filename), err, domain.NotFound)
	}
	if got, err := s.Files.ByID(ctx, loose.ID); err != nil || got.ID != loose.ID {
		t.Errorf("a file in no message: %+v, %v", got, err)
	}
	if got := mustGet(t, s, stored); got.Files != nil {
		t.Errorf("files of the tombstone = %v, want none", got.Files)
	}
	// The room's delete hands over the keys that are left.
	keys, err := s.Rooms.Delete(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{loose.BlobKey}, keys); d != "" {
		t.Errorf("Rooms.Delete keys (-want +got):\n%s", d)
	}
}

func testReactions(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	carol := mustUser(t, s, "carol")
	r := mustRoom(t, s, alice.ID, "general", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	m := mustAppend(t, s, newMessage(t, r.ID, alice, "react to me", ""))
	seq := m.Seq
	for i, step := range []struct {
		who         user.User
		emoji       string
		add         bool
		wantChanged bool
		wantCount   int
	}{
		{alice, "👍", true, true, 1},
		{bob, "🎉", true, true, 1},
		{carol, "👍", true, true, 2},
		{alice, "👍", true, false, 2},
		{bob, "👍", true, true, 3},
		{alice, "👍", false, true, 2},
		{alice, "👍", false, false, 2},
		{alice, "👍", true, true, 3}, // back, now the last of 👍's
		{carol, "🎉", false, false, 1},
	} {
		c, changed := mustReact(t, s, m, step.who, step.emoji, step.add, at(i))
		if changed != step.wantChanged || c.Count != step.wantCount {
			t.Errorf("step %d (%s %s add %v): changed %v, count %d; want %v, %d", i, step.who.Username, step.emoji, step.add, changed, c.Count, step.wantChanged, step.wantCount)
		}
		if changed {
			seq++
		}
		if changed && c.Seq != seq || !changed && c.Seq != 0 {
			t.Errorf("step %d: seq %d, want %d", i, c.Seq, map[bool]int64{true: seq}[changed])
		}
	}
	if last := mustLastSeq(t, s, r.ID); last != seq {
		t.Errorf("last seq = %d, want %d (no-ops take none)", last, seq)
	}
	// In the order first added among the reactions there are now.
	want := []message.Reaction{{Emoji: "🎉", Count: 1, UserIDs: []user.ID{bob.ID}}, {Emoji: "👍", Count: 3, UserIDs: []user.ID{carol.ID, bob.ID, alice.ID}}}
	if d := cmp.Diff(want, mustGet(t, s, m).Reactions); d != "" {
		t.Errorf("reactions (-want +got):\n%s", d)
	}
	if c, changed := mustReact(t, s, m, bob, "🎉", false, at(20)); !changed || c.Count != 0 {
		t.Errorf("removing the last 🎉: changed %v, count %d; want true, 0", changed, c.Count)
	}
	if d := cmp.Diff(want[1:], mustGet(t, s, m).Reactions); d != "" {
		t.Errorf("reactions after the last 🎉 went (-want +got):\n%s", d)
	}
	missing := m
	missing.ID = 987654
	_, _, err := s.Messages.React(ctx, reactionOf(missing, bob, "👍", true, at(21)), message.ReactionsMax)
	wantCode(t, "React(missing)", err, domain.NotFound, "message_not_found")
	inOther := m
	inOther.RoomID = other.ID
	_, _, err = s.Messages.React(ctx, reactionOf(inOther, bob, "👍", true, at(21)), message.ReactionsMax)
	wantCode(t, "React(a message of another room)", err, domain.NotFound, "message_not_found")
}

func testReactionsBounded(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	m := mustAppend(t, s, newMessage(t, r.ID, alice, "few emoji", ""))
	react := func(who user.User, emoji string, add bool) (bool, error) {
		_, changed, err := s.Messages.React(ctx, reactionOf(m, who, emoji, add, base), 2)
		return changed, err
	}
	for _, e := range []string{"👍", "🎉"} {
		if changed, err := react(alice, e, true); err != nil || !changed {
			t.Fatalf("React(%s) = %v, %v", e, changed, err)
		}
	}
	_, err := react(alice, "❤️", true)
	wantCode(t, "React(a 3rd distinct emoji, max 2)", err, domain.Conflict, "too_many_reactions")
	if last := mustLastSeq(t, s, r.ID); last != 3 {
		t.Errorf("last seq after a refused reaction = %d, want 3", last)
	}
	if changed, err := react(bob, "👍", true); err != nil || !changed {
		t.Errorf("React(an emoji already there, at max) = %v, %v; want added", changed, err)
	}
	if changed, err := react(alice, "🎉", false); err != nil || !changed {
		t.Fatalf("React(remove 🎉) = %v, %v", changed, err)
	}
	if changed, err := react(alice, "❤️", true); err != nil || !changed {
		t.Errorf("React(❤️ once there is room) = %v, %v; want added", changed, err)
	}

	// Count is exact; the ids listed stop at ReactorsShown.
	busy := mustAppend(t, s, newMessage(t, r.ID, alice, "popular", ""))
	var ids []user.ID
	for i := range message.ReactorsShown + 1 {
		u := mustUser(t, s, fmt.Sprintf("fan%03d", i))
		ids = append(ids, u.ID)
		mustReact(t, s, busy, u, "👀", true, base)
	}
	want := []message.Reaction{{Emoji: "👀", Count: message.ReactorsShown + 1, UserIDs: ids[:message.ReactorsShown]}}
	if d := cmp.Diff(want, mustGet(t, s, busy).Reactions); d != "" {
		t.Errorf("reactions of a popular message (-want +got):\n%s", d)
	}
}

func testReplies(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	long := strings.Repeat("long words ", 30)
	parent := mustAppend(t, s, newMessage(t, r.ID, alice, long, ""))
	elsewhere := mustAppend(t, s, newMessage(t, other.ID, alice, "elsewhere", ""))

	rp := newMessage(t, r.ID, bob, "a reply", "r1")
	rp.ReplyTo = &message.Quote{ID: parent.ID}
	reply := mustAppend(t, s, rp)
	quote := &message.Quote{ID: parent.ID, Seq: parent.Seq, UserID: alice.ID, Username: "alice", Content: message.Cut(parent.Content)}
	if d := cmp.Diff(quote, reply.ReplyTo); d != "" {
		t.Errorf("Append: the quote (-want +got):\n%s", d)
	}
	if d := cmp.Diff(reply, mustGet(t, s, reply)); d != "" {
		t.Errorf("Get(reply) (-want +got):\n%s", d)
	}
	again, created, err := s.Messages.Append(ctx, rp)
	if err != nil || created || !cmp.Equal(reply, again) {
		t.Errorf("retry of a reply = %+v, created %v, %v; want the stored one", again, created, err)
	}
	for _, tc := range []struct {
		name string
		to   message.ID
	}{
		{"a message of another room", elsewhere.ID},
		{"a missing message", 987654},
	} {
		m := newMessage(t, r.ID, bob, "lost reply", "")
		m.ReplyTo = &message.Quote{ID: tc.to}
		_, created, err := s.Messages.Append(ctx, m)
		wantCode(t, "Append(reply to "+tc.name+")", err, domain.NotFound, "message_not_found")
		if created {
			t.Errorf("Append(reply to %s): created", tc.name)
		}
	}
	if last := mustLastSeq(t, s, r.ID); last != 2 {
		t.Errorf("last seq after refused replies = %d, want 2", last)
	}
	// The quote follows its parent.
	mustEdit(t, s, parent, alice, "short now", nil, at(1))
	quote.Content = "short now"
	if d := cmp.Diff(quote, mustGet(t, s, reply).ReplyTo); d != "" {
		t.Errorf("quote after the parent's edit (-want +got):\n%s", d)
	}
	page, err := s.Messages.After(ctx, r.ID, 1, 10)
	if err != nil || len(page) != 1 || !cmp.Equal(quote, page[0].ReplyTo) {
		t.Errorf("After = %+v, %v; want the reply quoting %+v", page, err, quote)
	}
}

func testAppendFiles(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	other := mustRoom(t, s, alice.ID, "other", false)
	mine1 := mustFile(t, s, r.ID, alice, "one.txt")
	mine2 := mustFile(t, s, r.ID, alice, "two.txt")
	bobs := mustFile(t, s, r.ID, bob, "bobs.txt")
	away := mustFile(t, s, other.ID, alice, "away.txt")
	for _, tc := range []struct {
		name  string
		files []attachment.Attachment
	}{
		{"another user's file", fileRefs(mine1, bobs)},
		{"a file of another room", fileRefs(mine1, away)},
		{"a missing file", append(fileRefs(mine1), attachment.Attachment{ID: 987654})},
	} {
		m := newMessage(t, r.ID, alice, "files", "")
		m.Files = tc.files
		_, created, err := s.Messages.Append(ctx, m)
		wantCode(t, "Append("+tc.name+")", err, domain.NotFound, "file_not_found")
		if created {
			t.Errorf("Append(%s): created", tc.name)
		}
	}
	if last := mustLastSeq(t, s, r.ID); last != 0 {
		t.Errorf("last seq after refused appends = %d, want 0", last)
	}
	m := newMessage(t, r.ID, alice, "files", "f1")
	m.Files = fileRefs(mine2, mine1)
	stored := mustAppend(t, s, m)
	if d := cmp.Diff([]attachment.Attachment{mine1, mine2}, stored.Files); d != "" {
		t.Errorf("Append: files (-want +got):\n%s", d)
	}
	again, created, err := s.Messages.Append(ctx, m)
	if err != nil || created || !cmp.Equal(stored, again) {
		t.Errorf("retry with files = %+v, created %v, %v; want the stored one", again, created, err)
	}
	// A file is in one message at most.
	m2 := newMessage(t, r.ID, alice, "the same file again", "")
	m2.Files = fileRefs(mine1)
	_, _, err = s.Messages.Append(ctx, m2)
	wantCode(t, "Append(a file already sent)", err, domain.NotFound, "file_not_found")
	page, err := s.Messages.Before(ctx, r.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]message.Message{stored}, page); d != "" {
		t.Errorf("Before (-want +got):\n%s", d)
	}
	// The files stay attachments of the room: its delete returns them all.
	keys, err := s.Rooms.Delete(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{mine1.BlobKey, mine2.BlobKey, bobs.BlobKey}
	slices.Sort(wantKeys)
	if d := cmp.Diff(wantKeys, keys); d != "" {
		t.Errorf("Rooms.Delete keys (-want +got):\n%s", d)
	}
}

func testMentions(t *testing.T, s StoreSet) {
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
	send := func(from user.User, text string, mentions ...user.ID) message.Message {
		m := newMessage(t, r.ID, from, text, "")
		m.Mentions = mentions
		return mustAppend(t, s, m)
	}
	m1 := send(alice, "hi @bob @carol", bob.ID, carol.ID)
	m2 := send(bob, "hi @alice, says @bob", alice.ID, bob.ID)
	m3 := send(carol, "@bob!", bob.ID)
	if d := cmp.Diff([]user.ID{alice.ID, bob.ID}, mustGet(t, s, m2).Mentions); d != "" {
		t.Errorf("Get: mentions (-want +got):\n%s", d)
	}
	standings := func(when string, want map[user.ID]room.Standing) {
		t.Helper()
		for u, st := range want {
			if d := cmp.Diff(map[room.ID]room.Standing{r.ID: st}, mustStandings(t, s, u)); d != "" {
				t.Errorf("%s: Standings(user %d) (-want +got):\n%s", when, u, d)
			}
			listed, err := s.Rooms.Visible(ctx, u)
			if err != nil || len(listed) != 1 || !cmp.Equal(st, listed[0].Standing) {
				t.Errorf("%s: Visible(user %d) = %+v, %v; want standing %+v", when, u, listed, err, st)
			}
		}
	}
	// Nobody counts a mention in their own message.
	standings("three messages", map[user.ID]room.Standing{
		alice.ID: {LastSeq: 3, Unread: 2, Mentions: 1},
		bob.ID:   {LastSeq: 3, Unread: 2, Mentions: 2},
		carol.ID: {LastSeq: 3, Unread: 2, Mentions: 1},
	})
	st, _ := mustMarkRead(t, s, r.ID, bob.ID, 1)
	if d := cmp.Diff(room.Standing{LastSeq: 3, LastReadSeq: 1, Unread: 1, Mentions: 1}, st); d != "" {
		t.Errorf("MarkRead(bob, 1) (-want +got):\n%s", d)
	}
	mustReact(t, s, m3, alice, "👍", true, at(1))        // 4
	mustEdit(t, s, m3, carol, "no mention", nil, at(2)) // 5
	mustDelete(t, s, m1, alice, at(3))                  // 6
	standings("after a reaction, an edit and a delete", map[user.ID]room.Standing{
		alice.ID: {LastSeq: 6, Unread: 2, Mentions: 1},
		bob.ID:   {LastSeq: 6, LastReadSeq: 1, Unread: 1},
		carol.ID: {LastSeq: 6, Unread: 2},
	})
	// The pointer may rest on a change's seq.
	st, moved := mustMarkRead(t, s, r.ID, alice.ID, 99)
	if d := cmp.Diff(room.Standing{LastSeq: 6, LastReadSeq: 6}, st); d != "" || !moved {
		t.Errorf("MarkRead(alice, past the end) moved %v (-want +got):\n%s", moved, d)
	}
	st, _ = mustMarkRead(t, s, r.ID, carol.ID, 5)
	if d := cmp.Diff(room.Standing{LastSeq: 6, LastReadSeq: 5}, st); d != "" {
		t.Errorf("MarkRead(carol, onto an edit) (-want +got):\n%s", d)
	}
}

func scheduledAt(r room.ID, u user.User, content string, sendAt time.Time) message.Scheduled {
	return message.Scheduled{RoomID: r, UserID: u.ID, Content: content, SendAt: sendAt, CreatedAt: base}
}

func sendJob(s message.Scheduled) ports.Job {
	return ports.Job{Kind: ports.JobSend, Scheduled: s.ID, RunAt: s.SendAt}
}

func mustSchedule(t *testing.T, s StoreSet, sc message.Scheduled, max int) message.Scheduled {
	t.Helper()
	got, err := s.Scheduled.Create(ctxOf(t), sc, max)
	if err != nil {
		t.Fatalf("Scheduled.Create(%q): %v", sc.Content, err)
	}
	return got
}

func mustScheduledList(t *testing.T, s StoreSet, u user.ID) []message.Scheduled {
	t.Helper()
	got, err := s.Scheduled.List(ctxOf(t), u)
	if err != nil {
		t.Fatalf("Scheduled.List(%d): %v", u, err)
	}
	return got
}

func testScheduled(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	parent := mustAppend(t, s, newMessage(t, r.ID, alice, "parent", ""))
	jobsOf(t, s)

	want1 := scheduledAt(r.ID, alice, "later", base.Add(time.Hour))
	s1 := mustSchedule(t, s, want1, 10)
	if s1.ID == 0 {
		t.Fatal("Create returned id 0")
	}
	want1.ID = s1.ID
	if d := cmp.Diff(want1, s1); d != "" {
		t.Errorf("Create (-want +got):\n%s", d)
	}
	want2 := scheduledAt(r.ID, alice, "sooner", base.Add(30*time.Minute))
	want2.ReplyTo = parent.ID
	s2 := mustSchedule(t, s, want2, 10)
	want2.ID = s2.ID
	s3 := mustSchedule(t, s, scheduledAt(r.ID, bob, "bob's", base.Add(time.Hour)), 10)
	if d := cmp.Diff([]ports.Job{sendJob(s1), sendJob(s2), sendJob(s3)}, jobsOf(t, s)); d != "" {
		t.Errorf("jobs of Create (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]message.Scheduled{want2, want1}, mustScheduledList(t, s, alice.ID)); d != "" {
		t.Errorf("List(alice), by send_at (-want +got):\n%s", d)
	}
	if got, err := s.Scheduled.ByID(ctx, s1.ID); err != nil || !cmp.Equal(want1, got) {
		t.Errorf("ByID = %+v, %v; want %+v", got, err, want1)
	}

	// The text alone: no new job. Only Content and SendAt are written.
	got, err := s.Scheduled.Update(ctx, alice.ID, s1.ID, func(cur *message.Scheduled) error {
		if d := cmp.Diff(want1, *cur); d != "" {
			t.Errorf("change got (-want +got):\n%s", d)
		}
		cur.Content, cur.RoomID, cur.UserID, cur.ReplyTo = "later, reworded", 987654, bob.ID, 987654
		return nil
	})
	want1.Content = "later, reworded"
	if err != nil || !cmp.Equal(want1, got) {
		t.Errorf("Update(text) = %+v, %v; want %+v", got, err, want1)
	}
	if jobs := jobsOf(t, s); len(jobs) != 0 {
		t.Errorf("jobs of a text change = %v, want none", jobs)
	}
	// A new time: a new job.
	got, err = s.Scheduled.Update(ctx, alice.ID, s1.ID, func(cur *message.Scheduled) error {
		cur.SendAt = base.Add(2 * time.Hour)
		return nil
	})
	want1.SendAt = base.Add(2 * time.Hour)
	if err != nil || !cmp.Equal(want1, got) {
		t.Errorf("Update(send_at) = %+v, %v; want %+v", got, err, want1)
	}
	if d := cmp.Diff([]ports.Job{sendJob(want1)}, jobsOf(t, s)); d != "" {
		t.Errorf("jobs of a new time (-want +got):\n%s", d)
	}
	if got, err := s.Scheduled.ByID(ctx, s1.ID); err != nil || !cmp.Equal(want1, got) {
		t.Errorf("ByID after updates = %+v, %v; want %+v", got, err, want1)
	}
	// Refusals write nothing.
	refusal := domain.Errorf(domain.Invalid, "invalid_send_at", "no")
	_, err = s.Scheduled.Update(ctx, alice.ID, s1.ID, func(cur *message.Scheduled) error {
		cur.Content, cur.SendAt = "half done", base.Add(3*time.Hour)
		return refusal
	})
	if err != refusal {
		t.Errorf("Update with a refusing change: err = %v, want the change's error", err)
	}
	called := false
	_, err = s.Scheduled.Update(ctx, bob.ID, s1.ID, func(*message.Scheduled) error { called = true; return nil })
	wantCode(t, "Update(another user's)", err, domain.NotFound, "scheduled_not_found")
	_, err = s.Scheduled.Update(ctx, alice.ID, 987654, func(*message.Scheduled) error { called = true; return nil })
	wantCode(t, "Update(missing)", err, domain.NotFound, "scheduled_not_found")
	if called {
		t.Error("Update called change for a message it does not hold")
	}
	if got, err := s.Scheduled.ByID(ctx, s1.ID); err != nil || !cmp.Equal(want1, got) {
		t.Errorf("ByID after refused updates = %+v, %v; want %+v", got, err, want1)
	}
	if jobs := jobsOf(t, s); len(jobs) != 0 {
		t.Errorf("jobs of refused updates = %v, want none", jobs)
	}

	for _, step := range []struct {
		name string
		u    user.ID
		id   message.ScheduledID
		want bool
	}{
		{"another user's", bob.ID, s1.ID, false},
		{"the author's", alice.ID, s1.ID, true},
		{"again", alice.ID, s1.ID, false},
		{"by delivery (u 0)", 0, s3.ID, true},
		{"missing", 0, 987654, false},
	} {
		if ok, err := s.Scheduled.Delete(ctx, step.u, step.id); err != nil || ok != step.want {
			t.Errorf("Delete(%s) = %v, %v; want %v", step.name, ok, err, step.want)
		}
	}
	_, err = s.Scheduled.ByID(ctx, s1.ID)
	wantCode(t, "ByID(deleted)", err, domain.NotFound, "scheduled_not_found")
	if d := cmp.Diff([]message.Scheduled{want2}, mustScheduledList(t, s, alice.ID)); d != "" {
		t.Errorf("List(alice) after the deletes (-want +got):\n%s", d)
	}
	if got := mustScheduledList(t, s, bob.ID); len(got) != 0 {
		t.Errorf("List(bob) = %v, want none", got)
	}

	_, err = s.Scheduled.Create(ctx, scheduledAt(987654, alice, "nowhere", base.Add(time.Hour)), 10)
	wantKind(t, "Create(missing room)", err, domain.NotFound)
	_, err = s.Scheduled.Create(ctx, scheduledAt(r.ID, user.User{ID: 987654}, "nobody", base.Add(time.Hour)), 10)
	wantKind(t, "Create(missing user)", err, domain.NotFound)
	if jobs := jobsOf(t, s); len(jobs) != 0 {
		t.Errorf("jobs of refused creates = %v, want none", jobs)
	}
	// They go with their room.
	if _, err := s.Rooms.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustScheduledList(t, s, alice.ID); len(got) != 0 {
		t.Errorf("List(alice) after the room was deleted = %v, want none", got)
	}
}

func testScheduledBounded(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	first := mustSchedule(t, s, scheduledAt(r.ID, alice, "one", base.Add(time.Hour)), 2)
	mustSchedule(t, s, scheduledAt(r.ID, alice, "two", base.Add(time.Hour)), 2)
	jobsOf(t, s)
	_, err := s.Scheduled.Create(ctx, scheduledAt(r.ID, alice, "three", base.Add(time.Hour)), 2)
	wantCode(t, "Create(a 3rd, max 2)", err, domain.Conflict, "too_many_scheduled")
	if jobs := jobsOf(t, s); len(jobs) != 0 {
		t.Errorf("jobs of a refused create = %v, want none", jobs)
	}
	if got := mustScheduledList(t, s, alice.ID); len(got) != 2 {
		t.Errorf("List(alice) = %v, want 2", got)
	}
	mustSchedule(t, s, scheduledAt(r.ID, bob, "bob's own", base.Add(time.Hour)), 2)
	if ok, err := s.Scheduled.Delete(ctx, alice.ID, first.ID); err != nil || !ok {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	mustSchedule(t, s, scheduledAt(r.ID, alice, "three, now", base.Add(time.Hour)), 2)
}

// testScheduledErased: an erased account's pending messages go with it.
func testScheduledErased(t *testing.T, s StoreSet) {
	ctx := ctxOf(t)
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	r := mustRoom(t, s, alice.ID, "general", false)
	if _, err := s.Members.Add(ctx, r.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	gone := mustSchedule(t, s, scheduledAt(r.ID, bob, "bob's", base.Add(time.Hour)), 10)
	kept := mustSchedule(t, s, scheduledAt(r.ID, alice, "alice's", base.Add(time.Hour)), 10)
	if err := s.Accounts.Erase(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.Scheduled.ByID(ctx, gone.ID)
	wantCode(t, "ByID(an erased account's)", err, domain.NotFound, "scheduled_not_found")
	if got, err := s.Scheduled.ByID(ctx, kept.ID); err != nil || !cmp.Equal(kept, got) {
		t.Errorf("another user's = %+v, %v", got, err)
	}
}
