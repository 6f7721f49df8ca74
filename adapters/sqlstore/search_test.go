package sqlstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports/porttest"
	"chat/test/services"
)

// TestSearchWalkAndIndex runs the contract of ports.SearchStore with the
// index alone answering (no walk), and with walks of one and three
// messages' worth, so that pages are made of both: the walk's direct
// checks and the index must agree on every query. (With the default walk
// the contract's small corpus is read by the walk alone: TestSearch.)
func TestSearchWalkAndIndex(t *testing.T) {
	for _, d := range testDialects {
		for _, walk := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("%s/walk-%d", d.name, walk), func(t *testing.T) {
				t.Parallel()
				porttest.Search(t, func(t *testing.T) porttest.SearchSet {
					db := openMigrated(t, d.name, d.dsn(t))
					t.Cleanup(func() { db.Close() })
					db.searchWalk = walk
					return porttest.SearchSet{
						StoreSet: porttest.StoreSet{Users: db.Users(), Accounts: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.Messages()},
						Search:   db.Search(),
					}
				})
			})
		}
	}
}

// TestSearchWalkNarrowRooms: rooms that hold few of all messages are
// walked through their own rows (PostgreSQL's fenced window, SQLite's
// walk in Go) and the index asked for the rest below; the pages are the
// same as the index's alone, cursor included.
func TestSearchWalkNarrowRooms(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		us, rs := seed(t, db, 1, 2)
		var want []message.ID
		for i := range 60 {
			if i%12 == 3 { // five of sixty: under a tenth
				m := mustAppendMessage(t, db, newMsg(rs[0], us[0], fmt.Sprintf("quiet room needle %d", i), ""))
				want = append([]message.ID{m.ID}, want...)
				continue
			}
			mustAppendMessage(t, db, newMsg(rs[1], us[0], fmt.Sprintf("busy room needle %d", i), ""))
		}
		search := func(walk int, before message.ID) []message.ID {
			db.searchWalk = walk
			q, err := message.NewSearchQuery("needle", 0, before, 4)
			if err != nil {
				t.Fatal(err)
			}
			hits, err := db.Search().Search(context.Background(), rs[:1], q)
			if err != nil {
				t.Fatal(err)
			}
			var out []message.ID
			for _, h := range hits {
				out = append(out, h.Message.ID)
			}
			return out
		}
		for _, walk := range []int{0, 2, 10} {
			got := search(walk, 0)
			got = append(got, search(walk, got[len(got)-1])...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("walk %d: two pages (-want +got):\n%s", walk, diff)
			}
		}
	})
}

// searchIDs runs a search over rooms and returns the ids of its hits.
func searchIDs(t *testing.T, db *DB, rooms []room.ID, text string) []message.ID {
	t.Helper()
	q, err := message.NewSearchQuery(text, 0, 0, message.SearchPageMax)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := db.Search().Search(context.Background(), rooms, q)
	if err != nil {
		t.Fatalf("Search(%q): %v", text, err)
	}
	var out []message.ID
	for _, h := range hits {
		out = append(out, h.Message.ID)
	}
	return out
}

// indexRows counts the rows of the search index of messages ids.
func indexRows(t *testing.T, db *DB, ids ...message.ID) int {
	t.Helper()
	args := make([]int64, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	col := "rowid"
	if db.dialect == Postgres {
		col = "message_id"
	}
	var n int
	if err := db.read.Raw(`SELECT COUNT(*) FROM message_search WHERE `+col+` IN ?`, args).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func mustEditText(t *testing.T, db *DB, m message.Message, text string) {
	t.Helper()
	c := message.Change{RoomID: m.RoomID, MessageID: m.ID, UserID: m.UserID, Username: m.Username, Content: text}
	if _, err := db.Messages().Edit(context.Background(), c, func(message.Message) error { return nil }); err != nil {
		t.Fatalf("Edit(%d): %v", m.ID, err)
	}
}

func mustDeleteMessage(t *testing.T, db *DB, m message.Message) {
	t.Helper()
	c := message.Change{RoomID: m.RoomID, MessageID: m.ID, UserID: m.UserID, Username: m.Username}
	if _, err := db.Messages().Delete(context.Background(), c, func(message.Message) error { return nil }); err != nil {
		t.Fatalf("Delete(%d): %v", m.ID, err)
	}
}

func mustAppendMessage(t *testing.T, db *DB, m message.Message) message.Message {
	t.Helper()
	got, _, err := db.Messages().Append(context.Background(), m)
	if err != nil {
		t.Fatalf("Append(%q): %v", m.Content, err)
	}
	return got
}

// TestSearchIndexEveryAppendPath: a message is found whichever way it was
// stored — a batch of concurrent appends (PostgreSQL: the one round
// trip), a batch that reads first (a stored key in it), the single
// message path (mentions) — and a retry adds no second row.
func TestSearchIndexEveryAppendPath(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		db.searchWalk = 0 // the index alone answers
		us, rs := seed(t, db, 2, 3)
		alice, bob := us[0], us[1]
		ctx := context.Background()

		var (
			mu   sync.Mutex
			sent = map[string]message.Message{}
			wg   sync.WaitGroup
		)
		for i := range 40 {
			wg.Go(func() {
				word := fmt.Sprintf("batchword%02d", i)
				m, _, err := db.Messages().Append(ctx, newMsg(rs[i%len(rs)], us[i%2], "concurrent "+word, fmt.Sprintf("k%d", i)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				sent[word] = m
				mu.Unlock()
			})
		}
		wg.Wait()
		for word, m := range sent {
			if got := searchIDs(t, db, rs, word); !slices.Equal(got, []message.ID{m.ID}) {
				t.Errorf("search %q = %v, want [%d]", word, got, m.ID)
			}
		}
		if got := searchIDs(t, db, rs, "concurrent"); len(got) != len(sent) {
			t.Errorf("search concurrent: %d hits, want %d", len(got), len(sent))
		}

		// A batch with a stored key reads before it writes.
		first := mustAppendMessage(t, db, newMsg(rs[0], alice, "the first copy of a retried send", "retried"))
		res := commitNow(db, []message.Message{
			newMsg(rs[0], alice, "the first copy of a retried send", "retried"),
			newMsg(rs[1], bob, "a readfirst batch item", ""),
		})
		for _, r := range res {
			if r.err != nil {
				t.Fatal(r.err)
			}
		}
		if got := searchIDs(t, db, rs, "readfirst"); !slices.Equal(got, []message.ID{res[1].m.ID}) {
			t.Errorf("search readfirst = %v, want [%d]", got, res[1].m.ID)
		}
		if got := searchIDs(t, db, rs, "retried send"); !slices.Equal(got, []message.ID{first.ID}) {
			t.Errorf("search a retried send = %v, want its first copy only [%d]", got, first.ID)
		}
		if n := indexRows(t, db, first.ID); n != 1 {
			t.Errorf("the retried message has %d index rows, want 1", n)
		}

		// A message with mentions takes the single message path.
		m := newMsg(rs[2], alice, "@bob look at the singlepath", "")
		m.Mentions = []user.ID{bob.ID}
		one := mustAppendMessage(t, db, m)
		if got := searchIDs(t, db, rs, "singlepath"); !slices.Equal(got, []message.ID{one.ID}) {
			t.Errorf("search singlepath = %v, want [%d]", got, one.ID)
		}
	})
}

// TestSearchIndexChecksCandidates: the index may answer messages that hold
// every trigram of a word apart (SQLite's FTS5 keeps no positions,
// PostgreSQL's trigram index is lossy); they are never hits, and a page
// is still filled from the older messages below them.
func TestSearchIndexChecksCandidates(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		us, rs := seed(t, db, 1, 1)
		var want []message.ID
		for i := range 3 {
			want = append(want, mustAppendMessage(t, db, newMsg(rs[0], us[0], fmt.Sprintf("redeployed %d", i), "")).ID)
		}
		slices.Reverse(want)
		for i := range 2*liteSlack + 3 { // newer than every hit: more than two statements' worth
			mustAppendMessage(t, db, newMsg(rs[0], us[0], fmt.Sprintf("dep epl plo loy %d", i), ""))
		}
		db.searchWalk = 0 // the index alone
		q, err := message.NewSearchQuery("deploy", 0, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := db.Search().Search(context.Background(), rs, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []message.ID
		for _, h := range hits {
			got = append(got, h.Message.ID)
		}
		if diff := cmp.Diff(want[:2], got); diff != "" {
			t.Errorf("page (-want +got):\n%s", diff)
		}
	})
}

// TestSearchReindexedAfterMigration11: migration 000011 makes SQLite's
// FTS5 table anew (without positions) and hands every message to the
// backlog, which indexes them again; PostgreSQL's rows only lose their
// foreign key. Either way the index finds what it found before.
func TestSearchReindexedAfterMigration11(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		us, rs := seed(t, db, 1, 2)
		var want []message.ID
		for i := range 7 {
			want = append(want, mustAppendMessage(t, db, newMsg(rs[i%2], us[0], fmt.Sprintf("reindexed needle %d go", i), "")).ID)
		}
		slices.Reverse(want)
		m, closer, err := db.migrator(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer closer.Close()
		if err := m.Steps(-1); err != nil {
			t.Fatalf("down to 10: %v", err)
		}
		if err := m.Steps(1); err != nil {
			t.Fatalf("up to 11: %v", err)
		}
		db.searchWalk = 0 // the index alone
		if db.dialect == SQLite {
			if got := searchIDs(t, db, rs, "needle"); len(got) != 0 {
				t.Errorf("before the backlog: %v, want none (the table is new)", got)
			}
		}
		if n, err := db.IndexBacklog(ctx); err != nil || (db.dialect == SQLite && n != len(want)) {
			t.Fatalf("IndexBacklog = %d, %v; want %d on SQLite", n, err, len(want))
		}
		for _, q := range []string{"needle", "go"} {
			if diff := cmp.Diff(want, searchIDs(t, db, rs, q)); diff != "" {
				t.Errorf("%q after the backlog (-want +got):\n%s", q, diff)
			}
		}
	})
}

// TestSearchRoomDeletePurges: a deleted room's messages leave no index
// row behind (PostgreSQL: purged by room after the room goes; SQLite:
// before), and other rooms' rows stay.
func TestSearchRoomDeletePurges(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db *DB) {
		us, rs := seed(t, db, 1, 2)
		var gone, kept []message.ID
		for i := range 5 {
			gone = append(gone, mustAppendMessage(t, db, newMsg(rs[0], us[0], fmt.Sprintf("doomed text %d", i), "")).ID)
			kept = append(kept, mustAppendMessage(t, db, newMsg(rs[1], us[0], fmt.Sprintf("kept text %d", i), "")).ID)
		}
		if _, err := db.Rooms().Delete(context.Background(), rs[0]); err != nil {
			t.Fatal(err)
		}
		if n := indexRows(t, db, gone...); n != 0 {
			t.Errorf("%d index rows of the deleted room's messages remain", n)
		}
		if n := indexRows(t, db, kept...); n != len(kept) {
			t.Errorf("%d index rows of the other room's messages, want %d", n, len(kept))
		}
	})
}

// legacyMessages opens dsn with the index off, stores n messages in two
// rooms there and closes it: messages the index has never seen, as an
// older version of chatd (or SEARCH_INDEX=off) leaves them.
func legacyMessages(t *testing.T, dialect, dsn string, n int, text func(i int) string) ([]room.ID, []message.Message) {
	t.Helper()
	ctx := context.Background()
	old, err := Open(ctx, dialect, dsn, WithSearchIndex(false))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	// Stored with the index off, as before migration 000008 (or with
	// SEARCH_INDEX=off): the store's code writes today's schema, so the
	// schema is today's too (migrating to 7 broke once users gained
	// columns).
	if err := old.Migrate(ctx, "up"); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	us, rs := seed(t, old, 1, 2)
	var out []message.Message
	for i := range n {
		out = append(out, mustAppendMessage(t, old, newMsg(rs[i%2], us[0], text(i), "")))
	}
	return rs, out
}

// TestSearchBacklog: messages stored before migration 000008 are found
// once IndexBacklog has run, batch by batch and resumably; an edit made
// before the backlog reached its message, or after, is found by its
// current text only; a deleted one is never indexed; running it again
// indexes nothing.
func TestSearchBacklog(t *testing.T) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := d.dsn(t)
			rs, before := legacyMessages(t, d.name, dsn, 7, func(i int) string { return fmt.Sprintf("legacy message %d", i) })
			db := openMigrated(t, d.name, dsn)
			defer db.Close()
			db.backlogBatch, db.searchWalk = 3, 0
			if got := searchIDs(t, db, rs, "legacy"); len(got) != 0 {
				t.Errorf("found before the backlog ran: %v", got)
			}
			// Before the backlog reaches them: an edit indexes its
			// message, a deletion leaves nothing to index.
			mustEditText(t, db, before[1], "rewritten before the backfill")
			mustDeleteMessage(t, db, before[2])
			// One batch, then the rest: it resumes where it stopped.
			n, done, err := db.indexBacklogBatch(ctx)
			if err != nil || done || n != 3 {
				t.Fatalf("first batch: %d messages, done %v, %v; want 3, not done", n, done, err)
			}
			if got, want := searchIDs(t, db, rs, "legacy"), []message.ID{before[3].ID, before[0].ID}; !slices.Equal(got, want) {
				t.Errorf("after one batch: search legacy = %v, want %v", got, want)
			}
			total, err := db.IndexBacklog(ctx)
			if err != nil || total != 3 {
				t.Fatalf("IndexBacklog = %d, %v; want 3", total, err)
			}
			var want []message.ID
			for i := len(before) - 1; i >= 0; i-- {
				if i != 1 && i != 2 {
					want = append(want, before[i].ID)
				}
			}
			if diff := cmp.Diff(want, searchIDs(t, db, rs, "legacy")); diff != "" {
				t.Errorf("search legacy after the backlog (-want +got):\n%s", diff)
			}
			if got := searchIDs(t, db, rs, "backfill"); !slices.Equal(got, []message.ID{before[1].ID}) {
				t.Errorf("search the edit = %v, want [%d]", got, before[1].ID)
			}
			if n := indexRows(t, db, before[2].ID); n != 0 {
				t.Errorf("the deleted message has %d index rows", n)
			}
			// After the backlog: an edit wins as ever, and another run
			// has nothing to do.
			mustEditText(t, db, before[4], "rewritten after the backfill")
			if again, err := db.IndexBacklog(ctx); err != nil || again != 0 {
				t.Errorf("IndexBacklog again = %d, %v; want 0", again, err)
			}
			if got := searchIDs(t, db, rs, "after the backfill"); !slices.Equal(got, []message.ID{before[4].ID}) {
				t.Errorf("search the later edit = %v, want [%d]", got, before[4].ID)
			}
			if got := searchIDs(t, db, rs, "legacy message 4"); len(got) != 0 {
				t.Errorf("the replaced text of an edit is found: %v", got)
			}
		})
	}
}

// TestSearchBacklogRacesChanges: edits and deletions made while the
// backlog walks, in small batches, end with every message indexed by its
// current text alone and no deleted one indexed, whoever came first.
func TestSearchBacklogRacesChanges(t *testing.T) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			const n, edits = 120, 3
			dsn := d.dsn(t)
			rs, msgs := legacyMessages(t, d.name, dsn, n, func(i int) string { return fmt.Sprintf("legacy-%d-v0 text", i) })
			db := openMigrated(t, d.name, dsn)
			defer db.Close()
			db.backlogBatch, db.searchWalk = 4, 0
			current := make([]string, n) // the latest text's word; "" once deleted
			for i := range current {
				current[i] = fmt.Sprintf("legacy-%d-v0", i)
			}
			done := make(chan error, 1)
			go func() {
				_, err := db.IndexBacklog(context.Background())
				done <- err
			}()
			for v := 1; v <= edits; v++ {
				for i := v % 2; i < n; i += 2 {
					if current[i] == "" {
						continue
					}
					if i%7 == v {
						mustDeleteMessage(t, db, msgs[i])
						current[i] = ""
						continue
					}
					current[i] = fmt.Sprintf("legacy-%d-v%d", i, v)
					mustEditText(t, db, msgs[i], current[i]+" text")
				}
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			for i, m := range msgs {
				if current[i] == "" {
					if k := indexRows(t, db, m.ID); k != 0 {
						t.Errorf("deleted message %d has %d index rows", i, k)
					}
					continue
				}
				if got := searchIDs(t, db, rs, `"`+current[i]+` text"`); !slices.Equal(got, []message.ID{m.ID}) {
					t.Errorf("message %d: search its current text %q = %v", i, current[i], got)
				}
				for v := 0; v < edits; v++ {
					old := fmt.Sprintf("legacy-%d-v%d ", i, v)
					if old == current[i]+" " {
						continue
					}
					if got := searchIDs(t, db, rs, `"`+old+`"`); len(got) != 0 {
						t.Errorf("message %d: its replaced text %q is found: %v", i, old, got)
					}
				}
			}
		})
	}
}

// TestSearchBacklogWaitsForAnEdit: on PostgreSQL, a backlog batch that
// reaches a message while an edit of it is not yet committed waits for
// the edit and indexes the edited text, never the one it replaced.
func TestSearchBacklogWaitsForAnEdit(t *testing.T) {
	ctx := context.Background()
	dsn := services.Postgres(t)
	_, msgs := legacyMessages(t, Postgres, dsn, 3, func(i int) string { return fmt.Sprintf("first text %d", i) })
	db := openMigrated(t, Postgres, dsn)
	defer db.Close()
	m := msgs[1]
	pool, err := db.write.DB()
	if err != nil {
		t.Fatal(err)
	}
	// The edit's writes, not yet committed when the backlog starts.
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	x := sqlq{ctx: ctx, q: tx, tx: tx, dialect: Postgres, indexed: true}
	if _, err := x.exec(`UPDATE messages SET content = ? WHERE id = ?`, "second text", int64(m.ID)); err != nil {
		t.Fatal(err)
	}
	if err := x.indexMessage(int64(m.ID), int64(m.RoomID), "second text", false); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.IndexBacklog(ctx)
		done <- err
	}()
	// The backlog waits for the edit's row lock before the edit commits.
	for waiting := 0; waiting == 0; {
		select {
		case err := <-done:
			t.Fatalf("the backlog ran past the uncommitted edit: %v", err)
		default:
		}
		if err := db.read.Raw(`SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var body string
	if err := db.read.Raw(`SELECT body FROM message_search WHERE message_id = ?`, int64(m.ID)).Scan(&body).Error; err != nil {
		t.Fatal(err)
	}
	if body != "second text" {
		t.Errorf("the edited message is indexed as %q, want the edit's text", body)
	}
}

// TestSearchOff: with the index off, search answers Unavailable
// "search_off" and appends write no row; edits and deletions still keep
// the rows there are. Back on, IndexBacklog indexes exactly the messages
// appended meanwhile, and everything is found by its current text.
func TestSearchOff(t *testing.T) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := d.dsn(t)
			on := openMigrated(t, d.name, dsn)
			us, rs := seed(t, on, 2, 1)
			early := mustAppendMessage(t, on, newMsg(rs[0], us[0], "written with the index on", ""))
			edited := mustAppendMessage(t, on, newMsg(rs[0], us[0], "to be edited while off", ""))
			if n, err := on.IndexBacklog(ctx); err != nil || n != 0 {
				t.Fatalf("IndexBacklog on a new database = %d, %v", n, err)
			}
			on.Close()

			off, err := Open(ctx, d.name, dsn, WithSearchIndex(false))
			if err != nil {
				t.Fatal(err)
			}
			if err := off.Migrate(ctx, "up"); err != nil {
				t.Fatal(err)
			}
			q, _ := message.NewSearchQuery("index", 0, 0, 0)
			_, err = off.Search().Search(ctx, rs, q)
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.Unavailable || de.Code != "search_off" {
				t.Errorf("Search with the index off = %v, want Unavailable search_off", err)
			}
			batched := mustAppendMessage(t, off, newMsg(rs[0], us[0], "appended while off", ""))
			m := newMsg(rs[0], us[0], "@user1 mentioned while off", "")
			m.Mentions = []user.ID{us[1].ID}
			single := mustAppendMessage(t, off, m)
			if n := indexRows(t, off, batched.ID, single.ID); n != 0 {
				t.Errorf("appends with the index off wrote %d rows", n)
			}
			mustEditText(t, off, edited, "changed while off")
			if n, err := off.IndexBacklog(ctx); err != nil || n != 0 {
				t.Errorf("IndexBacklog with the index off = %d, %v; want nothing", n, err)
			}
			off.Close()

			db := openMigrated(t, d.name, dsn)
			defer db.Close()
			db.searchWalk = 0
			n, err := db.IndexBacklog(ctx)
			if err != nil || n != 2 {
				t.Fatalf("IndexBacklog back on = %d, %v; want the 2 messages appended while off", n, err)
			}
			if diff := cmp.Diff([]message.ID{single.ID, batched.ID, edited.ID}, searchIDs(t, db, rs, "while off")); diff != "" {
				t.Errorf("search while off (-want +got):\n%s", diff)
			}
			if got := searchIDs(t, db, rs, "to be edited"); len(got) != 0 {
				t.Errorf("the text replaced while off is found: %v", got)
			}
			if got := searchIDs(t, db, rs, "index on"); !slices.Equal(got, []message.ID{early.ID}) {
				t.Errorf("search index on = %v, want [%d]", got, early.ID)
			}
		})
	}
}

// TestIndexDocKeepsShortTokens: the index keeps the folded text whole and
// only the tokens a query can match as tokens (shorter than three runes):
// PostgreSQL's as hex lexemes, SQLite's each between liteTokenOpen and
// liteTokenClose.
func TestIndexDocKeepsShortTokens(t *testing.T) {
	want := []string{"go", "東", "京", "東京", "の", "京の", "会", "の会", "議", "会議", "🎉", "ci"}
	for _, dialect := range []string{Postgres, SQLite} {
		d := indexDoc(dialect, "Go deploy 東京の会議 🎉 CI kubectl-apply")
		if d.Body != "go deploy 東京の会議 🎉 ci kubectl-apply" {
			t.Errorf("%s: body %q", dialect, d.Body)
		}
		var got []string
		if dialect == SQLite {
			for _, tok := range strings.Split(d.Tokens, liteTokenClose) {
				if tok != "" {
					got = append(got, strings.TrimPrefix(tok, liteTokenOpen))
				}
			}
		} else {
			for _, tok := range strings.Fields(d.Tokens) {
				b, err := hex.DecodeString(strings.TrimPrefix(tok, "t"))
				if err != nil {
					t.Fatalf("token %q: %v", tok, err)
				}
				got = append(got, string(b))
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: tokens (-want +got):\n%s", dialect, diff)
		}
	}
}

// TestTrigramsTileLongForms: a short form asks for all its trigrams, a
// longer one for a tiling that covers every rune, at most ftsTrigramsMost.
func TestTrigramsTileLongForms(t *testing.T) {
	for _, tc := range []struct {
		form string
		want []string
	}{
		{"go", nil},
		{"deploy", []string{"dep", "epl", "plo", "loy"}},
		{"сообщени", []string{"соо", "ооб", "общ", "бще", "щен", "ени"}},
		{"rolling restart", []string{"rol", "lin", "g r", "est", "art"}},
		{"aaaaaaaaaaa", []string{"aaa"}},
		{strings.Repeat("abcdefghij", 10), []string{"abc", "def", "ghi", "jab", "cde", "fgh", "ija", "hij"}},
	} {
		got := trigrams(tc.form)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("trigrams(%q) (-want +got):\n%s", tc.form, diff)
		}
	}
}
