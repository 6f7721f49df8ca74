package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// The read paths every request takes — history pages and the membership
// check in front of them — skip gorm: a prepared statement per pool and
// rows scanned straight into typed variables. gorm's reflection over the
// rows was most of a history page's cost (chatbench rest, docs/BENCHMARKS.md).

// hotQueries are the hot statements, written with ? placeholders;
// rebind turns them into $n for PostgreSQL.
const (
	messageCols     = `id, room_id, seq, user_id, username, content, client_id, created_at`
	qHistoryNewest  = `SELECT ` + messageCols + ` FROM messages WHERE room_id = ? ORDER BY id DESC LIMIT ?`
	qHistoryBefore  = `SELECT ` + messageCols + ` FROM messages WHERE room_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
	qHistoryAfter   = `SELECT ` + messageCols + ` FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`
	qIsMember       = `SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ? LIMIT 1`
	hotStatementCnt = 4
)

// hotStmts prepares each statement on first use (the tables may not exist
// when the DB is opened, before Migrate) and keeps it; database/sql
// re-prepares it on every pooled connection as needed.
type hotStmts struct {
	dialect string
	pool    func() (*sql.DB, error)
	mu      sync.Mutex
	stmts   map[string]*atomic.Pointer[sql.Stmt]
}

func newHotStmts(dialect string, pool func() (*sql.DB, error)) *hotStmts {
	h := &hotStmts{dialect: dialect, pool: pool, stmts: make(map[string]*atomic.Pointer[sql.Stmt], hotStatementCnt)}
	for _, q := range []string{qHistoryNewest, qHistoryBefore, qHistoryAfter, qIsMember} {
		h.stmts[q] = new(atomic.Pointer[sql.Stmt])
	}
	return h
}

func (h *hotStmts) get(ctx context.Context, q string) (*sql.Stmt, error) {
	p := h.stmts[q]
	if s := p.Load(); s != nil {
		return s, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := p.Load(); s != nil {
		return s, nil
	}
	db, err := h.pool()
	if err != nil {
		return nil, err
	}
	s, err := db.PrepareContext(ctx, rebind(h.dialect, q))
	if err != nil {
		return nil, err
	}
	p.Store(s)
	return s, nil
}

func (h *hotStmts) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.stmts {
		if s := p.Swap(nil); s != nil {
			_ = s.Close()
		}
	}
}

// rebind numbers the ? placeholders for PostgreSQL ($1, $2, …).
func rebind(dialect, q string) string {
	if dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// queryMessages runs one of the history statements and scans its rows.
func (db *DB) queryMessages(ctx context.Context, q string, limit int, args ...any) ([]message.Message, error) {
	stmt, err := db.hot.get(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]message.Message, 0, limit)
	for rows.Next() {
		var (
			m                  message.Message
			id, roomID, userID int64
			clientID           sql.NullString
			createdAt          time.Time
		)
		if err := rows.Scan(&id, &roomID, &m.Seq, &userID, &m.Username, &m.Content, &clientID, &createdAt); err != nil {
			return nil, err
		}
		m.ID, m.RoomID, m.UserID = message.ID(id), room.ID(roomID), user.ID(userID)
		m.ClientID = clientID.String
		m.CreatedAt = createdAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// isMember is the membership check without gorm.
func (db *DB) isMember(ctx context.Context, r, u int64) (bool, error) {
	stmt, err := db.hot.get(ctx, qIsMember)
	if err != nil {
		return false, err
	}
	var one int
	switch err := stmt.QueryRowContext(ctx, r, u).Scan(&one); err {
	case nil:
		return true, nil
	case sql.ErrNoRows:
		return false, nil
	default:
		return false, err
	}
}
