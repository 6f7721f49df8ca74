package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"chat/domain/user"
)

// The stores of the conversation around messages (edits, reactions,
// replies, files, direct conversations, scheduled messages) speak
// database/sql directly: their statements are written once with ?
// placeholders, numbered for PostgreSQL by rebind, and run on a
// transaction of the write pool or on the read pool.

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlq runs statements on q in the dialect's spelling.
type sqlq struct {
	ctx     context.Context
	q       querier
	tx      *sql.Tx // the transaction q is; nil on the read pool
	dialect string
	indexed bool // appends write the search index (DB.indexed)
}

func (x sqlq) exec(q string, args ...any) (sql.Result, error) {
	return x.q.ExecContext(x.ctx, rebind(x.dialect, q), args...)
}

func (x sqlq) query(q string, args ...any) (*sql.Rows, error) {
	return x.q.QueryContext(x.ctx, rebind(x.dialect, q), args...)
}

func (x sqlq) row(q string, args ...any) *sql.Row {
	return x.q.QueryRowContext(x.ctx, rebind(x.dialect, q), args...)
}

// inTx runs f in a transaction of the write pool and commits it when f
// returns nil. SQLite's begin IMMEDIATE (sqliteParams): the transaction
// holds the one write lock from its first statement.
func (db *DB) inTx(ctx context.Context, f func(x sqlq) error) error {
	pool, err := db.write.DB()
	if err != nil {
		return err
	}
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(sqlq{ctx: ctx, q: tx, tx: tx, dialect: db.dialect, indexed: db.indexed}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// reader runs statements on the read pool.
func (db *DB) reader(ctx context.Context) (sqlq, error) {
	pool, err := db.read.DB()
	if err != nil {
		return sqlq{}, err
	}
	return sqlq{ctx: ctx, q: pool, dialect: db.dialect, indexed: db.indexed}, nil
}

// lockRoomRow locks room r's row until the transaction ends, as every
// writer of the room's stream does before it reads what it will change
// (PostgreSQL: FOR NO KEY UPDATE, what the seq bump takes anyway; SQLite's
// transaction already holds the write lock). found is false when the
// room does not exist.
func (x sqlq) lockRoomRow(r int64) (found bool, err error) {
	q := `SELECT id FROM rooms WHERE id = ?`
	if x.dialect == Postgres {
		q += ` FOR NO KEY UPDATE`
	}
	var id int64
	switch err := x.row(q, r).Scan(&id); err {
	case nil:
		return true, nil
	case sql.ErrNoRows:
		return false, nil
	default:
		return false, err
	}
}

// in returns "col = ANY(?)" (PostgreSQL) or "col IN (SELECT value FROM
// json_each(?))" (SQLite) and its one argument, the ids as an array (a
// JSON array on SQLite): the statement's text does not depend on
// len(ids), so it is not parsed anew for every count (a search over a
// member's 1,000 rooms bound 1,000 placeholders, twice), and no count of
// rooms runs into SQLite's bound on placeholders (32,766).
func in(dialect, col string, ids []int64) (string, []any) {
	if dialect == Postgres {
		return col + ` = ANY(?)`, []any{ids}
	}
	b := make([]byte, 0, 1+8*len(ids))
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return col + ` IN (SELECT value FROM json_each(?))`, []any{string(append(b, ']'))}
}

// formatIDs and parseIDs keep a message's mentions in its row:
// comma-separated ids, "" for none.
func formatIDs(ids []user.ID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(int64(id), 10)
	}
	return strings.Join(parts, ",")
}

func parseIDs(s string) []user.ID {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]user.ID, 0, len(parts))
	for _, p := range parts {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, user.ID(id))
		}
	}
	return out
}

// distinctIDs returns ids without repeats, in their order; nil for none.
func distinctIDs(ids []user.ID) []user.ID {
	var out []user.ID
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
