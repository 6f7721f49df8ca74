package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"chat/adapters/sqlstore"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// TestBackupWhileWriting copies the database while messages are being
// appended, then opens the copy and checks it is consistent: a gap-free
// prefix of the room's messages.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, sqlstore.SQLite, filepath.Join(dir, "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "up"); err != nil {
		t.Fatal(err)
	}
	name, _ := user.NewUsername("backer")
	u, _ := user.New(name, "", time.Now())
	u, err = db.Users().Create(ctx, u, "h")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := room.New(room.Spec{Name: "r"}, u.ID, time.Now())
	r, err = db.Rooms().Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := db.Messages().Append(ctx, message.Message{RoomID: r.ID, UserID: u.ID, Username: "backer", Content: fmt.Sprint(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 20; i++ { // let some writes happen first
		if ms, _ := db.Messages().After(ctx, r.ID, 0, 20); len(ms) >= 20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := filepath.Join(dir, "backup.db")
	err = db.Backup(ctx, out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, out); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("overwriting a backup: %v", err)
	}

	cp, err := sqlstore.Open(ctx, sqlstore.SQLite, out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if v, dirty, err := cp.Version(ctx); err != nil || dirty || v == 0 {
		t.Fatalf("backup schema version %d dirty=%v: %v", v, dirty, err)
	}
	var seq int64
	for {
		ms, err := cp.Messages().After(ctx, r.ID, seq, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			if m.Seq != seq+1 {
				t.Fatalf("backup has seq %d after %d", m.Seq, seq)
			}
			seq = m.Seq
		}
	}
	if seq < 20 {
		t.Fatalf("backup holds %d messages, want at least 20", seq)
	}
}
