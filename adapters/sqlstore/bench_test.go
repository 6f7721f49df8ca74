package sqlstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// benchRooms and benchSenders shape the parallel cases: 64 goroutines
// (SetParallelism scales GOMAXPROCS up to them) sending across 500 rooms,
// as chatbench's persist scenario does, or all into one room.
const (
	benchRooms   = 500
	benchSenders = 64
)

// BenchmarkAppend measures MessageStore.Append as the application calls
// it (a fresh client_id on every message), with PostgreSQL's
// synchronous_commit as the server has it (on by default) and SQLite in WAL.
//
//	go test -run '^$' -bench Append -benchtime 3s ./adapters/sqlstore/
func BenchmarkAppend(b *testing.B) {
	for _, d := range testDialects {
		b.Run(d.name, func(b *testing.B) {
			ctx := context.Background()
			db := openMigrated(b, d.name, d.dsn(b))
			b.Cleanup(func() { db.Close() })
			users, rooms := seed(b, db, benchSenders, benchRooms)
			var seq atomic.Int64 // keeps client ids unique across runs
			send := func(r room.ID, u user.User) error {
				n := seq.Add(1)
				_, _, err := db.Messages().Append(ctx, message.Message{
					RoomID: r, UserID: u.ID, Username: u.Username.String(),
					Content:   fmt.Sprintf("benchmark message number %d, about fifty bytes", n),
					ClientID:  fmt.Sprintf("bench-%d", n),
					CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
				})
				return err
			}
			b.Run("serial", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if err := send(rooms[i%len(rooms)], users[0]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				reportRate(b)
			})
			parallel := func(pick func(g, i int) room.ID) func(b *testing.B) {
				return func(b *testing.B) {
					var next atomic.Int64
					b.SetParallelism((benchSenders + 1) / 2) // × GOMAXPROCS 2 on the reference box
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						g := int(next.Add(1) - 1)
						u := users[g%len(users)]
						for i := 0; pb.Next(); i++ {
							if err := send(pick(g, i), u); err != nil {
								b.Error(err)
								return
							}
						}
					})
					reportRate(b)
				}
			}
			b.Run(fmt.Sprintf("parallel-%d-rooms-%d", benchSenders, benchRooms), parallel(func(g, i int) room.ID {
				return rooms[(g*7+i)%len(rooms)]
			}))
			b.Run(fmt.Sprintf("parallel-%d-one-room", benchSenders), parallel(func(int, int) room.ID {
				return rooms[0]
			}))
		})
	}
}

func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "msgs/s")
	}
}

// BenchmarkLastSeqs measures the relay's periodic catch-up check: one
// LastSeqs over every room an instance serves (1,000 here), which each
// instance runs once per CATCHUP_INTERVAL.
//
//	go test -run '^$' -bench LastSeqs ./adapters/sqlstore/
func BenchmarkLastSeqs(b *testing.B) {
	for _, d := range testDialects {
		b.Run(d.name, func(b *testing.B) {
			ctx := context.Background()
			db := openMigrated(b, d.name, d.dsn(b))
			b.Cleanup(func() { db.Close() })
			_, rooms := seed(b, db, 1, 1000)
			for b.Loop() {
				if _, err := db.Messages().LastSeqs(ctx, rooms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
