package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"chat/adapters/textindex"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The search index (migration 000008) holds, for every message that is
// not deleted, indexDoc of its current text: the folded body for
// substring forms and the hex tokens for short forms. PostgreSQL keeps
// both in message_search (a trigram GIN index on body, a GIN index on the
// tokens' tsvector); SQLite in one contentless FTS5 table keyed by the
// message's id, both columns under the trigram tokenizer. The writers of
// a message's text keep it in their own transaction: appends index
// (appendOne here, the batches in append_batch_sql.go), an edit replaces
// the row, a deletion purges it and a room's deletion its rows.

var _ ports.SearchStore = (*SearchStore)(nil)

// SearchStore implements ports.SearchStore on the search index.
type SearchStore struct{ db *DB }

// Search returns the ports.SearchStore.
func (db *DB) Search() *SearchStore { return &SearchStore{db} }

func errSearchOff() error {
	return domain.Errorf(domain.Unavailable, "search_off", "search is turned off on this server")
}

// indexDoc is what the dialect's index keeps of content: textindex.NewDoc's
// folded body, and of its tokens only those shorter than
// textindex.SubstringMin runes. A longer form of a query always matches as
// a substring of the body, never as a token, so longer tokens would cost
// every append (their share of the tsvector's GIN entries, of the FTS5
// table's trigrams) and serve no search. PostgreSQL's tokens are hex
// lexemes (textindex.EncodeToken), separated by spaces; SQLite's are the
// tokens themselves, each between liteTokenOpen and liteTokenClose
// (liteToken), one after the other.
func indexDoc(dialect, content string) textindex.Doc {
	body := textindex.Fold(content)
	var b strings.Builder
	for _, t := range textindex.ShortTokens(body) {
		if dialect == SQLite {
			b.WriteString(liteToken(t))
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(textindex.EncodeToken(t))
	}
	return textindex.Doc{Body: body, Tokens: b.String()}
}

// SQLite's FTS5 table keeps no positions (migration 000011: detail=none),
// so a query is an AND of trigrams, each anywhere in the row. A short
// token (one or two runes) is written between two control characters that
// chat text seldom holds: "go" is "\x01go\x02", whose two trigrams "\x01go"
// and "go\x02" occur together only where "go" is a whole token (or where a
// message's own text holds them: the index's candidates are checked with
// Query.Matches, liteIndex).
const liteTokenOpen, liteTokenClose = "\x01", "\x02"

func liteToken(t string) string { return liteTokenOpen + t + liteTokenClose }

// indexMessage writes message id's row for content (indexRows). Appends
// call it only with the index on; edits call it always, so that rows stay
// current while it is off and switching it back on has only the messages
// appended meanwhile to index.
func (x sqlq) indexMessage(id, roomID int64, content string, fresh bool) error {
	return x.indexRows([]int64{id}, []int64{roomID}, []textindex.Doc{indexDoc(x.dialect, content)}, fresh)
}

// indexRows writes the index rows of messages ids (of rooms, with docs),
// replacing the rows there are, one statement per table: PostgreSQL
// rewrites a row only where its text changed; SQLite's contentless
// tables cannot tell, and replace it. fresh says the ids were just
// inserted, so no row can be there: SQLite then takes a plain insert,
// which costs less than a replace.
func (x sqlq) indexRows(ids, rooms []int64, docs []textindex.Doc, fresh bool) error {
	if len(ids) == 0 {
		return nil
	}
	if x.dialect == Postgres {
		_, err := x.exec(`INSERT INTO message_search (message_id, room_id, body, tokens)
			SELECT d.id, d.room_id, d.body, array_to_tsvector(string_to_array(d.tokens, ' '))
			FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS d(id, room_id, body, tokens)
			ON CONFLICT (message_id) DO UPDATE SET body = excluded.body, tokens = excluded.tokens
			WHERE message_search.body <> excluded.body`, append([]any{ids, rooms}, pgDocColumns(docs)...)...)
		return err
	}
	verb := `INSERT OR REPLACE INTO `
	if fresh {
		verb = `INSERT INTO `
	}
	args := make([]any, 0, 3*len(ids))
	for i, id := range ids {
		args = append(args, id, docs[i].Body, docs[i].Tokens)
	}
	_, err := x.exec(verb+`message_search (rowid, body, tokens) VALUES `+placeholders(len(ids), 3), args...)
	return err
}

// unindexMessage purges message id's row. It runs with the index off
// too: a deleted message's text must not stay behind in any table.
func (x sqlq) unindexMessage(id int64) error {
	q := `DELETE FROM message_search WHERE rowid = ?`
	if x.dialect == Postgres {
		q = `DELETE FROM message_search WHERE message_id = ?`
	}
	_, err := x.exec(q, id)
	return err
}

// sqliteUnindexRoom purges the rows of room ? before the room and its
// messages go (an FTS5 table has no foreign keys, and knows no rooms);
// pgUnindexRoom after the room's row (PostgreSQL's rows keep their room,
// and reference no message since migration 000011).
const (
	sqliteUnindexRoom = `DELETE FROM message_search WHERE rowid IN (SELECT id FROM messages WHERE room_id = ?)`
	pgUnindexRoom     = `DELETE FROM message_search WHERE room_id = ?`
)

// searchWalk is about how many of the newest messages of the rooms
// searched a search checks one by one before it asks the index
// (DB.searchWalk: tests take none, or a few).
const searchWalk = 2000

// Search takes two ways to the newest hits, because neither finds them
// fast for every word. Walking the rooms' newest messages and checking
// each (walk) fills a common word's page within the first few dozen,
// where the index would hand over every one of its thousands of matches
// to be sorted; the index (pgSearchIndex, liteIndex) finds a rare word's
// few matches at once, where a walk would read the whole history. The walk goes
// first (on SQLite only over rooms that hold few of all messages: FTS5
// gives its matches newest first), and the index finds the rest below
// the messages it checked, so the page is exact either way. Every
// statement is bounded by the store's timeout.
func (s *SearchStore) Search(ctx context.Context, rooms []room.ID, q message.SearchQuery) ([]message.Hit, error) {
	if !s.db.indexed {
		return nil, errSearchOff()
	}
	if len(rooms) == 0 || len(q.Terms) == 0 {
		return nil, nil
	}
	if err := checkLimit(q.Limit); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.db.timeout)
	defer cancel()
	x, err := s.db.reader(ctx)
	if err != nil {
		return nil, fail("search messages", err)
	}
	cq := textindex.Compile(q)
	ids := make([]int64, len(rooms))
	for i, r := range rooms {
		ids[i] = int64(r)
	}
	below := int64(q.Before)
	if below <= 0 {
		below = maxID
	}
	hits, below, err := s.walk(x, ids, cq, below, q.Limit)
	if err != nil {
		return nil, fail("search messages", err)
	}
	if len(hits) == q.Limit || below <= 1 {
		return hits, nil
	}
	if x.dialect == SQLite {
		more, err := liteIndex(x, ids, cq, below, q.Limit-len(hits))
		return append(hits, more...), fail("search messages", err)
	}
	stmt, args := pgSearchIndex(ids, searchTerms(cq), below, q.Limit-len(hits))
	rows, err := x.query(stmt, args...)
	if err != nil {
		return nil, fail("search messages", err)
	}
	defer rows.Close()
	for rows.Next() {
		h, err := scanHit(rows, cq)
		if err != nil {
			return nil, fail("search messages", err)
		}
		hits = append(hits, h)
	}
	return hits, fail("search messages", rows.Err())
}

// searchWalkMost bounds a walk, in windows of about searchWalk messages:
// PostgreSQL's index hands over all its candidates unordered, and over a
// good share of all messages walking on is worth it while the hits come;
// SQLite's FTS5 hands its matches newest first, so one window is enough.
var searchWalkMost = map[string]int{Postgres: 8, SQLite: 1}

// walk checks the messages of rooms below id `below`, newest first,
// window after window, until limit match. A window is an id range chosen
// to hold about searchWalk of the rooms' messages, however many rooms
// there are and however busy: searchWalk times the number of messages per
// message of the rooms (their msg_count against the newest id). After the
// first, the walk goes on only when it found hits at a rate that fills
// the page within searchWalkMost windows in all (a phrase or a middling
// word: walking on is cheaper than the index's candidates); none at all,
// and the index will do better. On SQLite it walks only rooms that hold
// few of all messages: elsewhere FTS5's newest matches fill the page
// sooner. It returns the hits and the floor of what it checked: every
// message of the rooms with an id from the floor up to below (a floor of
// 0 or 1: all of them).
func (s *SearchStore) walk(x sqlq, rooms []int64, cq textindex.Query, below int64, limit int) ([]message.Hit, int64, error) {
	if s.db.searchWalk <= 0 {
		return nil, below, nil
	}
	inRooms, args := in(x.dialect, "id", rooms)
	var own, newest int64
	if err := x.row(`SELECT (SELECT COALESCE(SUM(msg_count), 0) FROM rooms WHERE `+inRooms+`),
		(SELECT COALESCE(MAX(id), 0) FROM messages)`, append(execMode(x.dialect), args...)...).Scan(&own, &newest); err != nil {
		return nil, 0, err
	}
	below = min(below, newest+1)
	if own == 0 || below <= 1 {
		return nil, 0, nil
	}
	if x.dialect == SQLite && own*int64(s.db.searchWalk) >= int64(limit)*newest {
		// FTS5 gives its matches newest first, and about one in
		// newest/own is in the rooms: the page comes within fewer
		// candidates than the walk would read messages.
		return nil, below, nil
	}
	// PostgreSQL reads the window in id order when the rooms hold a tenth
	// of all messages or more (pgWalk). With fewer, each of the window's
	// messages is a page of its own, while the index's candidates are
	// narrowed to the rooms (a BitmapAnd with the (room_id, message_id)
	// index): one window of half the size is enough, for the common words.
	walk := int64(s.db.searchWalk)
	stream := own*10 >= newest
	most := searchWalkMost[x.dialect]
	if !stream && x.dialect == Postgres {
		walk, most = max(walk/2, 1), 1
	}
	span := max(walk, walk*newest/own) // ids per window
	var hits []message.Hit
	for walked, size := 0, 1; ; {
		lo := max(below-int64(size)*span, 0)
		var (
			more []message.Hit
			err  error
		)
		if x.dialect == Postgres {
			more, below, err = pgWalk(x, rooms, cq, lo, below, limit-len(hits), stream)
		} else {
			more, below, err = liteWalk(x, rooms, cq, lo, below, limit-len(hits), 4*size*s.db.searchWalk)
		}
		if err != nil {
			return nil, 0, err
		}
		hits, walked = append(hits, more...), walked+size
		found := len(hits)
		if found == 0 || found == limit || below <= 1 {
			return hits, below, nil
		}
		// The windows the rest needs at the rate so far, and a quarter
		// more.
		size = ((limit-found)*walked*5 + 4*found - 1) / (4 * found)
		if walked+size > most {
			return hits, below, nil
		}
	}
}

// execMode is the first argument of a search statement: on PostgreSQL,
// pgx.QueryExecModeExec, so that each one is planned with its own words,
// rooms and bounds instead of by a cached generic plan that knows none of
// them (a room's walk would then scan the whole table).
func execMode(dialect string) []any {
	if dialect == Postgres {
		return []any{pgx.QueryExecModeExec}
	}
	return nil
}

// pgWalk checks the rows of message_search in the window with SQL that
// no index serves (strpos for substrings, ts_match_vq for tokens: the
// operators LIKE and @@ would invite the trigram and tsvector indexes).
// When the rooms hold a good share of all messages (stream), it lets the
// planner read the window in id order, through the primary key, and stop
// at the page. Otherwise the primary key's order would read every room's
// messages in the window to keep the few of the rooms searched, so the
// window's rows are first collected through the (room_id, message_id)
// index in a MATERIALIZED CTE (a fence: given the LIMIT, the planner
// would still hope for the primary key's early matches), then checked.
func pgWalk(x sqlq, rooms []int64, cq textindex.Query, lo, below int64, limit int, stream bool) ([]message.Hit, int64, error) {
	var b strings.Builder
	args := execMode(Postgres)
	inRooms := `s.room_id = ANY(?) AND s.message_id >= ? AND s.message_id < ?`
	if stream {
		// room_id + 0: no index serves it, so the planner cannot
		// probe the (room_id, message_id) index once per room (for a
		// member of 1,000 rooms, 1,000 probes and a sort: 40 ms a
		// window on the 1M corpus) and reads the window backwards
		// through the primary key instead, stopping at the page (3 ms).
		b.WriteString(`SELECT ` + hitColumns + ` FROM message_search s JOIN messages m ON m.id = s.message_id
			WHERE (s.room_id + 0) = ANY(?) AND s.message_id >= ? AND s.message_id < ?`)
	} else {
		b.WriteString(`WITH s AS MATERIALIZED (SELECT s.message_id, s.body, s.tokens FROM message_search s WHERE ` + inRooms + `)
			SELECT ` + hitColumns + ` FROM s JOIN messages m ON m.id = s.message_id WHERE true`)
	}
	args = pgMatch(&b, append(args, rooms, lo, below), searchTerms(cq), false)
	b.WriteString(` AND m.deleted_at IS NULL ORDER BY s.message_id DESC LIMIT ?`)
	rows, err := x.query(b.String(), append(args, limit)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var hits []message.Hit
	for rows.Next() {
		h, err := scanHit(rows, cq)
		if err != nil {
			return nil, 0, err
		}
		hits = append(hits, h)
	}
	return hits, lo, rows.Err()
}

// liteWalk reads the messages themselves and checks them in Go with
// Query.Matches, the meaning the FTS5 table implements (contentless, it
// cannot give a row's text back to check), stopping at the page or at
// most rows: a window denser than the rooms' average then has its floor
// at the last message read. It reads only each message's id and text
// (the driver converts every column of every row: a one-room walk reads
// its 1,000 messages), and then the hits' whole rows; a hit deleted or
// edited away in between is left out, as it would be a moment later.
func liteWalk(x sqlq, rooms []int64, cq textindex.Query, lo, below int64, limit, most int) ([]message.Hit, int64, error) {
	inRooms, args := in(SQLite, "m.room_id", rooms)
	if len(rooms) == 1 { // the (room_id, id) index, in order: no sort
		inRooms, args = `m.room_id = ?`, []any{rooms[0]}
	}
	rows, err := x.query(`SELECT m.id, m.content FROM messages m
		WHERE `+inRooms+` AND m.id >= ? AND m.id < ? AND m.deleted_at IS NULL ORDER BY m.id DESC LIMIT ?`,
		append(args, lo, below, most)...)
	if err != nil {
		return nil, 0, err
	}
	var hits []int64
	read, floor := 0, lo
	for rows.Next() {
		var (
			id      int64
			content string
		)
		if err := rows.Scan(&id, &content); err != nil {
			rows.Close()
			return nil, 0, err
		}
		if read++; read == most {
			floor = id
		}
		if cq.Matches(content) {
			if hits = append(hits, id); len(hits) == limit {
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(hits) == 0 {
		return nil, floor, err
	}
	byID, args := in(SQLite, "m.id", hits)
	rows, err = x.query(`SELECT `+hitColumns+` FROM messages m WHERE `+byID+` AND m.deleted_at IS NULL ORDER BY m.id DESC`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]message.Hit, 0, len(hits))
	for rows.Next() {
		m, err := scanHitMessage(rows)
		if err != nil {
			return nil, 0, err
		}
		if cq.Matches(m.Content) { // not edited away in between
			out = append(out, hitOf(m, cq))
		}
	}
	return out, floor, rows.Err()
}

// hitColumns are what scanHitMessage reads.
const hitColumns = `m.id, m.room_id, m.seq, m.user_id, m.username, m.content, m.created_at, m.edited_at`

func scanHitMessage(rows *sql.Rows) (message.Message, error) {
	var (
		m                  message.Message
		id, roomID, userID int64
		createdAt          time.Time
		editedAt           sql.NullTime
	)
	if err := rows.Scan(&id, &roomID, &m.Seq, &userID, &m.Username, &m.Content, &createdAt, &editedAt); err != nil {
		return message.Message{}, err
	}
	m.ID, m.RoomID, m.UserID, m.CreatedAt = message.ID(id), room.ID(roomID), user.ID(userID), createdAt.UTC()
	if editedAt.Valid {
		m.EditedAt = editedAt.Time.UTC()
	}
	return m, nil
}

func scanHit(rows *sql.Rows, cq textindex.Query) (message.Hit, error) {
	m, err := scanHitMessage(rows)
	if err != nil {
		return message.Hit{}, err
	}
	return hitOf(m, cq), nil
}

// hitOf is m as a hit of cq, with its snippet.
func hitOf(m message.Message, cq textindex.Query) message.Hit {
	return message.Hit{Message: m, Snippet: textindex.Snippet(m.Content, cq)}
}

// searchTerm is a term of a query as the index sees it: the forms it
// matches as substrings (of the body) and as whole tokens.
type searchTerm struct {
	subs []string
	toks []string
}

// searchTerms splits each term's forms by how they match. A substring
// form that contains another of the term's substring forms adds nothing
// (where "running" occurs, "run" does): only the shortest remain, so
// "сообщения" asks for "сообщени" alone.
func searchTerms(cq textindex.Query) []searchTerm {
	out := make([]searchTerm, 0, len(cq.Terms))
	for _, t := range cq.Terms {
		var st searchTerm
		for _, f := range t.Forms {
			if !textindex.Substring(f) {
				st.toks = append(st.toks, f)
				continue
			}
			implied := false
			for _, g := range t.Forms {
				if g != f && textindex.Substring(g) && strings.Contains(f, g) {
					implied = true
					break
				}
			}
			if !implied {
				st.subs = append(st.subs, f)
			}
		}
		out = append(out, st)
	}
	return out
}

// maxID bounds message ids from above when a search has no cursor.
const maxID = int64(^uint64(0) >> 1)

// pgSearchIndex asks the trigram and tsvector indexes (pgMatch with
// LIKE and @@) in a MATERIALIZED CTE: the planner estimates LIKE
// '%word%' poorly, and given the ORDER BY and LIMIT it may walk the whole
// table backwards hoping for early matches; fenced, it collects the
// indexes' candidates (few: the walk found the word rare) and only their
// page is sorted and joined.
func pgSearchIndex(rooms []int64, terms []searchTerm, below int64, limit int) (string, []any) {
	var b strings.Builder
	args := append(execMode(Postgres), rooms, below)
	b.WriteString(`WITH c AS MATERIALIZED (SELECT s.message_id FROM message_search s
		WHERE s.room_id = ANY(?) AND s.message_id < ?`)
	args = pgMatch(&b, args, terms, true)
	b.WriteString(`) SELECT ` + hitColumns + ` FROM c JOIN messages m ON m.id = c.message_id
		WHERE m.deleted_at IS NULL ORDER BY m.id DESC LIMIT ?`)
	return b.String(), append(args, limit)
}

// pgMatch writes " AND (term) AND (term) ..." over message_search s: each
// term an OR of its forms, a substring form on s.body and the token forms
// as one tsquery on s.tokens. indexed writes the operators the trigram
// and tsvector indexes serve (LIKE '%form%', @@); otherwise functions of
// the same meaning that no index serves (strpos, ts_match_vq).
func pgMatch(b *strings.Builder, args []any, terms []searchTerm, indexed bool) []any {
	sub, tok := `strpos(s.body, ?) > 0`, `ts_match_vq(s.tokens, ?::tsquery)`
	if indexed {
		sub, tok = `s.body LIKE ?`, `s.tokens @@ ?::tsquery`
	}
	for _, t := range terms {
		b.WriteString(` AND (`)
		for i, f := range t.subs {
			if i > 0 {
				b.WriteString(` OR `)
			}
			b.WriteString(sub)
			if indexed {
				f = "%" + likeEscape(f) + "%"
			}
			args = append(args, f)
		}
		if len(t.toks) > 0 {
			if len(t.subs) > 0 {
				b.WriteString(` OR `)
			}
			b.WriteString(tok)
			args = append(args, tsquery(t.toks))
		}
		b.WriteString(`)`)
	}
	return args
}

// likeEscape escapes LIKE's wildcards and its escape character (the
// default, a backslash): "100%" is a percent sign, "g_od" an underscore.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// tsquery is the tsquery matching any of toks, each the hex lexeme the
// index holds (textindex.EncodeToken), which needs no more quoting than
// the lexeme quotes.
func tsquery(toks []string) string {
	qs := make([]string, len(toks))
	for i, t := range toks {
		qs[i] = "'" + textindex.EncodeToken(t) + "'"
	}
	return strings.Join(qs, " | ")
}

// liteIndex asks FTS5 for the newest candidates of rooms below id
// `below` (liteSearchIndex) and keeps those that match (Query.Matches):
// without positions (detail=none) a form's trigrams may occur apart, so
// the table answers a few messages too many, never too few. It asks again
// below the last candidate, for twice as many each time, until limit
// match or none is left (or the store's timeout ends the search).
func liteIndex(x sqlq, rooms []int64, cq textindex.Query, below int64, limit int) ([]message.Hit, error) {
	match := liteMatch(searchTerms(cq))
	var hits []message.Hit
	for round := 0; len(hits) < limit; round++ {
		// Twice as many candidates each time: a query whose trigrams are
		// common and whose text is rare reads the lists in few statements.
		want := min((limit-len(hits)+liteSlack)<<min(round, 10), liteCandidatesMost)
		stmt, args := liteSearchIndex(rooms, match, below, want)
		rows, err := x.query(stmt, args...)
		if err != nil {
			return nil, err
		}
		read := 0
		for rows.Next() {
			m, err := scanHitMessage(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			read, below = read+1, int64(m.ID)
			if cq.Matches(m.Content) {
				if hits = append(hits, hitOf(m, cq)); len(hits) == limit {
					break
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if read < want {
			break
		}
	}
	return hits, nil
}

// liteSlack is how many candidates more than the hits it lacks liteIndex
// asks for first: most pages then take one statement. liteCandidatesMost
// bounds a statement's candidates however many rounds it took.
const (
	liteSlack          = 4
	liteCandidatesMost = 2048
)

// liteSearchIndex: one MATCH of message_search (liteMatch). FTS5 hands
// its matches in descending rowid order, so the scan stops with the page;
// each candidate joins its message by primary key for the room and the
// tombstone (CROSS JOIN: FTS5 drives).
func liteSearchIndex(rooms []int64, match string, below int64, limit int) (string, []any) {
	inRooms, args := in(SQLite, "m.room_id", rooms)
	q := `SELECT ` + hitColumns + ` FROM message_search s CROSS JOIN messages m ON m.id = s.rowid
		WHERE message_search MATCH ? AND s.rowid < ? AND ` + inRooms + ` AND m.deleted_at IS NULL
		ORDER BY s.rowid DESC LIMIT ?`
	return q, append(append([]any{match, below}, args...), limit)
}

// liteMatch is the FTS5 query of terms: each term an OR of its forms, the
// terms ANDed; a form the AND of its trigrams (a substring form's, in the
// body; a short token's, liteToken's two or one), each a quoted string
// of three characters, which the trigram tokenizer reads as one token.
func liteMatch(terms []searchTerm) string {
	match := make([]string, len(terms))
	for i, t := range terms {
		var forms []string
		for _, f := range t.subs {
			forms = append(forms, ftsAll(trigrams(f)))
		}
		for _, f := range t.toks {
			forms = append(forms, ftsAll(trigrams(liteToken(f))))
		}
		match[i] = "(" + strings.Join(forms, " OR ") + ")"
	}
	return strings.Join(match, " AND ")
}

// A form asks FTS5 for all its trigrams when it has at most
// ftsTrigramsAll of them ("deploy": dep, epl, plo, loy). A longer one asks
// for a tiling, every third trigram and the last, at most ftsTrigramsMost:
// each trigram costs the AND a walk of its list in every segment, and a
// phrase's trigrams are mostly common ones ("ing", "ng ", " re": "rolling
// restart" took 8.5 ms with its 13 trigrams, 0.9 ms with the five that
// tile it, on 150,000 messages); the tiles still cover every rune, and
// Query.Matches checks the candidates.
const (
	ftsTrigramsAll  = 6
	ftsTrigramsMost = 8
)

// trigrams are the distinct trigrams of s that its form asks for.
func trigrams(s string) []string {
	rs := []rune(s)
	n := len(rs) - 2 // trigrams, at positions 0 … n-1
	if n <= 0 {
		return nil
	}
	var out []string
	add := func(i int) {
		if g := string(rs[i : i+3]); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	if n <= ftsTrigramsAll {
		for i := range n {
			add(i)
		}
		return out
	}
	for i := 0; i < n-1 && len(out) < ftsTrigramsMost-1; i += 3 {
		add(i)
	}
	add(n - 1)
	return out
}

// ftsAll is the FTS5 AND of grams, each quoted (a double quote doubled).
func ftsAll(grams []string) string {
	qs := make([]string, len(grams))
	for i, g := range grams {
		qs[i] = `"` + strings.ReplaceAll(g, `"`, `""`) + `"`
	}
	return "(" + strings.Join(qs, " AND ") + ")"
}
