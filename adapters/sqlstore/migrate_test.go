package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// TestUnreadAcrossConversationsMigration: rows written before 000007 (no
// message ordinal, every seq a message's) count as they did, and messages
// and changes after it count on top of them.
func TestUnreadAcrossConversationsMigration(t *testing.T) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := Open(ctx, d.name, d.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			m, closer, err := db.migrator(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Migrate(6); err != nil {
				t.Fatalf("migrate to 6: %v", err)
			}
			closer.Close()
			// The schema of 000006: alice and bob in one room, five
			// messages (alice, bob, alice, alice, bob), bob has read two.
			now := stamp(time.Now())
			for _, st := range []struct {
				q    string
				args []any
			}{
				{`INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'alice', 'x', ?), (2, 'bob', 'x', ?)`, []any{now, now}},
				{`INSERT INTO rooms (id, name, owner_id, last_seq, created_at) VALUES (1, 'old', 1, 5, ?)`, []any{now}},
				{`INSERT INTO room_members (room_id, user_id, joined_at, last_read_seq) VALUES (1, 1, ?, 0), (1, 2, ?, 2)`, []any{now, now}},
			} {
				if err := db.write.Exec(st.q, st.args...).Error; err != nil {
					t.Fatalf("%s: %v", st.q, err)
				}
			}
			for i, from := range []int64{1, 2, 1, 1, 2} {
				if err := db.write.Exec(`INSERT INTO messages (room_id, seq, user_id, username, content, created_at) VALUES (1, ?, ?, 'x', 'old', ?)`,
					i+1, from, now).Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Migrate(ctx, "up"); err != nil {
				t.Fatalf("migrate up: %v", err)
			}
			want := map[user.ID]room.Standing{
				1: {LastSeq: 5, Unread: 2},                 // bob's two
				2: {LastSeq: 5, LastReadSeq: 2, Unread: 2}, // alice's at 3 and 4
			}
			check := func(when string) {
				t.Helper()
				for u, st := range want {
					got, err := db.Reads().Standings(ctx, u)
					if err != nil {
						t.Fatal(err)
					}
					if d := cmp.Diff(map[room.ID]room.Standing{1: st}, got); d != "" {
						t.Errorf("%s: Standings(%d) (-want +got):\n%s", when, u, d)
					}
				}
			}
			check("after the migration")
			// A reaction (seq 6) and a message by alice (7, the 6th message).
			old, err := db.Messages().Get(ctx, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.Messages().React(ctx, message.Change{Kind: message.ReactionAdded, RoomID: 1, MessageID: old.ID, UserID: 2, Emoji: "👍"}, 5); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.Messages().Append(ctx, message.Message{RoomID: 1, UserID: 1, Username: "alice", Content: "new"}); err != nil {
				t.Fatal(err)
			}
			want[1] = room.Standing{LastSeq: 7, Unread: 2}
			want[2] = room.Standing{LastSeq: 7, LastReadSeq: 2, Unread: 3}
			check("after a reaction and a message")
			// Bob reads up to the reaction: the old message at seq 5 is the
			// newest at or before it.
			st, _, err := db.Reads().MarkRead(ctx, 1, 2, 6)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(room.Standing{LastSeq: 7, LastReadSeq: 6, Unread: 1}, st); d != "" {
				t.Errorf("MarkRead(6) (-want +got):\n%s", d)
			}
		})
	}
}
