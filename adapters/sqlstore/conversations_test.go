package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/adapters/sqlstore"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// convDB is a migrated database with a recording job table, two users
// and a room both belong to.
type convDB struct {
	db         *sqlstore.DB
	jobs       *jobTable
	alice, bob user.User
	room       room.ID
}

func openConvDB(t *testing.T, dialect, dsn string) *convDB {
	t.Helper()
	ctx := context.Background()
	db := open(t, dialect, dsn)
	if err := db.Migrate(ctx, "up"); err != nil {
		t.Fatal(err)
	}
	c := &convDB{db: db, jobs: newJobTable(t, db)}
	for _, u := range []struct {
		into *user.User
		name string
	}{{&c.alice, "alice"}, {&c.bob, "bob"}} {
		name, _ := user.NewUsername(u.name)
		created, err := db.Users().Create(ctx, user.User{Username: name, CreatedAt: time.Now()}, "x")
		if err != nil {
			t.Fatal(err)
		}
		*u.into = created
	}
	r, err := db.Rooms().Create(ctx, room.Room{Name: "talk", OwnerID: c.alice.ID, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	c.room = r.ID
	if _, err := db.Members().Add(ctx, r.ID, c.bob.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *convDB) send(t *testing.T, m *sqlstore.MessageStore, from user.User, text string, files ...attachment.Attachment) message.Message {
	t.Helper()
	msg := message.Message{RoomID: c.room, UserID: from.ID, Username: from.Username.String(), Content: text}
	for _, f := range files {
		msg.Files = append(msg.Files, attachment.Attachment{ID: f.ID})
	}
	got, _, err := m.Append(context.Background(), msg)
	if err != nil {
		t.Fatalf("Append(%q): %v", text, err)
	}
	return got
}

func (c *convDB) file(t *testing.T, key string) attachment.Attachment {
	t.Helper()
	a, err := c.db.Attachments(nil).Create(context.Background(), attachment.Attachment{
		RoomID: c.room, UserID: c.alice.ID, Filename: key, ContentType: "text/plain", Size: 1,
		BlobKey: key, ThumbnailStatus: attachment.ThumbnailNone,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func deletion(m message.Message, by user.User) message.Change {
	return message.Change{Kind: message.Deleted, RoomID: m.RoomID, MessageID: m.ID, UserID: by.ID, Username: by.Username.String(), At: time.Now()}
}

// failAfterInsert inserts the job for real, then fails: the transaction
// must roll back the job with everything else.
type failAfterInsert struct {
	real sqlstore.JobInserter
	err  error
}

func (f failAfterInsert) InsertTx(ctx context.Context, tx *sql.Tx, j ports.Job) error {
	if err := f.real.InsertTx(ctx, tx, j); err != nil {
		return err
	}
	return f.err
}

// TestDeleteAndPurgeJobCommitTogether: a delete whose purge job cannot be
// inserted changes nothing, and a store without an inserter refuses to
// delete a message with files but deletes one without.
func TestDeleteAndPurgeJobCommitTogether(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := openConvDB(t, d.name, d.dsn(t))
			f := c.file(t, "f/aa/one")
			withFile := c.send(t, c.db.MessagesWithJobs(c.jobs), c.alice, "with a file", f)
			plain := c.send(t, c.db.MessagesWithJobs(c.jobs), c.alice, "plain")
			queueDown := domain.Errorf(domain.Unavailable, "", "queue down")
			allow := func(message.Message) error { return nil }
			for _, tc := range []struct {
				name  string
				store *sqlstore.MessageStore
				kind  domain.Kind
			}{
				{"the job fails after inserting", c.db.MessagesWithJobs(failAfterInsert{c.jobs, queueDown}), domain.Unavailable},
				{"no inserter", c.db.Messages(), domain.Internal},
			} {
				_, err := tc.store.Delete(ctx, deletion(withFile, c.alice), allow)
				if k := domain.KindOf(err); err == nil || k != tc.kind {
					t.Errorf("%s: Delete = %v (kind %v), want kind %v", tc.name, err, k, tc.kind)
				}
				if jobs := c.jobs.take(t); len(jobs) != 0 {
					t.Errorf("%s: jobs left behind: %v", tc.name, jobs)
				}
				got, err := c.db.Messages().Get(ctx, c.room, withFile.ID)
				if err != nil || got.Deleted || len(got.Files) != 1 {
					t.Errorf("%s: message after the failed delete = %+v, %v; want it whole", tc.name, got, err)
				}
				if _, err := c.db.Attachments(nil).ByID(ctx, f.ID); err != nil {
					t.Errorf("%s: file row after the failed delete: %v", tc.name, err)
				}
			}
			if last, _ := c.db.Messages().LastSeqs(ctx, []room.ID{c.room}); last[c.room] != 2 {
				t.Errorf("last seq after failed deletes = %d, want 2", last[c.room])
			}
			if _, err := c.db.Messages().Delete(ctx, deletion(plain, c.alice), allow); err != nil {
				t.Errorf("Delete(without files) with no inserter: %v", err)
			}
			if _, err := c.db.MessagesWithJobs(c.jobs).Delete(ctx, deletion(withFile, c.alice), allow); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]ports.Job{{Kind: ports.JobPurge, BlobKeys: []string{"f/aa/one"}}}, c.jobs.take(t)); d != "" {
				t.Errorf("jobs (-want +got):\n%s", d)
			}
		})
	}
}

// TestScheduledRowAndJobCommitTogether: no scheduled message is left
// without its job, nor a job without its row.
func TestScheduledRowAndJobCommitTogether(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := openConvDB(t, d.name, d.dsn(t))
			queueDown := domain.Errorf(domain.Unavailable, "", "queue down")
			sc := message.Scheduled{RoomID: c.room, UserID: c.alice.ID, Content: "later", SendAt: time.Now().Add(time.Hour)}
			for _, tc := range []struct {
				name  string
				store *sqlstore.ScheduledStore
				kind  domain.Kind
			}{
				{"the job fails after inserting", c.db.Scheduled(failAfterInsert{c.jobs, queueDown}), domain.Unavailable},
				{"no inserter", c.db.Scheduled(nil), domain.Internal},
			} {
				_, err := tc.store.Create(ctx, sc, 10)
				if k := domain.KindOf(err); err == nil || k != tc.kind {
					t.Errorf("%s: Create = %v (kind %v), want kind %v", tc.name, err, k, tc.kind)
				}
				if jobs := c.jobs.take(t); len(jobs) != 0 {
					t.Errorf("%s: jobs left behind: %v", tc.name, jobs)
				}
				if list, err := c.db.Scheduled(nil).List(ctx, c.alice.ID); err != nil || len(list) != 0 {
					t.Errorf("%s: rows left behind: %v, %v", tc.name, list, err)
				}
			}
			created, err := c.db.Scheduled(c.jobs).Create(ctx, sc, 10)
			if err != nil {
				t.Fatal(err)
			}
			c.jobs.take(t)
			_, err = c.db.Scheduled(failAfterInsert{c.jobs, queueDown}).Update(ctx, c.alice.ID, created.ID, func(s *message.Scheduled) error {
				s.SendAt = s.SendAt.Add(time.Hour)
				return nil
			})
			if domain.KindOf(err) != domain.Unavailable {
				t.Errorf("Update with a failing job = %v, want Unavailable", err)
			}
			if got, err := c.db.Scheduled(nil).ByID(ctx, created.ID); err != nil || !got.SendAt.Equal(created.SendAt) {
				t.Errorf("row after a failed move = %+v, %v; want the old send_at", got, err)
			}
			if jobs := c.jobs.take(t); len(jobs) != 0 {
				t.Errorf("jobs of a failed move: %v", jobs)
			}
		})
	}
}

// TestStreamUnderConcurrentWriters runs plain appends (group commit),
// appends with mentions (their own transactions), edits and reactions on
// one room at once: the room's stream must come out gap-free, each
// message's ordinal must count the messages before it, and the unread
// counts must agree.
func TestStreamUnderConcurrentWriters(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := openConvDB(t, d.name, d.dsn(t))
			store := c.db.MessagesWithJobs(c.jobs)
			seedMsgs := []message.Message{c.send(t, store, c.alice, "seed one"), c.send(t, store, c.alice, "seed two")}
			const writers, each = 8, 10
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				sent = len(seedMsgs)
			)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						var err error
						switch (w + i) % 4 {
						case 0: // plain
							_, _, err = store.Append(ctx, message.Message{RoomID: c.room, UserID: c.alice.ID, Username: "alice", Content: fmt.Sprintf("w%d m%d", w, i)})
						case 1: // with a mention: its own transaction
							_, _, err = store.Append(ctx, message.Message{RoomID: c.room, UserID: c.alice.ID, Username: "alice",
								Content: fmt.Sprintf("w%d m%d @bob", w, i), Mentions: []user.ID{c.bob.ID}})
						case 2:
							_, err = store.Edit(ctx, message.Change{Kind: message.Edited, RoomID: c.room, MessageID: seedMsgs[i%2].ID,
								UserID: c.alice.ID, Username: "alice", Content: fmt.Sprintf("edit w%d %d", w, i)}, func(message.Message) error { return nil })
						default:
							_, _, err = store.React(ctx, message.Change{Kind: message.ReactionAdded + message.ChangeKind(i%2), RoomID: c.room,
								MessageID: seedMsgs[0].ID, UserID: c.bob.ID, Username: "bob", Emoji: "👍"}, message.ReactionsMax)
						}
						if err != nil {
							t.Errorf("writer %d, op %d: %v", w, i, err)
							continue
						}
						if (w+i)%4 < 2 {
							mu.Lock()
							sent++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			var entries []message.Entry
			for after := int64(0); ; {
				page, err := store.Entries(ctx, c.room, after, 7)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				entries = append(entries, page...)
				after = page[len(page)-1].Seq()
			}
			msgs := 0
			for i, e := range entries {
				if e.Seq() != int64(i+1) {
					t.Fatalf("entry %d has seq %d: the stream has a gap", i, e.Seq())
				}
				if e.Message != nil {
					msgs++
				}
			}
			last, err := store.LastSeqs(ctx, []room.ID{c.room})
			if err != nil || last[c.room] != int64(len(entries)) {
				t.Errorf("last seq = %d, %v; want %d", last[c.room], err, len(entries))
			}
			if msgs != sent {
				t.Errorf("%d messages in the stream, want %d", msgs, sent)
			}
			st, err := c.db.Reads().Standings(ctx, c.bob.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := room.Standing{LastSeq: int64(len(entries)), Unread: int64(sent), Mentions: int64(writers * each / 4)}
			if d := cmp.Diff(want, st[c.room]); d != "" {
				t.Errorf("bob's standing (-want +got):\n%s", d)
			}
			// Read halfway: the ordinals of the messages before the pointer
			// count them exactly.
			half := int64(len(entries) / 2)
			before := 0
			for _, e := range entries[:half] {
				if e.Message != nil {
					before++
				}
			}
			got, _, err := c.db.Reads().MarkRead(ctx, c.room, c.bob.ID, half)
			if err != nil || got.Unread != int64(sent-before) {
				t.Errorf("MarkRead(%d) = %+v, %v; want unread %d", half, got, err, sent-before)
			}
		})
	}
}
