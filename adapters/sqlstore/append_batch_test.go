package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/test/services"
)

// testDialects gives a fresh, empty database of each dialect.
var testDialects = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{Postgres, func(t testing.TB) string { return services.Postgres(t) }},
	{SQLite, func(t testing.TB) string { return filepath.Join(t.TempDir(), "chat.db") }},
}

// forEachDialect runs test in parallel on a migrated database of each
// dialect.
func forEachDialect(t *testing.T, test func(t *testing.T, db *DB)) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			db := openMigrated(t, d.name, d.dsn(t))
			defer db.Close()
			test(t, db)
		})
	}
}

// openMigrated opens and migrates a database; the caller closes it.
func openMigrated(t testing.TB, dialect, dsn string) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, dialect, dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", dialect, err)
	}
	if err := db.Migrate(ctx, "up"); err != nil {
		db.Close()
		t.Fatalf("Migrate up: %v", err)
	}
	return db
}

// seed creates users and rooms owned by the first user.
func seed(t testing.TB, db *DB, users, rooms int) ([]user.User, []room.ID) {
	t.Helper()
	ctx := context.Background()
	us := make([]user.User, users)
	for i := range us {
		name, err := user.NewUsername(fmt.Sprintf("user%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if us[i], err = db.Users().Create(ctx, user.User{Username: name}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	rs := make([]room.ID, rooms)
	for i := range rs {
		r, err := db.Rooms().Create(ctx, room.Room{Name: fmt.Sprintf("room %d", i), OwnerID: us[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		rs[i] = r.ID
	}
	return us, rs
}

func newMsg(r room.ID, u user.User, content, clientID string) message.Message {
	return message.Message{
		RoomID: r, UserID: u.ID, Username: u.Username.String(), Content: content, ClientID: clientID,
		CreatedAt: stamp(time.Time{}),
	}
}

// stored returns every message of r, oldest first.
func stored(t *testing.T, db *DB, r room.ID) []message.Message {
	t.Helper()
	var all []message.Message
	for {
		var after int64
		if len(all) > 0 {
			after = all[len(all)-1].Seq
		}
		page, err := db.Messages().After(context.Background(), r, after, message.PageMax)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// checkGapFree checks that r holds seqs 1..n with ids rising with seq, and
// returns its messages.
func checkGapFree(t *testing.T, db *DB, r room.ID) []message.Message {
	t.Helper()
	all := stored(t, db, r)
	for i, m := range all {
		if m.Seq != int64(i+1) {
			t.Fatalf("room %d: message %d has seq %d, want %d", r, i, m.Seq, i+1)
		}
		if i > 0 && m.ID <= all[i-1].ID {
			t.Fatalf("room %d: id %d at seq %d not above %d", r, m.ID, m.Seq, all[i-1].ID)
		}
	}
	return all
}

func TestAppendBatchConcurrentSenders(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		const senders, each = 64, 20
		users, rooms := seed(t, db, senders, 25)
		ctx := context.Background()
		sent := make([][]message.Message, senders)
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for i := range each {
					m := newMsg(rooms[(g*7+i*3)%len(rooms)], users[g], fmt.Sprintf("%d/%d", g, i), fmt.Sprintf("c%d", i))
					got, created, err := db.Messages().Append(ctx, m)
					if err != nil || !created {
						t.Errorf("sender %d message %d: created %v, %v", g, i, created, err)
						return
					}
					sent[g] = append(sent[g], got)
				}
			})
		}
		wg.Wait()
		byID := map[message.ID]message.Message{}
		for g, ms := range sent {
			// Each sender waited for each answer, so its messages
			// committed in its order: ids rise.
			for i, m := range ms {
				if i > 0 && m.ID <= ms[i-1].ID {
					t.Errorf("sender %d: message %d has id %d, not above %d", g, i, m.ID, ms[i-1].ID)
				}
				byID[m.ID] = m
			}
		}
		total := 0
		for _, r := range rooms {
			for _, m := range checkGapFree(t, db, r) {
				total++
				if d := cmp.Diff(byID[m.ID], m); d != "" {
					t.Errorf("stored message differs from the answer (-answer +stored):\n%s", d)
				}
			}
		}
		if total != senders*each {
			t.Errorf("%d messages stored, want %d", total, senders*each)
		}
	})
}

// commitNow runs one batch through the committer as it would run, and
// returns each item's answer.
func commitNow(db *DB, ms []message.Message) []appendResult {
	batch := make([]*appendRequest, len(ms))
	for i, m := range ms {
		batch[i] = db.appends.request(m)
		batch[i].state.Store(taken)
	}
	db.appends.commit(batch)
	out := make([]appendResult, len(batch))
	for i, req := range batch {
		out[i] = <-req.done
	}
	return out
}

func TestAppendBatchMixed(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		us, rs := seed(t, db, 2, 2)
		alice, bob, r1, r2 := us[0], us[1], rs[0], rs[1]
		const nowhere = room.ID(999999)
		ctx := context.Background()
		old, _, err := db.Messages().Append(ctx, newMsg(r1, alice, "stored before", "old"))
		if err != nil {
			t.Fatal(err)
		}

		type want struct {
			created  bool
			room     room.ID
			seq      int64
			content  string
			notFound bool
			reused   bool
		}
		for _, tc := range []struct {
			name  string
			retry bool // item 2 retries a stored key (else it is new)
			ghost bool // adds a message from a user that does not exist
		}{
			{"no stored key: one round trip on postgres", false, false},
			{"a stored key: reads first", true, false},
			{"a sender that does not exist: one by one", true, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				base := int64(len(stored(t, db, r1)))
				base2 := int64(len(stored(t, db, r2)))
				k := func(s string) string { return tc.name + s }
				item2, want2, shift := newMsg(r1, alice, "stored before", "old"), want{room: r1, seq: old.Seq, content: "stored before"}, int64(0)
				if !tc.retry {
					item2, want2, shift = newMsg(r2, bob, "plain in r2", ""), want{created: true, room: r2, seq: base2 + 1, content: "plain in r2"}, 1
				}
				ms := []message.Message{
					newMsg(r1, alice, "plain", ""),
					newMsg(nowhere, alice, "lost", ""),
					item2,
					newMsg(r2, alice, "first with k", k("k")),
					newMsg(r1, bob, "bob's k", k("k")),
					newMsg(r2, alice, "first with k", k("k")),
					newMsg(r1, alice, "alice's k in r1", k("k")),
					newMsg(r2, alice, "other text with k", k("k")),
					newMsg(nowhere, alice, "first with z, lost", k("z")),
					newMsg(nowhere, alice, "first with z, lost", k("z")),
				}
				wants := []want{
					{created: true, room: r1, seq: base + 1, content: "plain"},
					{notFound: true},
					want2,
					{created: true, room: r2, seq: base2 + shift + 1, content: "first with k"},
					{created: true, room: r1, seq: base + 2, content: "bob's k"},
					// The in-batch retry of item 3.
					{room: r2, seq: base2 + shift + 1, content: "first with k"},
					// The key is per room: a new message in r1.
					{created: true, room: r1, seq: base + 3, content: "alice's k in r1"},
					{reused: true},
					{notFound: true},
					// Appended on its own after the batch: its first copy failed.
					{notFound: true},
				}
				if tc.retry {
					ms = append(ms, newMsg(r1, alice, "not what was stored", "old"))
					wants = append(wants, want{reused: true})
				}
				if tc.ghost {
					ghost := user.User{ID: 424242, Username: alice.Username}
					ms = append(ms, newMsg(r1, ghost, "from nobody", ""))
					wants = append(wants, want{notFound: true})
				}
				got := commitNow(db, ms)
				for i, w := range wants {
					g := got[i]
					switch {
					case w.notFound:
						if domain.KindOf(g.err) != domain.NotFound {
							t.Errorf("item %d (%s): err %v, want NotFound", i, ms[i].Content, g.err)
						}
						continue
					case w.reused:
						if domain.KindOf(g.err) != domain.Conflict || domain.CodeOf(g.err) != "client_id_reused" || g.m.ID != 0 {
							t.Errorf("item %d (%s): %+v, %v; want client_id_reused", i, ms[i].Content, g.m, g.err)
						}
						continue
					case g.err != nil:
						t.Errorf("item %d (%s): %v", i, ms[i].Content, g.err)
						continue
					}
					gw := want{created: g.created, room: g.m.RoomID, seq: g.m.Seq, content: g.m.Content}
					if d := cmp.Diff(w, gw, cmp.AllowUnexported(want{})); d != "" {
						t.Errorf("item %d (%s) (-want +got):\n%s", i, ms[i].Content, d)
					}
				}
				if got[5].m.ID != got[3].m.ID {
					t.Errorf("in-batch retry answered with id %d, want the first copy's %d", got[5].m.ID, got[3].m.ID)
				}
				if tc.retry && got[2].m.ID != old.ID {
					t.Errorf("retry answered with id %d, want the stored copy's %d", got[2].m.ID, old.ID)
				}
				for _, r := range rs {
					checkGapFree(t, db, r)
				}
			})
		}
	})
}

// TestAppendAbandonedBeforeTaken: a caller that gives up while its message
// waits in the queue gets its context error, and the message is dropped.
func TestAppendAbandonedBeforeTaken(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		us, rs := seed(t, db, 1, 1)
		// A batcher whose committer starts only once the caller gave up.
		q := make(chan *appendRequest, 1)
		b := &batcher{db: db, queues: []chan *appendRequest{q}}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, _, err := b.append(ctx, newMsg(rs[0], us[0], "never mind", ""))
			errc <- err
		}()
		for len(q) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("Append = %v, want context.Canceled", err)
		}
		b.wg.Go(func() { b.run(q) })
		b.close()
		if got := stored(t, db, rs[0]); len(got) != 0 {
			t.Errorf("abandoned message was stored: %+v", got)
		}
		next, _, err := db.Messages().Append(context.Background(), newMsg(rs[0], us[0], "next", ""))
		if err != nil || next.Seq != 1 {
			t.Errorf("next Append: seq %d, %v; want seq 1", next.Seq, err)
		}
	})
}

// TestCloseWithAppendsInFlight: Close lets the queued appends commit, later
// ones get Unavailable, no goroutine stays, and what was answered is
// exactly what is stored, without gaps.
func TestCloseWithAppendsInFlight(t *testing.T) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			before := goleak.IgnoreCurrent()
			db := openMigrated(t, d.name, dsn)
			users, rooms := seed(t, db, 8, 10)
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				ok      = map[room.ID][]message.Message{}
				total   int
				enough  = make(chan struct{})
				closing sync.Once
			)
			for g := range 64 {
				wg.Go(func() {
					for i := 0; ; i++ {
						m := newMsg(rooms[(g+i)%len(rooms)], users[g%len(users)], fmt.Sprintf("%d/%d", g, i), "")
						got, _, err := db.Messages().Append(context.Background(), m)
						if domain.KindOf(err) == domain.Unavailable {
							return
						}
						if err != nil {
							t.Errorf("Append: %v", err)
							return
						}
						mu.Lock()
						ok[got.RoomID] = append(ok[got.RoomID], got)
						if total++; total == 300 {
							closing.Do(func() { close(enough) })
						}
						mu.Unlock()
					}
				})
			}
			<-enough
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			wg.Wait()
			db.Close() // a second Close is harmless
			goleak.VerifyNone(t, before)

			db = openMigrated(t, d.name, dsn)
			defer db.Close()
			sortBySeq := cmpopts.SortSlices(func(a, b message.Message) bool { return a.Seq < b.Seq })
			for _, r := range rooms {
				got := checkGapFree(t, db, r)
				if d := cmp.Diff(ok[r], got, sortBySeq, cmpopts.EquateEmpty()); d != "" {
					t.Errorf("room %d: answered (-) vs stored (+):\n%s", r, d)
				}
			}
		})
	}
}
