package application_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"chat/adapters/memory"
	"chat/application"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// convFixture is the application on memory stores with a clock the test
// moves and the jobs the stores queue recorded.
type convFixture struct {
	*fixture
	clock *filesClock
	jobs  *memory.JobQueue
}

func newConvFixture(t *testing.T) *convFixture {
	t.Helper()
	st := memory.NewStores()
	q := &memory.JobQueue{}
	d := memoryDeps(t, st)
	st.Attachments(q) // the queue of the stores' purge jobs
	d.Scheduled = st.Scheduled(q)
	clock := &filesClock{now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	d.Clock = clock
	return &convFixture{fixture: &fixture{App: mustNew(t, d), bus: d.Bus, t: t}, clock: clock, jobs: q}
}

func (f *convFixture) send(u user.ID, r room.ID, text string) message.Message {
	f.t.Helper()
	m, err := f.Messages.Send(context.Background(), u, r, text, "")
	if err != nil {
		f.t.Fatalf("send %q: %v", text, err)
	}
	return m
}

// nextChange waits for the next MessageChanged among a room's events.
func nextChange(t *testing.T, next func() ports.Event) message.Change {
	t.Helper()
	for {
		if c, ok := next().Payload.(ports.MessageChanged); ok {
			return c.Change
		}
	}
}

// Who may do what to a message: members read, react and reply; only the
// author edits; the author or the room's owner deletes; outsiders of a
// public room are refused (Forbidden), of a private one told nothing
// (NotFound), and a removed member is an outsider.
func TestMessageAuthorizationMatrix(t *testing.T) {
	ctx := context.Background()
	for _, private := range []bool{false, true} {
		t.Run(fmt.Sprintf("private=%v", private), func(t *testing.T) {
			f := newConvFixture(t)
			owner, author, member, outsider, removed := f.register("owner"), f.register("author"), f.register("member"), f.register("outsider"), f.register("removed")
			r := f.room(owner.ID, "matrix", private)
			for _, u := range []user.User{author, member, removed} {
				if _, err := f.Rooms.AddMember(ctx, owner.ID, r.ID, u.ID); err != nil {
					t.Fatal(err)
				}
			}
			m := f.send(author.ID, r.ID, "hello")
			if err := f.Rooms.RemoveMember(ctx, owner.ID, r.ID, removed.ID); err != nil {
				t.Fatal(err)
			}
			outsiderKind := domain.Forbidden
			if private {
				outsiderKind = domain.NotFound
			}
			ops := map[string]func(u user.ID) error{
				"get":      func(u user.ID) error { _, err := f.Messages.Get(ctx, u, r.ID, m.ID); return err },
				"versions": func(u user.ID) error { _, err := f.Messages.Versions(ctx, u, r.ID, m.ID); return err },
				"entries":  func(u user.ID) error { _, err := f.Messages.Entries(ctx, u, r.ID, 0, 10); return err },
				"react":    func(u user.ID) error { _, _, err := f.Messages.React(ctx, u, r.ID, m.ID, "👍", true); return err },
				"unreact":  func(u user.ID) error { _, _, err := f.Messages.React(ctx, u, r.ID, m.ID, "👍", false); return err },
				"reply": func(u user.ID) error {
					_, _, _, err := f.Messages.Compose(ctx, u, r.ID, message.Draft{Content: "re", ReplyTo: m.ID})
					return err
				},
				"schedule": func(u user.ID) error {
					_, _, _, err := f.Messages.Compose(ctx, u, r.ID, message.Draft{Content: "later", SendAt: f.clock.Now().Add(time.Hour)})
					return err
				},
				"edit":   func(u user.ID) error { _, err := f.Messages.Edit(ctx, u, r.ID, m.ID, "changed"); return err },
				"delete": func(u user.ID) error { _, err := f.Messages.Delete(ctx, u, r.ID, m.ID); return err },
			}
			type want struct {
				kind domain.Kind
				code string
			}
			ok := want{}
			matrix := map[string]map[string]want{
				"member": {"get": ok, "versions": ok, "entries": ok, "react": ok, "unreact": ok, "reply": ok, "schedule": ok,
					"edit": {domain.Forbidden, "not_author"}, "delete": {domain.Forbidden, "not_allowed"}},
				"owner": {"get": ok, "edit": {domain.Forbidden, "not_author"}},
			}
			for _, who := range []struct {
				name string
				u    user.ID
			}{{"outsider", outsider.ID}, {"removed", removed.ID}} {
				matrix[who.name] = map[string]want{}
				for op := range ops {
					matrix[who.name][op] = want{outsiderKind, ""}
				}
			}
			ids := map[string]user.ID{"member": member.ID, "owner": owner.ID, "outsider": outsider.ID, "removed": removed.ID}
			for who, row := range matrix {
				for op, w := range row {
					t.Run(who+"/"+op, func(t *testing.T) {
						err := ops[op](ids[who])
						if w.kind == 0 {
							if err != nil {
								t.Fatalf("%s %s: %v, want allowed", who, op, err)
							}
							return
						}
						wantKind(t, err, w.kind, w.code)
					})
				}
			}
			// The author edits; the owner deletes someone else's message.
			if _, err := f.Messages.Edit(ctx, author.ID, r.ID, m.ID, "edited"); err != nil {
				t.Fatalf("author edit: %v", err)
			}
			if _, err := f.Messages.Delete(ctx, owner.ID, r.ID, m.ID); err != nil {
				t.Fatalf("owner delete: %v", err)
			}
			_, err := f.Messages.Edit(ctx, author.ID, r.ID, m.ID, "again")
			wantKind(t, err, domain.Conflict, "message_deleted")
			got, err := f.Messages.Get(ctx, member.ID, r.ID, m.ID)
			if err != nil || !got.Deleted || got.Content != "" {
				t.Fatalf("deleted message reads %+v, %v; want a tombstone", got, err)
			}
		})
	}
}

// Every change takes the room's next seq and is published with it, after
// the message it changes; a repeated reaction changes nothing and takes
// no seq.
func TestChangesTakeTheRoomsNextSeq(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	a, b := f.register("alice"), f.register("bob")
	r := f.room(a.ID, "seqs", false)
	if err := f.Rooms.Join(ctx, b.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	next := f.events(r.ID)
	m := f.send(a.ID, r.ID, "one")
	edit, err := f.Messages.Edit(ctx, a.ID, r.ID, m.ID, "one, edited")
	if err != nil {
		t.Fatal(err)
	}
	react, changed, err := f.Messages.React(ctx, b.ID, r.ID, m.ID, "🎉", true)
	if err != nil || !changed {
		t.Fatalf("react = %v, %v", changed, err)
	}
	if _, changed, err := f.Messages.React(ctx, b.ID, r.ID, m.ID, "🎉", true); err != nil || changed {
		t.Fatalf("repeated react changed=%v err=%v, want no change", changed, err)
	}
	del, err := f.Messages.Delete(ctx, a.ID, r.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int64{m.Seq, edit.Seq, react.Seq, del.Seq}; !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("seqs %v, want 1 2 3 4", got)
	}
	if react.Count != 1 || react.Emoji != "🎉" || react.UserID != b.ID {
		t.Errorf("reaction change %+v", react)
	}
	var seqs []int64
	for len(seqs) < 4 {
		e := next()
		if e.Sequenced() {
			seqs = append(seqs, e.Seq())
		}
	}
	if !slices.Equal(seqs, []int64{1, 2, 3, 4}) {
		t.Errorf("published seqs %v, want 1 2 3 4 (the repeat published nothing)", seqs)
	}
	entries, err := f.Messages.Entries(ctx, b.ID, r.ID, 0, 10)
	if err != nil || len(entries) != 4 {
		t.Fatalf("entries = %d, %v", len(entries), err)
	}
	if e := entries[1].Change; e == nil || e.Kind != message.Edited || e.Content != "" {
		t.Errorf("replayed edit of a deleted message %+v, want no text", e)
	}
}

func TestEditWindowAndVersions(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	a := f.register("alice")
	r := f.room(a.ID, "window", false)
	w := 10 * time.Minute
	if _, err := f.Rooms.Update(ctx, a.ID, r.ID, room.Patch{EditWindow: &w}); err != nil {
		t.Fatal(err)
	}
	m := f.send(a.ID, r.ID, "v1")
	f.clock.advance(time.Minute)
	if _, err := f.Messages.Edit(ctx, a.ID, r.ID, m.ID, "v2"); err != nil {
		t.Fatal(err)
	}
	vs, err := f.Messages.Versions(ctx, a.ID, r.ID, m.ID)
	if err != nil || len(vs) != 1 || vs[0].Content != "v1" {
		t.Fatalf("versions = %+v, %v; want [v1]", vs, err)
	}
	f.clock.advance(w)
	_, err = f.Messages.Edit(ctx, a.ID, r.ID, m.ID, "v3")
	wantKind(t, err, domain.Forbidden, "edit_window_closed")
	bad := room.EditWindowMax + time.Second
	_, err = f.Rooms.Update(ctx, a.ID, r.ID, room.Patch{EditWindow: &bad})
	wantKind(t, err, domain.Invalid, "invalid_edit_window")
}

// @names become mentions of members only, never of the author; an edit
// resolves them again.
func TestMentionsResolveToMembers(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	a, b, c := f.register("alice"), f.register("bob"), f.register("carol")
	r := f.room(a.ID, "mentions", false)
	if err := f.Rooms.Join(ctx, b.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	m := f.send(a.ID, r.ID, "hi @Bob and @carol and @alice and @nobody, mail bob@example.com")
	if !slices.Equal(m.Mentions, []user.ID{b.ID}) {
		t.Errorf("mentions %v, want only bob (%d): carol is no member, alice the author", m.Mentions, b.ID)
	}
	if err := f.Rooms.Join(ctx, c.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	ch, err := f.Messages.Edit(ctx, a.ID, r.ID, m.ID, "@carol only")
	if err != nil || !slices.Equal(ch.Mentions, []user.ID{c.ID}) {
		t.Fatalf("edit mentions %v, %v; want carol", ch.Mentions, err)
	}
	rooms, err := f.Rooms.List(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rooms {
		if l.ID == r.ID && l.Standing.Mentions != 1 {
			t.Errorf("carol's mention count %d, want 1", l.Standing.Mentions)
		}
	}
}

func TestReplyQuotesItsParent(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	a := f.register("alice")
	r := f.room(a.ID, "replies", false)
	other := f.room(a.ID, "other", false)
	parent := f.send(a.ID, r.ID, "the question")
	m, _, _, err := f.Messages.Compose(ctx, a.ID, r.ID, message.Draft{Content: "the answer", ReplyTo: parent.ID})
	if err != nil || m.ReplyTo == nil || m.ReplyTo.Content != "the question" || m.ReplyTo.ID != parent.ID {
		t.Fatalf("reply = %+v, %v", m.ReplyTo, err)
	}
	_, _, _, err = f.Messages.Compose(ctx, a.ID, other.ID, message.Draft{Content: "elsewhere", ReplyTo: parent.ID})
	wantKind(t, err, domain.NotFound, "message_not_found")
	if _, err := f.Messages.Delete(ctx, a.ID, r.ID, parent.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.Messages.Get(ctx, a.ID, r.ID, m.ID)
	if err != nil || got.ReplyTo == nil || !got.ReplyTo.Deleted || got.ReplyTo.Content != "" {
		t.Fatalf("reply to a deleted message quotes %+v, %v; want a tombstone", got.ReplyTo, err)
	}
}

// The direct conversation of two people is one room, whoever opens it and
// however many open it at once; its people are fixed.
func TestDirectConversations(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	a, b, c := f.register("alice"), f.register("bob"), f.register("carol")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[room.ID]int{}
		created int
	)
	for i := range 20 {
		wg.Go(func() {
			opener, other := a, b
			if i%2 == 1 {
				opener, other = b, a
			}
			l, made, err := f.Rooms.OpenDirect(ctx, opener.ID, nil, []string{other.Username.String()})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[l.ID]++
			if made {
				created++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Fatalf("20 opens made rooms %v, created %d times; want one room created once", ids, created)
	}
	var dm room.ID
	for id := range ids {
		dm = id
	}
	r, err := f.Rooms.Get(ctx, a.ID, dm)
	if err != nil || r.Kind != room.Direct || !r.IsPrivate || r.Name != "alice, bob" {
		t.Fatalf("dm = %+v, %v", r, err)
	}
	// Outsiders see nothing; nobody joins, leaves, adds, invites or changes it.
	wantKind(t, f.Rooms.Join(ctx, c.ID, dm), domain.NotFound, "room_not_found")
	wantKind(t, f.Rooms.Leave(ctx, a.ID, dm), domain.Forbidden, "direct_message")
	_, err = f.Rooms.AddMember(ctx, a.ID, dm, c.ID)
	wantKind(t, err, domain.Forbidden, "direct_message")
	wantKind(t, f.Rooms.RemoveMember(ctx, a.ID, dm, b.ID), domain.Forbidden, "direct_message")
	_, err = f.Invites.Create(ctx, a.ID, dm, 0)
	wantKind(t, err, domain.Forbidden, "direct_message")
	name := "renamed"
	_, err = f.Rooms.Update(ctx, a.ID, dm, room.Patch{Name: &name})
	wantKind(t, err, domain.Forbidden, "direct_message")
	wantKind(t, f.Rooms.Delete(ctx, a.ID, dm), domain.Forbidden, "direct_message")
	// In a conversation only authors delete, the opener included.
	m := f.send(b.ID, dm, "mine")
	_, err = f.Messages.Delete(ctx, a.ID, dm, m.ID)
	wantKind(t, err, domain.Forbidden, "not_allowed")

	// A group is another room; the same people again are the same group.
	g1, made, err := f.Rooms.OpenDirect(ctx, a.ID, []user.ID{b.ID, c.ID}, nil)
	if err != nil || !made || g1.ID == dm {
		t.Fatalf("group = %+v, %v, %v", g1, made, err)
	}
	g2, made, err := f.Rooms.OpenDirect(ctx, c.ID, []user.ID{a.ID}, []string{"bob"})
	if err != nil || made || g2.ID != g1.ID {
		t.Fatalf("group again = %d created=%v %v, want %d", g2.ID, made, err, g1.ID)
	}
	for _, bad := range []struct {
		ids   []user.ID
		names []string
		kind  domain.Kind
		code  string
	}{
		{nil, nil, domain.Invalid, "invalid_dm"},
		{[]user.ID{a.ID}, nil, domain.Invalid, "invalid_dm"}, // only the caller
		{[]user.ID{b.ID}, []string{"bob"}, domain.Invalid, "invalid_dm"},
		{nil, []string{"nobody"}, domain.NotFound, "user_not_found"},
		{[]user.ID{9999}, nil, domain.NotFound, "user_not_found"},
		{make([]user.ID, room.DirectMax), nil, domain.Invalid, "invalid_dm"},
	} {
		_, _, err := f.Rooms.OpenDirect(ctx, a.ID, bad.ids, bad.names)
		wantKind(t, err, bad.kind, bad.code)
	}
}

// A scheduled message waits for its job; the job delivers it once, however
// often it runs; a rescheduled message's old job does nothing.
func TestScheduledMessages(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	a, b := f.register("alice"), f.register("bob")
	r := f.room(a.ID, "later", false)
	now := f.clock.Now()
	for _, bad := range []message.Draft{
		{Content: "past", SendAt: now.Add(-time.Minute)},
		{Content: "too soon", SendAt: now.Add(time.Second)},
		{Content: "too far", SendAt: now.Add(message.ScheduleMax + time.Hour)},
		{Content: "with files", SendAt: now.Add(time.Hour), Files: []attachment.ID{1}},
	} {
		_, _, _, err := f.Messages.Compose(ctx, a.ID, r.ID, bad)
		wantKind(t, err, domain.Invalid, "")
	}
	_, _, sc, err := f.Messages.Compose(ctx, a.ID, r.ID, message.Draft{Content: "good morning", SendAt: now.Add(time.Hour)})
	if err != nil || sc.ID == 0 {
		t.Fatalf("schedule = %+v, %v", sc, err)
	}
	list, err := f.Messages.Scheduled(ctx, a.ID)
	if err != nil || len(list) != 1 || list[0].ID != sc.ID {
		t.Fatalf("pending = %+v, %v", list, err)
	}
	if other, _ := f.Messages.Scheduled(ctx, b.ID); len(other) != 0 {
		t.Errorf("bob sees alice's pending messages: %+v", other)
	}
	_, err = f.Messages.Reschedule(ctx, b.ID, sc.ID, nil, nil)
	wantKind(t, err, domain.NotFound, "scheduled_not_found")
	wantKind(t, f.Messages.Unschedule(ctx, b.ID, sc.ID), domain.NotFound, "scheduled_not_found")

	later := now.Add(2 * time.Hour)
	text := "good morning, later"
	if _, err := f.Messages.Reschedule(ctx, a.ID, sc.ID, &text, &later); err != nil {
		t.Fatal(err)
	}
	next := f.events(r.ID)
	// The first job, for the old time, finds the message moved.
	if err := f.Jobs.DeliverScheduled(ctx, sc.ID, sc.SendAt); err != nil {
		t.Fatal(err)
	}
	for range 3 { // its own job, run three times (a retry after a crash)
		if err := f.Jobs.DeliverScheduled(ctx, sc.ID, later); err != nil {
			t.Fatal(err)
		}
	}
	e := next()
	mc, ok := e.Payload.(ports.MessageCreated)
	if !ok || mc.Message.Content != text || mc.Message.UserID != a.ID || mc.Message.ClientID != fmt.Sprintf("scheduled-%d", sc.ID) {
		t.Fatalf("delivered %+v", e)
	}
	hist, err := f.Messages.History(ctx, a.ID, r.ID, message.Page{})
	if err != nil || len(hist) != 1 {
		t.Fatalf("history has %d messages (%v), want the scheduled one once", len(hist), err)
	}
	if list, _ := f.Messages.Scheduled(ctx, a.ID); len(list) != 0 {
		t.Errorf("still pending after delivery: %+v", list)
	}
	// A pending message of an author who left is dropped, not sent.
	_, _, sc2, err := f.Messages.Compose(ctx, b.ID, r.ID, message.Draft{Content: "x", SendAt: now.Add(time.Hour)})
	if err == nil {
		t.Fatalf("bob (no member) scheduled %+v", sc2)
	}
	if err := f.Rooms.Join(ctx, b.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	_, _, sc2, err = f.Messages.Compose(ctx, b.ID, r.ID, message.Draft{Content: "x", SendAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Rooms.Leave(ctx, b.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.Jobs.DeliverScheduled(ctx, sc2.ID, sc2.SendAt); err != nil {
		t.Fatal(err)
	}
	if hist, _ := f.Messages.History(ctx, a.ID, r.ID, message.Page{}); len(hist) != 1 {
		t.Errorf("a message of an author who left was delivered: %d messages", len(hist))
	}
	if err := f.Messages.Unschedule(ctx, a.ID, sc.ID); domain.KindOf(err) != domain.NotFound {
		t.Errorf("cancelling a delivered message = %v, want NotFound", err)
	}
}

var _ application.MessageJobs = (*application.Messages)(nil)
