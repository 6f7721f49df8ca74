package application_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/memory"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

func search(t *testing.T, f *convFixture, u user.ID, text string, r room.ID) ([]message.ID, error) {
	t.Helper()
	q, err := message.NewSearchQuery(text, r, 0, 0)
	if err != nil {
		t.Fatalf("NewSearchQuery(%q): %v", text, err)
	}
	hits, err := f.Messages.Search(context.Background(), u, q)
	var ids []message.ID
	for _, h := range hits {
		ids = append(ids, h.Message.ID)
	}
	return ids, err
}

// Search finds only what the actor may read: the rooms they are a member
// of now, never a message deleted or a text edited away.
func TestSearchAuthorization(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	owner, member, outsider, removed := f.register("owner"), f.register("member"), f.register("outsider"), f.register("removed")
	pub := f.room(owner.ID, "public", false)
	priv := f.room(owner.ID, "private", true)
	for _, r := range []room.ID{pub.ID, priv.ID} {
		for _, u := range []user.ID{member.ID, removed.ID} {
			if _, err := f.Rooms.AddMember(ctx, owner.ID, r, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	mPub := f.send(owner.ID, pub.ID, "the launch plan")
	mPriv := f.send(owner.ID, priv.ID, "the secret launch plan")
	gone := f.send(owner.ID, priv.ID, "launch codes")
	edited := f.send(owner.ID, pub.ID, "launch banana")
	if _, err := f.Messages.Delete(ctx, owner.ID, priv.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Messages.Edit(ctx, owner.ID, pub.ID, edited.ID, "cherry"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []room.ID{pub.ID, priv.ID} {
		if err := f.Rooms.RemoveMember(ctx, owner.ID, r, removed.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		who  string
		u    user.ID
		room room.ID
		want []message.ID
		kind domain.Kind
	}{
		{"member, all rooms", member.ID, 0, []message.ID{mPriv.ID, mPub.ID}, 0},
		{"member, the private room", member.ID, priv.ID, []message.ID{mPriv.ID}, 0},
		{"outsider, all rooms", outsider.ID, 0, nil, 0},
		{"outsider, the public room", outsider.ID, pub.ID, nil, domain.Forbidden},
		{"outsider, the private room", outsider.ID, priv.ID, nil, domain.NotFound},
		{"removed, all rooms", removed.ID, 0, nil, 0},
		{"removed, the private room", removed.ID, priv.ID, nil, domain.NotFound},
		{"anyone, a room that does not exist", member.ID, priv.ID + 100, nil, domain.NotFound},
	} {
		got, err := search(t, f, tc.u, "launch", tc.room)
		if tc.kind != 0 {
			if domain.KindOf(err) != tc.kind || len(got) != 0 {
				t.Errorf("%s: hits %v, err %v; want kind %v and nothing", tc.who, got, err, tc.kind)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.who, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.who, diff)
		}
	}
	if got, _ := search(t, f, member.ID, "banana", 0); len(got) != 0 {
		t.Errorf("text edited away is found: %v", got)
	}
	if got, _ := search(t, f, member.ID, "cherry", 0); !cmp.Equal(got, []message.ID{edited.ID}) {
		t.Errorf("the edited text: %v, want [%d]", got, edited.ID)
	}
}

func TestSearchRefusals(t *testing.T) {
	for _, tc := range []struct {
		text   string
		before message.ID
		limit  int
		code   string
	}{
		{"", 0, 0, "empty_query"},
		{`"" ...`, 0, 0, "empty_query"},
		{string(make([]rune, 201)), 0, 0, "invalid_query"},
		{"a b c d e f g h i", 0, 0, "too_many_terms"},
		{"ok", -1, 0, "invalid_cursor"},
		{"ok", 0, message.SearchPageMax + 1, "invalid_limit"},
		{"\xff", 0, 0, "invalid_query"},
	} {
		_, err := message.NewSearchQuery(tc.text, 0, tc.before, tc.limit)
		var de *domain.Error
		if domain.KindOf(err) != domain.Invalid || !errors.As(err, &de) || de.Code != tc.code {
			t.Errorf("NewSearchQuery(%q, %d, %d) = %v, want Invalid %s", tc.text, tc.before, tc.limit, err, tc.code)
		}
	}
}

// A search is one of a user's rated actions.
func TestSearchRateLimited(t *testing.T) {
	st := memory.NewStores()
	d := memoryDeps(t, st)
	d.Limiter = memory.NewLimiter(nil)
	d.Limits.Search = ports.Rate{Burst: 2, Per: time.Hour}
	f := &fixture{App: mustNew(t, d), bus: d.Bus, t: t}
	u := f.register("searcher")
	q, _ := message.NewSearchQuery("x", 0, 0, 0)
	for i := range 3 {
		_, err := f.Messages.Search(context.Background(), u.ID, q)
		if i < 2 && err != nil || i == 2 && domain.KindOf(err) != domain.TooMany {
			t.Fatalf("search %d: %v", i+1, err)
		}
	}
}

// around= opens a room at a message with the messages around it, newest
// first, like any history page.
func TestHistoryAround(t *testing.T) {
	ctx := context.Background()
	f := newConvFixture(t)
	owner, outsider := f.register("owner"), f.register("outsider")
	r := f.room(owner.ID, "around", true)
	var ms []message.Message
	for i := range 20 {
		ms = append(ms, f.send(owner.ID, r.ID, fmt.Sprintf("m%d", i)))
	}
	seqsOf := func(page []message.Message) []int64 {
		var out []int64
		for _, m := range page {
			out = append(out, m.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		at    int
		limit int
		want  []int64
	}{
		{10, 5, []int64{13, 12, 11, 10, 9}},
		{0, 5, []int64{5, 4, 3, 2, 1}},
		{19, 5, []int64{20, 19, 18, 17, 16}},
		{10, 1, []int64{11}},
	} {
		page, err := f.Messages.History(ctx, owner.ID, r.ID, message.Page{Around: ms[tc.at].ID, Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, seqsOf(page)); diff != "" {
			t.Errorf("around seq %d limit %d (-want +got):\n%s", tc.at+1, tc.limit, diff)
		}
	}
	if _, err := f.Messages.History(ctx, outsider.ID, r.ID, message.Page{Around: ms[3].ID}); domain.KindOf(err) != domain.NotFound {
		t.Errorf("outsider around: %v, want NotFound", err)
	}
	if _, err := f.Messages.History(ctx, owner.ID, r.ID, message.Page{Around: ms[19].ID + 100}); domain.KindOf(err) != domain.NotFound {
		t.Errorf("around a message that is not there: %v, want NotFound", err)
	}
	if _, err := f.Messages.History(ctx, owner.ID, r.ID, message.Page{Around: ms[3].ID, Before: ms[5].ID}); domain.KindOf(err) != domain.Invalid {
		t.Errorf("around with before: %v, want Invalid", err)
	}
}
