package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"chat/domain/message"
)

// commits records what the committer reports.
type commits struct {
	mu       sync.Mutex
	batches  []int
	negative bool
}

func (c *commits) Committed(n int, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, n)
	c.negative = c.negative || d < 0
}

// TestCommitsObserved: every group commit reports its size and time, so
// the sizes add up to the messages stored; a batch of three is one report
// of three.
func TestCommitsObserved(t *testing.T) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			obs := &commits{}
			ctx := context.Background()
			db, err := Open(ctx, d.name, d.dsn(t), WithObserver(obs))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx, "up"); err != nil {
				t.Fatal(err)
			}
			users, rooms := seed(t, db, 8, 2)
			var wg sync.WaitGroup
			for g, u := range users {
				wg.Go(func() {
					for i := range 5 {
						m := newMsg(rooms[g%2], u, fmt.Sprintf("%d/%d", g, i), "")
						if _, _, err := db.Messages().Append(ctx, m); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			obs.mu.Lock()
			total := 0
			for _, n := range obs.batches {
				total += n
			}
			if total != 40 || obs.negative {
				t.Errorf("batches %v add up to %d messages (negative time: %v), want 40", obs.batches, total, obs.negative)
			}
			obs.batches = nil
			obs.mu.Unlock()

			commitNow(db, []message.Message{newMsg(rooms[0], users[0], "a", ""), newMsg(rooms[1], users[1], "b", ""), newMsg(rooms[0], users[2], "c", "")})
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if len(obs.batches) != 1 || obs.batches[0] != 3 {
				t.Errorf("one batch of three reported as %v", obs.batches)
			}
		})
	}
}
