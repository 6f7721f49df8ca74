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
// check in front of them — and the room list with its unread counts (one
// row per room of a user in hundreds of them) skip gorm: a prepared
// statement per pool and rows scanned straight into typed variables.
// gorm's reflection over the rows was most of a history page's cost
// (chatbench rest, docs/BENCHMARKS.md).

// hotQueries are the hot statements, written with ? placeholders;
// rebind turns them into $n for PostgreSQL.
const (
	messageCols    = `id, room_id, seq, user_id, username, content, client_id, created_at`
	qHistoryNewest = `SELECT ` + messageCols + ` FROM messages WHERE room_id = ? ORDER BY id DESC LIMIT ?`
	qHistoryBefore = `SELECT ` + messageCols + ` FROM messages WHERE room_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
	qHistoryAfter  = `SELECT ` + messageCols + ` FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`
	qIsMember      = `SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ? LIMIT 1`
	qLastSeq       = `SELECT last_seq, rev FROM rooms WHERE id = ?`
	qMemberLastSeq = `SELECT r.last_seq, r.rev, EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = ?) FROM rooms r WHERE r.id = ?`

	// unreadOf is member m's unread count in room r. Seqs are gap-free, so
	// last_seq - last_read_seq messages follow the pointer; less the
	// member's own among them, which messages_room_user_seq_idx counts in
	// one index-only range scan however long the room's history is.
	unreadOf = `r.last_seq - m.last_read_seq - (SELECT COUNT(*) FROM messages x
		WHERE x.room_id = m.room_id AND x.user_id = m.user_id AND x.seq > m.last_read_seq)`
	// qStandings starts from the user (room_members_user_idx).
	qStandings = `SELECT m.room_id, r.last_seq, m.last_read_seq, ` + unreadOf + `
		FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ?`
	qStanding = `SELECT r.last_seq, m.last_read_seq, ` + unreadOf + `
		FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.room_id = ? AND m.user_id = ?`
	// qVisible is the room list: public rooms and the user's, each with
	// where the user stands (only last_seq in the rooms the user is not in).
	qVisible = `SELECT r.id, r.name, r.description, r.is_private, r.owner_id, r.created_at, r.last_seq,
		m.user_id IS NOT NULL, COALESCE(m.last_read_seq, 0),
		CASE WHEN m.user_id IS NULL THEN 0 ELSE ` + unreadOf + ` END
		FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = ?
		WHERE NOT r.is_private OR m.user_id IS NOT NULL
		ORDER BY r.id`
)

var hotQueries = []string{qHistoryNewest, qHistoryBefore, qHistoryAfter, qIsMember, qLastSeq, qMemberLastSeq, qStandings, qStanding, qVisible}

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
	h := &hotStmts{dialect: dialect, pool: pool, stmts: make(map[string]*atomic.Pointer[sql.Stmt], len(hotQueries))}
	for _, q := range hotQueries {
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

// roomVersion is what a cached newest page is checked against: the room's
// newest seq and its rev, bumped when stored messages change other than by
// an append (an account deletion renames their author).
type roomVersion struct {
	lastSeq, rev int64
}

// lastSeq is the room's version (zero: no message yet, or no such room).
func (db *DB) lastSeq(ctx context.Context, r int64) (roomVersion, error) {
	stmt, err := db.hot.get(ctx, qLastSeq)
	if err != nil {
		return roomVersion{}, err
	}
	var v roomVersion
	switch err := stmt.QueryRowContext(ctx, r).Scan(&v.lastSeq, &v.rev); err {
	case nil, sql.ErrNoRows:
		return v, nil
	default:
		return roomVersion{}, err
	}
}

// memberLastSeq is lastSeq and the membership check in one round trip
// (member false: not a member, or no such room).
func (db *DB) memberLastSeq(ctx context.Context, r, u int64) (v roomVersion, member bool, err error) {
	stmt, err := db.hot.get(ctx, qMemberLastSeq)
	if err != nil {
		return roomVersion{}, false, err
	}
	switch err := stmt.QueryRowContext(ctx, u, r).Scan(&v.lastSeq, &v.rev, &member); err {
	case nil:
		return v, member, nil
	case sql.ErrNoRows:
		return roomVersion{}, false, nil
	default:
		return roomVersion{}, false, err
	}
}

// newestPages caches the newest page of a room's history — what a client
// opening a room asks for — per (room, limit). Messages are never deleted
// and change only with a bump of their room's rev, and a room's seqs commit
// in order (the room row's lock is held from the seq bump to the commit),
// so a page read when its highest seq was T and the rev R is still exact
// while the room's last_seq is T and its rev R: one primary-key read
// validates it, on every instance, whoever appended. The rev is read
// before the page, so a page is never older than the rev it is kept with.
type newestPages struct {
	mu sync.Mutex
	m  map[pageKey]cachedPage
}

type pageKey struct {
	room  int64
	limit int
}

type cachedPage struct {
	top  int64 // highest seq in the page (0: empty)
	rev  int64 // the room's rev when the page was read
	msgs []message.Message
}

// newestPagesMax bounds the cache: at 50 messages of ~200 B, ~40 MiB.
const newestPagesMax = 4096

func (c *newestPages) get(k pageKey, v roomVersion) ([]message.Message, bool) {
	c.mu.Lock()
	p, ok := c.m[k]
	c.mu.Unlock()
	if !ok || p.top != v.lastSeq || p.rev != v.rev {
		return nil, false
	}
	return append([]message.Message(nil), p.msgs...), true // callers own their slice
}

func (c *newestPages) put(k pageKey, rev int64, msgs []message.Message) {
	var top int64
	for _, m := range msgs {
		top = max(top, m.Seq)
	}
	p := cachedPage{top: top, rev: rev, msgs: append([]message.Message(nil), msgs...)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[pageKey]cachedPage)
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= newestPagesMax {
		for old := range c.m { // map order: an arbitrary quarter goes
			if len(c.m) < newestPagesMax*3/4 {
				break
			}
			delete(c.m, old)
		}
	}
	c.m[k] = p
}

// visible runs qVisible.
func (db *DB) visible(ctx context.Context, u int64) ([]room.Listing, error) {
	stmt, err := db.hot.get(ctx, qVisible)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, u)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []room.Listing{}
	for rows.Next() {
		var (
			l         room.Listing
			id, owner int64
			createdAt time.Time
		)
		if err := rows.Scan(&id, &l.Name, &l.Description, &l.IsPrivate, &owner, &createdAt,
			&l.Standing.LastSeq, &l.IsMember, &l.Standing.LastReadSeq, &l.Standing.Unread); err != nil {
			return nil, err
		}
		l.ID, l.OwnerID, l.CreatedAt = room.ID(id), user.ID(owner), createdAt.UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

// standings runs qStandings.
func (db *DB) standings(ctx context.Context, u int64) (map[room.ID]room.Standing, error) {
	stmt, err := db.hot.get(ctx, qStandings)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, u)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[room.ID]room.Standing{}
	for rows.Next() {
		var (
			r  int64
			st room.Standing
		)
		if err := rows.Scan(&r, &st.LastSeq, &st.LastReadSeq, &st.Unread); err != nil {
			return nil, err
		}
		out[room.ID(r)] = st
	}
	return out, rows.Err()
}

// standing runs qStanding; member is false when u is not a member of r
// (or r does not exist).
func (db *DB) standing(ctx context.Context, r, u int64) (st room.Standing, member bool, err error) {
	stmt, err := db.hot.get(ctx, qStanding)
	if err != nil {
		return room.Standing{}, false, err
	}
	switch err := stmt.QueryRowContext(ctx, r, u).Scan(&st.LastSeq, &st.LastReadSeq, &st.Unread); err {
	case nil:
		return st, true, nil
	case sql.ErrNoRows:
		return room.Standing{}, false, nil
	default:
		return room.Standing{}, false, err
	}
}
