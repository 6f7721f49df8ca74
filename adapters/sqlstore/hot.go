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
	// selectMessages reads messages in their current state, each with its
	// parent's current state when it is a reply (one primary-key probe,
	// none for the others); scanMessagePage reads its columns.
	selectMessages = `SELECT m.id, m.room_id, m.seq, m.user_id, m.username, m.content, m.client_id, m.created_at,
		m.edited_at, m.deleted_at IS NOT NULL, m.mentions, m.has_reactions, m.has_files,
		p.id, p.seq, p.user_id, p.username, p.content, p.deleted_at IS NOT NULL
		FROM messages m LEFT JOIN messages p ON p.id = m.reply_to`
	qHistoryNewest = selectMessages + ` WHERE m.room_id = ? ORDER BY m.id DESC LIMIT ?`
	qHistoryBefore = selectMessages + ` WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?`
	qHistoryAfter  = selectMessages + ` WHERE m.room_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`
	qIsMember      = `SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ? LIMIT 1`
	qLastSeq       = `SELECT last_seq, rev FROM rooms WHERE id = ?`
	qMemberLastSeq = `SELECT r.last_seq, r.rev, EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = ?) FROM rooms r WHERE r.id = ?`

	// unreadOf is member m's unread count in room r: the room's messages
	// (msg_count) less those up to the pointer — the ordinal n of the
	// newest message at or before it, one probe of the (room_id, seq)
	// index (a row from before 000007 has n NULL: its n is its seq) — less
	// the member's own after it, which messages_room_user_seq_idx counts in
	// one index-only range scan however long the room's history is.
	unreadOf = `r.msg_count - COALESCE((SELECT COALESCE(x.n, x.seq) FROM messages x
			WHERE x.room_id = m.room_id AND x.seq <= m.last_read_seq ORDER BY x.seq DESC LIMIT 1), 0)
		- (SELECT COUNT(*) FROM messages x
			WHERE x.room_id = m.room_id AND x.user_id = m.user_id AND x.seq > m.last_read_seq)`
	// mentionsOf counts member m's mentions after the pointer: rows of
	// messages by others that are not deleted (mentions_user_room_seq_idx).
	mentionsOf = `(SELECT COUNT(*) FROM mentions x
		WHERE x.user_id = m.user_id AND x.room_id = m.room_id AND x.seq > m.last_read_seq)`
	// qStandings starts from the user (room_members_user_idx).
	qStandings = `SELECT m.room_id, r.last_seq, m.last_read_seq, ` + unreadOf + `, ` + mentionsOf + `
		FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ?`
	qStanding = `SELECT r.last_seq, m.last_read_seq, ` + unreadOf + `, ` + mentionsOf + `
		FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.room_id = ? AND m.user_id = ?`
	// qVisible is the room list: public rooms and the user's, each with
	// where the user stands (only last_seq in the rooms the user is not in).
	qVisible = `SELECT r.id, r.name, r.description, r.is_private, r.owner_id, r.created_at, r.kind, r.edit_window, r.last_seq,
		m.user_id IS NOT NULL, COALESCE(m.last_read_seq, 0),
		CASE WHEN m.user_id IS NULL THEN 0 ELSE ` + unreadOf + ` END,
		CASE WHEN m.user_id IS NULL THEN 0 ELSE ` + mentionsOf + ` END
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

// queryMessages runs one of the history statements, scans its rows and
// adds their reactions and files from the read pool.
func (db *DB) queryMessages(ctx context.Context, q string, limit int, args ...any) ([]message.Message, error) {
	stmt, err := db.hot.get(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	ms, ex, err := scanMessagePage(rows, limit)
	if err != nil || ex.none() {
		return ms, err
	}
	x, err := db.reader(ctx)
	if err != nil {
		return nil, err
	}
	return ms, x.hydrate(ms, ex)
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
// opening a room asks for — per (room, limit). A message changes only by a
// change that takes the room's next seq (an edit, a delete, a reaction) or
// with a bump of the room's rev (an account deletion renames its author, a
// file of it gets its thumbnail), and a room's seqs commit in order (the
// room row's lock is held from the seq bump to the commit), so a page read
// after the room's last_seq was T and its rev R is still exact while they
// are T and R: one primary-key read validates it, on every instance,
// whoever wrote. The version is read before the page, so a page is never
// older than the version it is kept with.
type newestPages struct {
	mu sync.Mutex
	m  map[pageKey]cachedPage
}

type pageKey struct {
	room  int64
	limit int
}

type cachedPage struct {
	v    roomVersion // the room's version when the page was read
	msgs []message.Message
}

// newestPagesMax bounds the cache: at 50 messages of ~200 B, ~40 MiB.
const newestPagesMax = 4096

func (c *newestPages) get(k pageKey, v roomVersion) ([]message.Message, bool) {
	c.mu.Lock()
	p, ok := c.m[k]
	c.mu.Unlock()
	if !ok || p.v != v {
		return nil, false
	}
	return cloneMessages(p.msgs), true // callers own what they get
}

func (c *newestPages) put(k pageKey, v roomVersion, msgs []message.Message) {
	p := cachedPage{v: v, msgs: cloneMessages(msgs)}
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
		var (
			kind       int16
			editWindow int64
		)
		if err := rows.Scan(&id, &l.Name, &l.Description, &l.IsPrivate, &owner, &createdAt, &kind, &editWindow,
			&l.Standing.LastSeq, &l.IsMember, &l.Standing.LastReadSeq, &l.Standing.Unread, &l.Standing.Mentions); err != nil {
			return nil, err
		}
		l.ID, l.OwnerID, l.CreatedAt = room.ID(id), user.ID(owner), createdAt.UTC()
		l.Kind, l.EditWindow = room.Kind(kind), time.Duration(editWindow)*time.Second
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
		if err := rows.Scan(&r, &st.LastSeq, &st.LastReadSeq, &st.Unread, &st.Mentions); err != nil {
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
	switch err := stmt.QueryRowContext(ctx, r, u).Scan(&st.LastSeq, &st.LastReadSeq, &st.Unread, &st.Mentions); err {
	case nil:
		return st, true, nil
	case sql.ErrNoRows:
		return room.Standing{}, false, nil
	default:
		return room.Standing{}, false, err
	}
}
