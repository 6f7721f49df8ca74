package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWALEmptiedUnderSteadyLoad: with appends committing back to back
// while readers read, PASSIVE checkpoints never let SQLite start the WAL
// over, and the file only grew (20 GB beside a 530 MB database after the
// search corpus's fill). Past walTruncatePages the checkpointer empties
// it: the file shrinks while the load goes on, and nothing is lost.
func TestWALEmptiedUnderSteadyLoad(t *testing.T) {
	defer func(n int) { walTruncatePages = n }(walTruncatePages)
	walTruncatePages = 256 // 1 MiB of 4 KiB pages
	dsn := filepath.Join(t.TempDir(), "chat.db")
	db := openMigrated(t, SQLite, dsn)
	defer db.Close()
	users, rooms := seed(t, db, 1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for ctx.Err() == nil {
				db.Messages().After(ctx, rooms[0], 0, 50)
			}
		}()
	}
	defer func() { cancel(); readers.Wait() }()

	walSize := func() int64 {
		fi, err := os.Stat(dsn + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	body := strings.Repeat("steady load ", 100)
	var peak int64
	sent := 0
	for deadline := time.Now().Add(30 * time.Second); ; sent++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d appends the WAL is %d bytes and never shrank (peak %d)", sent, walSize(), peak)
		}
		if _, _, err := db.Messages().Append(context.Background(), newMsg(rooms[0], users[0], fmt.Sprintf("%s%d", body, sent), fmt.Sprintf("c%d", sent))); err != nil {
			t.Fatal(err)
		}
		size := walSize()
		if peak > 1<<20 && size < peak/2 {
			break // emptied, and written again since
		}
		peak = max(peak, size)
	}
	if got := len(stored(t, db, rooms[0])); got != sent+1 {
		t.Fatalf("%d messages stored, %d sent", got, sent+1)
	}
}
