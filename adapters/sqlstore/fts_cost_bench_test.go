package sqlstore

import (
	"database/sql"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkSQLiteIndexCost measures, in plain SQL on one connection, what
// the FTS5 index costs SQLite's one writer per message: "none" inserts
// messages alone (the table and indexes the store has), "joint" also
// writes each message's FTS5 row in the same transaction (what appends
// do), and "pending" writes only the id to a pending table in the
// transaction, a second transaction moving every 500 pending messages
// into FTS5 (reading their text back, folding it, 200 rows a statement),
// the way PostgreSQL's GIN pending list defers its merges. Transactions
// hold 16 messages, a group commit's size under load. An op is one
// message; flush-µs/msg is the pending case's share spent moving rows.
//
//	go test -run '^$' -bench SQLiteIndexCost -benchtime 100000x ./adapters/sqlstore/
func BenchmarkSQLiteIndexCost(b *testing.B) {
	const batch, flushEvery, flushRows = 16, 500, 200
	rng := rand.New(rand.NewPCG(16, 1))
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(corpusEnglish)+len(corpusWork)-1))
	texts := make([]string, 50_000)
	for i := range texts {
		texts[i] = corpusText(rng, zipf, i)
	}
	for _, mode := range []string{"none", "joint", "pending"} {
		b.Run(mode, func(b *testing.B) {
			db, err := sql.Open(sqliteDriver, "file:"+filepath.Join(b.TempDir(), "x.db")+"?_journal_mode=WAL&_synchronous=NORMAL")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			for _, q := range []string{
				`CREATE TABLE m (id INTEGER PRIMARY KEY, room_id INTEGER, user_id INTEGER, seq INTEGER, content TEXT, created_at TEXT)`,
				`CREATE UNIQUE INDEX m_rs ON m (room_id, seq)`,
				`CREATE INDEX m_rus ON m (room_id, user_id, seq)`,
				`CREATE VIRTUAL TABLE f USING fts5 (body, tokens, tokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1, detail = none)`,
				`INSERT INTO f (f, rank) VALUES ('automerge', 8)`,
				`CREATE TABLE p (id INTEGER PRIMARY KEY)`,
			} {
				if _, err := db.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			exec := func(tx *sql.Tx, head, row string, n int, args []any) {
				q := head + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
				if _, err := tx.Exec(q, args...); err != nil {
					b.Fatal(err)
				}
			}
			var flushed time.Duration
			flush := func() {
				start := time.Now()
				tx, err := db.Begin()
				if err != nil {
					b.Fatal(err)
				}
				rows, err := tx.Query(`SELECT m.id, m.content FROM p JOIN m ON m.id = p.id`)
				if err != nil {
					b.Fatal(err)
				}
				var args []any
				for rows.Next() {
					var id int64
					var content string
					if err := rows.Scan(&id, &content); err != nil {
						b.Fatal(err)
					}
					d := indexDoc(SQLite, content)
					args = append(args, id, d.Body, d.Tokens)
				}
				rows.Close()
				for len(args) > 0 {
					n := min(len(args)/3, flushRows)
					exec(tx, `INSERT INTO f (rowid, body, tokens) VALUES `, `(?,?,?)`, n, args[:3*n])
					args = args[3*n:]
				}
				if _, err := tx.Exec(`DELETE FROM p`); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				flushed += time.Since(start)
			}
			b.ResetTimer()
			pending := 0
			for i := 0; i < b.N; i += batch {
				n := min(batch, b.N-i)
				tx, err := db.Begin()
				if err != nil {
					b.Fatal(err)
				}
				var msgs, index []any
				for j := i; j < i+n; j++ {
					msgs = append(msgs, j+1, j%1000, j%97, j/1000+1, texts[j%len(texts)], "2026-12-03T15:00:00.000000Z")
					switch mode {
					case "joint":
						d := indexDoc(SQLite, texts[j%len(texts)])
						index = append(index, j+1, d.Body, d.Tokens)
					case "pending":
						index = append(index, j+1)
					}
				}
				exec(tx, `INSERT INTO m (id, room_id, user_id, seq, content, created_at) VALUES `, `(?,?,?,?,?,?)`, n, msgs)
				switch mode {
				case "joint":
					exec(tx, `INSERT INTO f (rowid, body, tokens) VALUES `, `(?,?,?)`, n, index)
				case "pending":
					exec(tx, `INSERT INTO p (id) VALUES `, `(?)`, n, index)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				if pending += n; mode == "pending" && pending >= flushEvery {
					flush()
					pending = 0
				}
			}
			if mode == "pending" {
				flush()
			}
			b.ReportMetric(float64(flushed.Microseconds())/float64(b.N), "flush-µs/msg")
		})
	}
}
