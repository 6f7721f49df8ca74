package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
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
// synchronous_commit as the server has it (on by default) and SQLite in WAL,
// with the search index on and off (the texts are the search benchmark's
// multilingual corpus, the same both ways: the index's cost per message
// depends on its text).
//
//	go test -run '^$' -bench Append -benchtime 3s ./adapters/sqlstore/
func BenchmarkAppend(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(corpusEnglish)+len(corpusWork)-1))
	texts := make([]string, 4096)
	for i := range texts {
		texts[i] = corpusText(rng, zipf, i)
	}
	for _, d := range testDialects {
		for _, index := range []bool{true, false} {
			name := d.name + "/index-on"
			if !index {
				name = d.name + "/index-off"
			}
			b.Run(name, func(b *testing.B) {
				benchAppend(b, d.name, d.dsn(b), index, texts)
			})
		}
	}
}

func benchAppend(b *testing.B, dialect, dsn string, index bool, texts []string) {
	ctx := context.Background()
	db, err := Open(ctx, dialect, dsn, WithSearchIndex(index))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, "up"); err != nil {
		b.Fatal(err)
	}
	users, rooms := seed(b, db, benchSenders, benchRooms)
	var seq atomic.Int64 // keeps client ids unique across runs
	send := func(r room.ID, u user.User) error {
		n := seq.Add(1)
		_, _, err := db.Messages().Append(ctx, message.Message{
			RoomID: r, UserID: u.ID, Username: u.Username.String(),
			Content:   texts[int(n)%len(texts)],
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

// searchBenchQueries are BenchmarkSearch's queries: one-word (common,
// middling, rare, absent), Russian word forms, CJK (a two-character word,
// one character, a three-character substring), short tokens, phrases and
// two words.
var searchBenchQueries = []struct{ name, text string }{
	{"common", "the"},
	{"word", "deploy"},
	{"rare", "zebrafish"},
	{"absent", "nothing-like-this"},
	{"russian", "сообщение"},
	{"cjk-word", "東京"},
	{"cjk-char", "京"},
	{"cjk-substring", "服务器"},
	{"short-token", "ok"},
	{"phrase", `"release done"`},
	{"phrase-absent", `"done release"`},
	{"two-words", "deploy failed"},
}

// BenchmarkSearch measures SearchStore.Search on a generated corpus
// (corpus_test.go) of CHAT_BENCH_SEARCH_MESSAGES messages (default
// 200,000; the figures in docs/BENCHMARKS.md use 1,000,000) in 1,000
// rooms, for users in all of them, 200, 20 and one, reporting each
// query's p50 and p99. Loading a million messages takes minutes.
//
//	CHAT_BENCH_SEARCH_MESSAGES=1000000 go test -run '^$' -bench Search -benchtime 200x -timeout 1h ./adapters/sqlstore/
func BenchmarkSearch(b *testing.B) {
	n := 200_000
	if s := os.Getenv("CHAT_BENCH_SEARCH_MESSAGES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("CHAT_BENCH_SEARCH_MESSAGES=%q: want a positive number", s)
		}
	}
	c := corpus{messages: n, rooms: 1000, users: len(corpusSteps)}
	for _, d := range testDialects {
		b.Run(d.name, func(b *testing.B) {
			db := openMigrated(b, d.name, d.dsn(b))
			b.Cleanup(func() { db.Close() })
			c.load(b, db)
			benchSearches(b, db, c)
		})
	}
}

func benchSearches(b *testing.B, db *DB, c corpus) {
	for _, who := range []struct {
		name string
		user int
	}{{"rooms-1000", 1}, {"rooms-200", 3}, {"rooms-20", 5}, {"rooms-1", 6}} {
		var rooms []room.ID
		for _, r := range c.memberRooms(who.user) {
			rooms = append(rooms, room.ID(r))
		}
		for _, q := range searchBenchQueries {
			b.Run(who.name+"/"+q.name, func(b *testing.B) {
				sq, err := message.NewSearchQuery(q.text, 0, 0, message.SearchDefault)
				if err != nil {
					b.Fatal(err)
				}
				var took []time.Duration
				hits := 0
				for b.Loop() {
					start := time.Now()
					found, err := db.Search().Search(context.Background(), rooms, sq)
					if err != nil {
						b.Fatal(err)
					}
					took = append(took, time.Since(start))
					hits = len(found)
				}
				slices.Sort(took)
				ms := func(p float64) float64 {
					return float64(took[int(p*float64(len(took)-1))]) / float64(time.Millisecond)
				}
				b.ReportMetric(ms(0.5), "p50-ms")
				b.ReportMetric(ms(0.99), "p99-ms")
				b.ReportMetric(float64(hits), "hits")
			})
		}
	}
}
