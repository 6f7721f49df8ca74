package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// The newest history page is cached per instance and validated by the
// room's last_seq: an append through another instance (another DB handle
// on the same database) must show on the next read, and an older page
// (before=…) and other limits must stay exact.
func TestNewestPageFollowsAppendsOnAnotherInstance(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := d.dsn(t)
			a := open(t, d.name, dsn)
			if err := a.Migrate(ctx, "up"); err != nil {
				t.Fatal(err)
			}
			b := open(t, d.name, dsn)
			name, _ := user.NewUsername("pager")
			u, err := a.Users().Create(ctx, user.User{Username: name, CreatedAt: time.Now()}, "x")
			if err != nil {
				t.Fatal(err)
			}
			r, err := a.Rooms().Create(ctx, room.Room{Name: "pages", OwnerID: u.ID, CreatedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			empty, err := a.Messages().Before(ctx, r.ID, 0, 3)
			if err != nil || len(empty) != 0 {
				t.Fatalf("empty room: %v, %v", empty, err)
			}
			send := func(db interface {
				Append(context.Context, message.Message) (message.Message, bool, error)
			}, n int) {
				t.Helper()
				if _, _, err := db.Append(ctx, message.Message{RoomID: r.ID, UserID: u.ID, Username: "pager", Content: fmt.Sprint("m", n)}); err != nil {
					t.Fatal(err)
				}
			}
			want := func(limit int, seqs ...int64) {
				t.Helper()
				for range 2 { // the second read is the cached one
					page, err := a.Messages().Before(ctx, r.ID, 0, limit)
					if err != nil {
						t.Fatal(err)
					}
					var got []int64
					for _, m := range page {
						got = append(got, m.Seq)
					}
					if fmt.Sprint(got) != fmt.Sprint(seqs) {
						t.Fatalf("newest %d: seqs %v, want %v", limit, got, seqs)
					}
					page[0].Content = "scribbled by the caller" // must not reach the cache
				}
			}
			for i := range 4 {
				send(a.Messages(), i)
			}
			want(3, 4, 3, 2)
			send(b.Messages(), 5) // the other instance
			want(3, 5, 4, 3)
			want(2, 5, 4)
			send(b.Messages(), 6)
			send(a.Messages(), 7)
			want(3, 7, 6, 5)
			want(2, 7, 6)
			page, _ := a.Messages().Before(ctx, r.ID, 0, 1)
			if page[0].Content != "m7" {
				t.Fatalf("cached page content %q, want m7", page[0].Content)
			}
			older, err := a.Messages().Before(ctx, r.ID, page[0].ID, 2)
			if err != nil || len(older) != 2 || older[0].Seq != 6 || older[1].Seq != 5 {
				t.Fatalf("page before the newest: %+v, %v", older, err)
			}
		})
	}
}

// The cached newest page follows changes made through another instance:
// an edit, a reaction and a delete take seqs, and a thumbnail of a file in
// the page bumps the room's rev.
func TestNewestPageFollowsChangesOnAnotherInstance(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := d.dsn(t)
			c := openConvDB(t, d.name, dsn)
			b := open(t, d.name, dsn)
			f := c.file(t, "f/aa/pic")
			m := c.send(t, c.db.Messages(), c.alice, "first", f)
			newest := func() message.Message {
				t.Helper()
				var page []message.Message
				for range 2 { // the second read is the cached one
					var err error
					if page, err = c.db.Messages().Before(ctx, c.room, 0, 5); err != nil || len(page) != 1 {
						t.Fatalf("newest page = %+v, %v", page, err)
					}
				}
				return page[0]
			}
			newest()
			allow := func(message.Message) error { return nil }
			steps := []struct {
				name  string
				do    func() error
				check func(m message.Message) bool
			}{
				{"thumbnail", func() error {
					return b.Attachments(nil).SetThumbnail(ctx, f.ID, "t/aa/pic", attachment.ThumbnailReady)
				}, func(m message.Message) bool { return len(m.Files) == 1 && m.Files[0].ThumbnailKey == "t/aa/pic" }},
				{"edit", func() error {
					_, err := b.Messages().Edit(ctx, message.Change{RoomID: c.room, MessageID: m.ID, UserID: c.alice.ID, Username: "alice", Content: "edited"}, allow)
					return err
				}, func(m message.Message) bool { return m.Content == "edited" && !m.EditedAt.IsZero() }},
				{"reaction", func() error {
					_, _, err := b.Messages().React(ctx, message.Change{Kind: message.ReactionAdded, RoomID: c.room, MessageID: m.ID, UserID: c.bob.ID, Emoji: "👍"}, 5)
					return err
				}, func(m message.Message) bool { return len(m.Reactions) == 1 && m.Reactions[0].Count == 1 }},
				{"delete", func() error {
					_, err := b.MessagesWithJobs(c.jobs).Delete(ctx, deletion(m, c.alice), allow)
					return err
				}, func(m message.Message) bool {
					return m.Deleted && m.Content == "" && m.Files == nil && m.Reactions == nil
				}},
			}
			for _, step := range steps {
				if err := step.do(); err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				if got := newest(); !step.check(got) {
					t.Errorf("newest page after the %s: %+v", step.name, got)
				}
			}
		})
	}
}
