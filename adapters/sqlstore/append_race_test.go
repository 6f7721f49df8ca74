package sqlstore

import (
	"context"
	"testing"
	"time"

	"chat/domain"
	"chat/domain/message"
	"chat/test/services"
)

// TestAppendRetryLosesRace drives the path a concurrent retry takes on
// PostgreSQL: the first copy is uncommitted while the retry looks its key
// up, so the retry's insert hits messages_user_room_client_key and must
// answer with the first copy — or refuse, when its content differs.
// (SQLite's single writer cannot get there.)
func TestAppendRetryLosesRace(t *testing.T) {
	for _, tc := range []struct {
		content string
		reused  bool
	}{{"first", false}, {"other text", true}} {
		t.Run(tc.content, func(t *testing.T) { appendRetryLosesRace(t, tc.content, tc.reused) })
	}
}

func appendRetryLosesRace(t *testing.T, content string, reused bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := Open(ctx, Postgres, services.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "up"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	owner := userRow{Username: "alice", PasswordHash: "h", CreatedAt: stamp(time.Time{})}
	must(db.write.Create(&owner).Error)
	rm := roomRow{Name: "general", OwnerID: owner.ID, CreatedAt: stamp(time.Time{})}
	must(db.write.Create(&rm).Error)

	// The first copy: seq taken and row inserted, not yet committed. The
	// room row stays locked until the commit.
	key := "k1"
	tx := db.write.WithContext(ctx).Begin()
	must(tx.Error)
	var seq []int64
	must(tx.Raw(nextSeq, rm.ID).Scan(&seq).Error)
	first := messageRow{RoomID: rm.ID, Seq: seq[0], UserID: owner.ID, Username: "alice", Content: "first", ClientID: &key, CreatedAt: stamp(time.Time{})}
	must(tx.Create(&first).Error)

	type result struct {
		m       message.Message
		created bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		m := first.domain()
		m.ID, m.Seq, m.Content = 0, 0, content
		got, created, err := db.Messages().Append(ctx, m)
		done <- result{got, created, err}
	}()
	// Commit only once the retry waits for the room's row lock, that is,
	// after its key lookup found nothing.
	for {
		var waiting int
		must(db.read.WithContext(ctx).Raw(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting).Error)
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("Append returned before the first copy committed: %+v", r)
		case <-time.After(5 * time.Millisecond):
		}
	}
	must(tx.Commit().Error)
	r := <-done
	switch {
	case reused:
		if domain.CodeOf(r.err) != "client_id_reused" || r.created || r.m.ID != 0 {
			t.Fatalf("Append = %+v; want client_id_reused", r)
		}
	case r.err != nil || r.created || r.m.ID != message.ID(first.ID) || r.m.Content != "first":
		t.Fatalf("Append = %+v; want the first copy (id %d), created false", r, first.ID)
	}
	var last int64
	must(db.read.Raw(`SELECT last_seq FROM rooms WHERE id = ?`, rm.ID).Scan(&last).Error)
	if last != 1 {
		t.Errorf("last_seq = %d after a lost race, want 1 (the loser's bump rolled back)", last)
	}
}
