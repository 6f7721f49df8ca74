package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"chat/adapters/textindex"
)

// appendBatch stores a batch of messages in one transaction, giving each
// the meaning Append has for it, taken in arrival order:
//
//   - A message whose (user, room, client key) is stored already answers
//     with that copy; a later message of the batch with the key of an
//     earlier one answers with the earlier one's copy. Neither takes a seq.
//     The same key with other content is refused (client_id_reused).
//   - The batch's rooms are locked in ascending id order (concurrent
//     batches of other instances cannot deadlock on them) and their
//     counters read; the new messages take the next seqs (and message
//     ordinals, n) in arrival order. A room that does not exist fails only
//     its own messages.
//   - The counters are set, the new messages inserted, and the
//     transaction committed.
//
// The reads form one round trip to the database and the writes with the
// commit another, whatever the batch's size (PostgreSQL pipelines them).
// PostgreSQL first tries the whole in one round trip (appendOneTrip),
// which holds when no key of the batch is stored yet.
//
// An error fails the whole transaction; the caller decides whether to
// append the items one by one. A result with errAppendAlone is for the
// caller to append by itself.
func (db *DB) appendBatch(ctx context.Context, batch []*appendRequest) ([]appendResult, error) {
	pool, err := db.write.DB()
	if err != nil {
		return nil, err
	}
	if db.dialect == Postgres {
		results, err := appendOneTrip(ctx, pool, batch, db.indexed)
		if err == nil || !itemFault(err) {
			return results, err
		}
	}
	p := newBatchPlan(batch)
	placed, err := batchDialects[db.dialect].appendTx(ctx, pool, db.indexed, p.read, p.write)
	if err != nil {
		return nil, err
	}
	return p.results(placed)
}

// batchRead is what a batch reads before it writes.
type batchRead struct {
	users    []int64 // the client keys: users[i], keyRooms[i], clients[i]
	keyRooms []int64
	clients  []string
	rooms    []int64 // ascending
}

// batchWrite is what a batch writes, decided from what it read.
type batchWrite struct {
	rooms, lastSeqs, msgCounts []int64 // each room's new counters
	rows                       []messageRow
	docs                       []textindex.Doc // rows[i]'s search index entry (when the index is on)
}

// roomCounters are a room's last seq (of a message or a change) and its
// count of messages, which the last message's n equals.
type roomCounters struct{ lastSeq, msgCount int64 }

type batchTx interface {
	// appendTx reads, in one transaction, the stored messages with any of
	// in's client keys and the counters of in's rooms (locking them), hands
	// them to plan, writes what plan returns (with the new rows' search
	// index entries when indexed), commits, and returns where the rows
	// went.
	appendTx(ctx context.Context, pool *sql.DB, indexed bool, in batchRead,
		plan func(stored []messageRow, counters map[int64]roomCounters) (batchWrite, error)) (map[roomSeq]placedRow, error)
}

var batchDialects = map[string]batchTx{Postgres: pgBatch{}, SQLite: liteBatch{}}

// clientKey is a message's idempotency key: the sender's client_id is
// unique per sender and room.
type clientKey struct {
	user   int64
	room   int64
	client string
}

func keyOf(r messageRow) (clientKey, bool) {
	if r.ClientID == nil {
		return clientKey{}, false
	}
	return clientKey{r.UserID, r.RoomID, *r.ClientID}, true
}

type roomSeq struct{ room, seq int64 }

// placedRow is an inserted row's id and seq, found by the room and seq
// the plan gave it.
type placedRow struct{ id, seq int64 }

// batchPlan decides, from what the transaction read, what each item of a
// batch becomes.
type batchPlan struct {
	batch   []*appendRequest
	read    batchRead
	answers []appendResult
	// firstOf[i] is inserted, known (answers[i] holds the stored copy),
	// or the index of the earlier item whose copy item i answers with.
	firstOf []int
}

const (
	inserted = -1
	known    = -2
)

// errAppendAlone marks an item to be appended after its batch commits: a
// retry whose first copy, earlier in the batch, failed.
var errAppendAlone = errors.New("append after the batch")

func newBatchPlan(batch []*appendRequest) *batchPlan {
	p := &batchPlan{batch: batch, answers: make([]appendResult, len(batch)), firstOf: make([]int, len(batch))}
	seen := map[int64]bool{}
	for _, req := range batch {
		if k, ok := keyOf(req.row); ok {
			p.read.users, p.read.clients = append(p.read.users, k.user), append(p.read.clients, k.client)
			p.read.keyRooms = append(p.read.keyRooms, k.room)
		}
		if !seen[req.row.RoomID] {
			seen[req.row.RoomID] = true
			p.read.rooms = append(p.read.rooms, req.row.RoomID)
		}
	}
	slices.Sort(p.read.rooms)
	return p
}

func (p *batchPlan) write(stored []messageRow, counters map[int64]roomCounters) (batchWrite, error) {
	byKey := make(map[clientKey]messageRow, len(stored))
	for _, m := range stored {
		k, _ := keyOf(m)
		byKey[k] = m
	}
	firstByKey := map[clientKey]int{}
	next := map[int64]roomCounters{}
	var w batchWrite
	for i, req := range p.batch {
		p.firstOf[i] = inserted
		if k, ok := keyOf(req.row); ok {
			if m, ok := byKey[k]; ok {
				p.firstOf[i], p.answers[i] = known, retryOf(m, req.row)
				continue
			}
			if j, ok := firstByKey[k]; ok {
				if p.batch[j].row.Content != req.row.Content {
					p.firstOf[i], p.answers[i] = known, appendResult{err: errClientIDReused()}
					continue
				}
				p.firstOf[i] = j
				continue
			}
			firstByKey[k] = i
		}
		c, ok := counters[req.row.RoomID]
		if !ok {
			p.answers[i].err = errRoomNotFound(nil)
			continue
		}
		if n, ok := next[req.row.RoomID]; ok {
			c = n
		}
		c.lastSeq++
		c.msgCount++
		n := c.msgCount
		req.row.Seq, req.row.N = c.lastSeq, &n
		next[req.row.RoomID] = c
		w.rows = append(w.rows, req.row)
		w.docs = append(w.docs, req.doc)
	}
	for _, r := range p.read.rooms {
		if c, ok := next[r]; ok {
			w.rooms, w.lastSeqs, w.msgCounts = append(w.rooms, r), append(w.lastSeqs, c.lastSeq), append(w.msgCounts, c.msgCount)
		}
	}
	return w, nil
}

// retryOf answers a message whose key is stored as stored: a retry when
// the content is the same, a refused reuse of the key otherwise.
func retryOf(stored, row messageRow) appendResult {
	if stored.Content != row.Content {
		return appendResult{err: errClientIDReused()}
	}
	return appendResult{m: stored.domain()}
}

// results answers each item once its rows are placed. A new message
// missing from placed failed: its room does not exist when no row of
// the room was placed, otherwise the insert lost it.
func (p *batchPlan) results(placed map[roomSeq]placedRow) ([]appendResult, error) {
	rooms := make(map[int64]bool, len(placed))
	for k := range placed {
		rooms[k.room] = true
	}
	for i, req := range p.batch {
		if p.firstOf[i] != inserted || p.answers[i].err != nil {
			continue
		}
		at, ok := placed[roomSeq{req.row.RoomID, req.row.Seq}]
		switch {
		case ok:
			req.row.ID, req.row.Seq = at.id, at.seq
			p.answers[i] = appendResult{m: req.row.domain(), created: true}
		case !rooms[req.row.RoomID]:
			p.answers[i].err = errRoomNotFound(nil)
		default:
			return nil, fmt.Errorf("insert returned no row for room %d seq %d", req.row.RoomID, req.row.Seq)
		}
	}
	for i, first := range p.firstOf {
		switch {
		case first < 0:
		case p.answers[first].err != nil:
			// The first copy's room does not exist, so nothing with the
			// key is stored and this one is new.
			p.answers[i] = appendResult{err: errAppendAlone}
		default:
			p.answers[i] = appendResult{m: p.answers[first].m}
		}
	}
	return p.answers, nil
}

// appendOneTrip is appendBatch on PostgreSQL in one round trip, for a
// batch none of whose keys is stored: it plans as if every room's counters
// were 0, so each new message's seq (and n) is its rank among its room's
// new messages, and lets the insert add the counters it bumped. A key that
// is stored after all fails the insert (messages_user_room_client_key): the
// caller then takes the way that reads first. With the index on, the
// same statement indexes the rows it inserts.
func appendOneTrip(ctx context.Context, pool *sql.DB, batch []*appendRequest, indexed bool) ([]appendResult, error) {
	p := newBatchPlan(batch)
	zero := make(map[int64]roomCounters, len(p.read.rooms))
	for _, r := range p.read.rooms {
		zero[r] = roomCounters{}
	}
	w, err := p.write(nil, zero) // w.lastSeqs: each room's count of new messages
	if err != nil {
		return nil, err
	}
	placed := map[roomSeq]placedRow{}
	err = pgPipeline(ctx, pool, func(c *pgx.Conn) error {
		var b pgx.Batch
		b.Queue("BEGIN")
		b.Queue(pgLockRooms, w.rooms)
		stmt, args := pgBumpInsert, append([]any{w.rooms, w.lastSeqs}, pgColumns(w.rows)...)
		if indexed {
			stmt, args = pgBumpInsertIndexed, append(args, pgDocColumns(w.docs)...)
		}
		b.Queue(stmt, args...).Query(func(rows pgx.Rows) error {
			defer rows.Close()
			for rows.Next() {
				var id, room, rank, seq int64
				if err := rows.Scan(&id, &room, &rank, &seq); err != nil {
					return err
				}
				placed[roomSeq{room, rank}] = placedRow{id, seq}
			}
			return rows.Err()
		})
		return pgCommit(ctx, c, &b)
	})
	if err != nil {
		return nil, err
	}
	return p.results(placed)
}

// messageColumns are the columns of messageRow but n, which nothing reads
// back through it.
const messageColumns = `id, room_id, seq, user_id, username, content, client_id, created_at`

// pgBatch pipelines each round trip's statements on the pgx connection
// under the pool's, and passes each column as one array parameter, so
// every statement has one text whatever the batch's size and pgx prepares
// it once per connection.
type pgBatch struct{}

const (
	// One probe of messages_user_room_client_key per key. A join would do,
	// but pgx prepares each statement once per connection and PostgreSQL
	// then settles on a generic plan: planned on a small table it would
	// scan the whole table on every batch after it has grown. LIMIT keeps
	// the probe a parameterised index scan whatever the table's size.
	pgExisting = `SELECT m.* FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS k(user_id, room_id, client_id)
		CROSS JOIN LATERAL (SELECT ` + messageColumns + ` FROM messages
			WHERE messages.user_id = k.user_id AND messages.room_id = k.room_id
				AND messages.client_id = k.client_id AND messages.client_id IS NOT NULL
			LIMIT 1) AS m`
	// Row locks are taken in the order the rows leave the sort. NO KEY
	// UPDATE is the lock the UPDATE takes anyway: unlike FOR UPDATE it
	// lets foreign key checks on the room (a member or a message being
	// added elsewhere) go on.
	pgLockRooms = `SELECT id, last_seq, msg_count FROM rooms WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`
	pgSetSeqs   = `UPDATE rooms SET last_seq = v.last_seq, msg_count = v.msg_count
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(id, last_seq, msg_count) WHERE rooms.id = v.id`
	// pgBumpInsert adds each room's count to its counters and inserts the
	// messages with seq = the last seq before + rank and n = the message
	// count before + rank ($4: the rank; $5, the plan's n, is the rank
	// too). A room that does not exist bumps nothing and inserts nothing.
	// It answers id, room, rank and seq of each row.
	pgBumpInsert        = pgBumpInsertRows + pgBumpInserted
	pgBumpInsertIndexed = pgBumpInsertRows + `, indexed AS (
			INSERT INTO message_search (message_id, room_id, body, tokens)
			SELECT ins.id, ins.room_id, d.body, array_to_tsvector(string_to_array(d.tokens, ' '))
			FROM ins JOIN bumped AS b ON b.id = ins.room_id
			JOIN unnest($3::bigint[], $4::bigint[], $11::text[], $12::text[]) AS d(room_id, rank, body, tokens)
				ON d.room_id = ins.room_id AND d.rank = ins.seq - b.base
		)` + pgBumpInserted
	pgBumpInsertRows = `WITH bumped AS (
			UPDATE rooms SET last_seq = rooms.last_seq + v.k, msg_count = rooms.msg_count + v.k
			FROM unnest($1::bigint[], $2::bigint[]) AS v(id, k)
			WHERE rooms.id = v.id RETURNING rooms.id, rooms.last_seq - v.k AS base, rooms.msg_count - v.k AS nbase
		), ins AS (
			INSERT INTO messages (room_id, seq, n, user_id, username, content, client_id, created_at)
			SELECT m.room_id, b.base + m.rank, b.nbase + m.rank, m.user_id, m.username, m.content, m.client_id, m.created_at
			FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])
				WITH ORDINALITY AS m(room_id, rank, n, user_id, username, content, client_id, created_at, ord)
			JOIN bumped AS b ON b.id = m.room_id
			ORDER BY m.ord
			RETURNING id, room_id, seq
		)`
	pgBumpInserted = `
		SELECT ins.id, ins.room_id, ins.seq - b.base, ins.seq FROM ins JOIN bumped AS b ON b.id = ins.room_id`
	pgInsertRows = `INSERT INTO messages (room_id, seq, n, user_id, username, content, client_id, created_at)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
		RETURNING id, room_id, seq`
	pgInsert = pgInsertRows
	// pgInsertIndexed indexes the rows it inserts ($9, $10: their docs'
	// bodies and tokens), found by room and seq.
	pgInsertIndexed = `WITH ins AS (` + pgInsertRows + `), indexed AS (
			INSERT INTO message_search (message_id, room_id, body, tokens)
			SELECT ins.id, ins.room_id, d.body, array_to_tsvector(string_to_array(d.tokens, ' '))
			FROM ins JOIN unnest($1::bigint[], $2::bigint[], $9::text[], $10::text[]) AS d(room_id, seq, body, tokens)
				ON d.room_id = ins.room_id AND d.seq = ins.seq
		)
		SELECT id, room_id, seq FROM ins`
)

func (pgBatch) appendTx(ctx context.Context, pool *sql.DB, indexed bool, in batchRead,
	plan func([]messageRow, map[int64]roomCounters) (batchWrite, error)) (map[roomSeq]placedRow, error) {
	var placed map[roomSeq]placedRow
	err := pgPipeline(ctx, pool, func(c *pgx.Conn) error {
		var reads pgx.Batch
		reads.Queue("BEGIN")
		var stored []messageRow
		if len(in.users) > 0 {
			reads.Queue(pgExisting, in.users, in.keyRooms, in.clients).Query(func(rows pgx.Rows) error {
				var err error
				stored, err = scanMessages(rows)
				return err
			})
		}
		counters := map[int64]roomCounters{}
		reads.Queue(pgLockRooms, in.rooms).Query(func(rows pgx.Rows) error {
			return scanCounters(rows, counters)
		})
		if err := c.SendBatch(ctx, &reads).Close(); err != nil {
			return pgRollback(c, err)
		}
		w, err := plan(stored, counters)
		if err != nil {
			return pgRollback(c, err)
		}
		var writes pgx.Batch
		if len(w.rooms) > 0 {
			writes.Queue(pgSetSeqs, w.rooms, w.lastSeqs, w.msgCounts)
		}
		if len(w.rows) > 0 {
			stmt, args := pgInsert, pgColumns(w.rows)
			if indexed {
				stmt, args = pgInsertIndexed, append(args, pgDocColumns(w.docs)...)
			}
			writes.Queue(stmt, args...).Query(func(rows pgx.Rows) error {
				var err error
				placed, err = scanPlaced(rows)
				return err
			})
		}
		return pgCommit(ctx, c, &writes)
	})
	return placed, err
}

// pgPipeline runs f on the pgx connection under one of the pool's.
func pgPipeline(ctx context.Context, pool *sql.DB, f func(*pgx.Conn) error) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error { return f(dc.(*stdlib.Conn).Conn()) })
}

// pgCommit queues COMMIT after b's statements, sends them, and reports
// whether the transaction committed.
func pgCommit(ctx context.Context, c *pgx.Conn, b *pgx.Batch) error {
	var committed bool
	b.Queue("COMMIT").Exec(func(tag pgconn.CommandTag) error {
		committed = tag.String() == "COMMIT"
		return nil
	})
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		return pgRollback(c, err)
	}
	if !committed {
		return errors.New("commit rolled back")
	}
	return nil
}

// pgRollback ends the transaction a failed batch left open; if it cannot,
// the pool discards the connection, whose transaction then ends with it.
func pgRollback(c *pgx.Conn, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Exec(ctx, "ROLLBACK")
	return err
}

func pgColumns(rows []messageRow) []any {
	n := len(rows)
	roomIDs, seqs, ns, userIDs := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	names, contents, clients := make([]string, n), make([]string, n), make([]*string, n)
	times := make([]time.Time, n)
	for i, r := range rows {
		roomIDs[i], seqs[i], ns[i], userIDs[i] = r.RoomID, r.Seq, *r.N, r.UserID
		names[i], contents[i], clients[i], times[i] = r.Username, r.Content, r.ClientID, r.CreatedAt
	}
	return []any{roomIDs, seqs, ns, userIDs, names, contents, clients, times}
}

// pgDocColumns are the bodies and the tokens of docs, two arrays.
func pgDocColumns(docs []textindex.Doc) []any {
	bodies, tokens := make([]string, len(docs)), make([]string, len(docs))
	for i, d := range docs {
		bodies[i], tokens[i] = d.Body, d.Tokens
	}
	return []any{bodies, tokens}
}

// liteBatch lists the values in each statement; SQLite runs in process, so
// a statement costs a parse, not a round trip. Its write transactions
// begin IMMEDIATE (sqliteParams): the batch holds the one write lock from
// its first read.
type liteBatch struct{}

func (liteBatch) appendTx(ctx context.Context, pool *sql.DB, indexed bool, in batchRead,
	plan func([]messageRow, map[int64]roomCounters) (batchWrite, error)) (map[roomSeq]placedRow, error) {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var stored []messageRow
	if len(in.users) > 0 {
		args := make([]any, 0, 3*len(in.users))
		for i := range in.users {
			args = append(args, in.users[i], in.keyRooms[i], in.clients[i])
		}
		// Driven by the keys, one index probe each; "(user_id, room_id,
		// client_id) IN (VALUES ...)" would scan the whole index.
		rows, err := tx.QueryContext(ctx, `SELECT m.`+strings.ReplaceAll(messageColumns, ", ", ", m.")+`
			FROM (VALUES `+placeholders(len(in.users), 3)+`) AS k
			JOIN messages AS m ON m.user_id = k.column1 AND m.room_id = k.column2
				AND m.client_id = k.column3 AND m.client_id IS NOT NULL`, args...)
		if err != nil {
			return nil, err
		}
		if stored, err = scanMessages(sqlRows{rows}); err != nil {
			return nil, err
		}
	}
	counters := map[int64]roomCounters{}
	rows, err := tx.QueryContext(ctx, `SELECT id, last_seq, msg_count FROM rooms WHERE id IN (`+placeholders(len(in.rooms), 1)+`)`, int64Args(in.rooms)...)
	if err != nil {
		return nil, err
	}
	if err := scanCounters(sqlRows{rows}, counters); err != nil {
		return nil, err
	}
	w, err := plan(stored, counters)
	if err != nil {
		return nil, err
	}
	if len(w.rooms) > 0 {
		var q strings.Builder
		args := make([]any, 0, 5*len(w.rooms))
		q.WriteString(`UPDATE rooms SET`)
		for i, set := range []struct {
			col string
			vs  []int64
		}{{"last_seq", w.lastSeqs}, {"msg_count", w.msgCounts}} {
			if i > 0 {
				q.WriteString(`,`)
			}
			q.WriteString(` ` + set.col + ` = CASE id`)
			for j, r := range w.rooms {
				q.WriteString(` WHEN ? THEN ?`)
				args = append(args, r, set.vs[j])
			}
			q.WriteString(` END`)
		}
		q.WriteString(` WHERE id IN (` + placeholders(len(w.rooms), 1) + `)`)
		if _, err := tx.ExecContext(ctx, q.String(), append(args, int64Args(w.rooms)...)...); err != nil {
			return nil, err
		}
	}
	var placed map[roomSeq]placedRow
	if len(w.rows) > 0 {
		args := make([]any, 0, 8*len(w.rows))
		for _, r := range w.rows {
			args = append(args, r.RoomID, r.Seq, *r.N, r.UserID, r.Username, r.Content, r.ClientID, r.CreatedAt)
		}
		rows, err := tx.QueryContext(ctx, `INSERT INTO messages (room_id, seq, n, user_id, username, content, client_id, created_at)
			VALUES `+placeholders(len(w.rows), 8)+` RETURNING id, room_id, seq`, args...)
		if err != nil {
			return nil, err
		}
		if placed, err = scanPlaced(sqlRows{rows}); err != nil {
			return nil, err
		}
		if indexed {
			if err := liteIndexRows(ctx, tx, w, placed); err != nil {
				return nil, err
			}
		}
	}
	return placed, tx.Commit()
}

// liteIndexRows inserts the search index entries of the rows a batch
// placed.
func liteIndexRows(ctx context.Context, tx *sql.Tx, w batchWrite, placed map[roomSeq]placedRow) error {
	ids, rooms := make([]int64, 0, len(w.rows)), make([]int64, 0, len(w.rows))
	docs := make([]textindex.Doc, 0, len(w.rows))
	for i, r := range w.rows {
		if at, ok := placed[roomSeq{r.RoomID, r.Seq}]; ok { // else its room does not exist (results answers it)
			ids, rooms, docs = append(ids, at.id), append(rooms, r.RoomID), append(docs, w.docs[i])
		}
	}
	return sqlq{ctx: ctx, q: tx, tx: tx, dialect: SQLite}.indexRows(ids, rooms, docs, true)
}

func int64Args(vs []int64) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// placeholders returns n tuples of width question marks: "(?, ?), (?, ?)",
// or "?, ?" for width 1.
func placeholders(n, width int) string {
	tuple := strings.TrimSuffix(strings.Repeat("?, ", width), ", ")
	if width > 1 {
		tuple = "(" + tuple + ")"
	}
	return strings.TrimSuffix(strings.Repeat(tuple+", ", n), ", ")
}

// rowScanner is what pgx.Rows and *sql.Rows have in common.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// sqlRows gives *sql.Rows the Close without a result that pgx.Rows has.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

func scanMessages(rs rowScanner) ([]messageRow, error) {
	defer rs.Close()
	var out []messageRow
	for rs.Next() {
		var m messageRow
		if err := rs.Scan(&m.ID, &m.RoomID, &m.Seq, &m.UserID, &m.Username, &m.Content, &m.ClientID, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rs.Err()
}

func scanCounters(rs rowScanner, into map[int64]roomCounters) error {
	defer rs.Close()
	for rs.Next() {
		var k int64
		var c roomCounters
		if err := rs.Scan(&k, &c.lastSeq, &c.msgCount); err != nil {
			return err
		}
		into[k] = c
	}
	return rs.Err()
}

func scanPlaced(rs rowScanner) (map[roomSeq]placedRow, error) {
	defer rs.Close()
	out := map[roomSeq]placedRow{}
	for rs.Next() {
		var id int64
		var k roomSeq
		if err := rs.Scan(&id, &k.room, &k.seq); err != nil {
			return nil, err
		}
		out[k] = placedRow{id, k.seq}
	}
	return out, rs.Err()
}
