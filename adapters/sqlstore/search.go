package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"chat/adapters/textindex"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The search index (migration 000008) holds, for every message that is
// not deleted, textindex.NewDoc of its current text: the folded body for
// substring forms and the hex tokens for short forms. PostgreSQL keeps
// both in message_search (a trigram GIN index on body, a GIN index on the
// tokens' tsvector); SQLite in two contentless FTS5 tables keyed by the
// message's id (trigram on the body, ascii on the tokens). The writers of
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

// indexMessage writes message id's row for content, replacing any. fresh
// says the id was just inserted, so no row can be there (SQLite's
// contentless tables then take a plain insert, which costs less than a
// replace). Appends call it only with the index on; edits call it
// always, so that rows stay current while it is off and switching it
// back on has only the messages appended meanwhile to index.
func (x sqlq) indexMessage(id, roomID int64, content string, fresh bool) error {
	d := textindex.NewDoc(content)
	if x.dialect == Postgres {
		_, err := x.exec(`INSERT INTO message_search (message_id, room_id, body, tokens)
			VALUES (?, ?, ?, array_to_tsvector(string_to_array(?, ' ')))
			ON CONFLICT (message_id) DO UPDATE SET body = excluded.body, tokens = excluded.tokens`, id, roomID, d.Body, d.Tokens)
		return err
	}
	verb := `INSERT OR REPLACE INTO `
	if fresh {
		verb = `INSERT INTO `
	}
	if _, err := x.exec(verb+`message_search_body (rowid, body) VALUES (?, ?)`, id, d.Body); err != nil {
		return err
	}
	_, err := x.exec(verb+`message_search_tokens (rowid, tokens) VALUES (?, ?)`, id, d.Tokens)
	return err
}

// unindexMessage purges message id's row. It runs with the index off
// too: a deleted message's text must not stay behind in any table.
func (x sqlq) unindexMessage(id int64) error {
	if x.dialect == Postgres {
		_, err := x.exec(`DELETE FROM message_search WHERE message_id = ?`, id)
		return err
	}
	for _, q := range []string{
		`DELETE FROM message_search_body WHERE rowid = ?`,
		`DELETE FROM message_search_tokens WHERE rowid = ?`,
	} {
		if _, err := x.exec(q, id); err != nil {
			return err
		}
	}
	return nil
}

// sqliteUnindexRoom lists the SQLite statements that purge the rows of
// room ? before the room and its messages go (PostgreSQL's rows go with
// their messages: ON DELETE CASCADE).
var sqliteUnindexRoom = []string{
	`DELETE FROM message_search_body WHERE rowid IN (SELECT id FROM messages WHERE room_id = ?)`,
	`DELETE FROM message_search_tokens WHERE rowid IN (SELECT id FROM messages WHERE room_id = ?)`,
}

// Search runs one statement, bounded by the store's timeout: the messages
// of rooms whose index rows match every term, newest first, joined to
// their rows in messages for the hit's fields (searchPlan).
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
	stmt, args := searchPlan(s.db.dialect, rooms, cq, q.Before, q.Limit)
	rows, err := x.query(stmt, args...)
	if err != nil {
		return nil, fail("search messages", err)
	}
	hits, err := scanHits(rows, cq, q.Limit)
	return hits, fail("search messages", err)
}

func scanHits(rows *sql.Rows, cq textindex.Query, limit int) ([]message.Hit, error) {
	defer rows.Close()
	hits := make([]message.Hit, 0, min(limit, 64))
	for rows.Next() {
		var (
			m                  message.Message
			id, roomID, userID int64
			createdAt          time.Time
			editedAt           sql.NullTime
		)
		if err := rows.Scan(&id, &roomID, &m.Seq, &userID, &m.Username, &m.Content, &createdAt, &editedAt); err != nil {
			return nil, err
		}
		m.ID, m.RoomID, m.UserID, m.CreatedAt = message.ID(id), room.ID(roomID), user.ID(userID), createdAt.UTC()
		if editedAt.Valid {
			m.EditedAt = editedAt.Time.UTC()
		}
		hits = append(hits, message.Hit{Message: m, Snippet: textindex.Snippet(m.Content, cq)})
	}
	return hits, rows.Err()
}

// searchTerm is a term of a query as the index sees it: the forms it
// matches as substrings (of the body) and as whole tokens.
type searchTerm struct {
	subs []string
	toks []string // encoded (textindex.EncodeToken)
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
				st.toks = append(st.toks, textindex.EncodeToken(f))
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

// hitColumns are what scanHits reads.
const hitColumns = `m.id, m.room_id, m.seq, m.user_id, m.username, m.content, m.created_at, m.edited_at`

// searchPlan writes the search statement of the dialect and its
// arguments.
func searchPlan(dialect string, rooms []room.ID, cq textindex.Query, before message.ID, limit int) (string, []any) {
	ids := make([]int64, len(rooms))
	for i, r := range rooms {
		ids[i] = int64(r)
	}
	upper := int64(before)
	if upper <= 0 {
		upper = maxID
	}
	terms := searchTerms(cq)
	if dialect == Postgres {
		return pgSearchPlan(ids, terms, upper, limit)
	}
	return liteSearchPlan(ids, terms, upper, limit)
}

// maxID bounds message ids from above when a search has no cursor.
const maxID = int64(^uint64(0) >> 1)

// pgSearchPlan: one statement over message_search, each term an OR of
// its forms (LIKE through the trigram index for substrings, @@ through
// the tsvector's index for tokens), which the planner orders with the
// room and id bounds by its statistics: a bitmap of the trigram index's
// candidates when the terms are rare, a walk of the rooms' rows newest
// first when they are common.
func pgSearchPlan(rooms []int64, terms []searchTerm, before int64, limit int) (string, []any) {
	var b strings.Builder
	args := []any{rooms, before}
	b.WriteString(`SELECT ` + hitColumns + ` FROM message_search s JOIN messages m ON m.id = s.message_id
		WHERE s.room_id = ANY(?) AND s.message_id < ? AND m.deleted_at IS NULL`)
	for _, t := range terms {
		b.WriteString(` AND (`)
		for i, f := range t.subs {
			if i > 0 {
				b.WriteString(` OR `)
			}
			b.WriteString(`s.body LIKE ?`)
			args = append(args, "%"+likeEscape(f)+"%")
		}
		if len(t.toks) > 0 {
			if len(t.subs) > 0 {
				b.WriteString(` OR `)
			}
			b.WriteString(`s.tokens @@ ?::tsquery`)
			args = append(args, tsquery(t.toks))
		}
		b.WriteString(`)`)
	}
	b.WriteString(` ORDER BY s.message_id DESC LIMIT ?`)
	return b.String(), append(args, limit)
}

// likeEscape escapes LIKE's wildcards and its escape character (the
// default, a backslash): "100%" is a percent sign, "g_od" an underscore.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// tsquery is the tsquery matching any of toks: hex tokens, which need no
// more quoting than the lexeme quotes.
func tsquery(toks []string) string {
	qs := make([]string, len(toks))
	for i, t := range toks {
		qs[i] = "'" + t + "'"
	}
	return strings.Join(qs, " | ")
}

// liteSearchPlan: one FTS5 table drives, newest rowid first (FTS5 hands
// its matches in rowid order, so the scan stops with the page), and each
// candidate joins its message by primary key for the room and the
// tombstone. The terms that are all substrings make one MATCH of the body
// table (each term a phrase per form, ORed; the terms ANDed), those that
// are all tokens one of the tokens table; the body table drives when it
// has terms, and the tokens table's MATCH then filters. A term with forms
// of both kinds (textindex makes none today) filters with both tables.
func liteSearchPlan(rooms []int64, terms []searchTerm, before int64, limit int) (string, []any) {
	var subs, toks []string
	var mixed []searchTerm
	for _, t := range terms {
		switch {
		case len(t.toks) == 0:
			subs = append(subs, ftsAny(t.subs))
		case len(t.subs) == 0:
			toks = append(toks, ftsAny(t.toks))
		default:
			mixed = append(mixed, t)
		}
	}
	var (
		from, order string
		where       []string
		args        []any
	)
	switch {
	case len(subs) > 0:
		from, order = `message_search_body s CROSS JOIN messages m ON m.id = s.rowid`, `s.rowid`
		where = append(where, `message_search_body MATCH ?`, `s.rowid < ?`)
		args = append(args, strings.Join(subs, " AND "), before)
		if len(toks) > 0 {
			where = append(where, `s.rowid IN (SELECT rowid FROM message_search_tokens WHERE message_search_tokens MATCH ?)`)
			args = append(args, strings.Join(toks, " AND "))
		}
	case len(toks) > 0:
		from, order = `message_search_tokens s CROSS JOIN messages m ON m.id = s.rowid`, `s.rowid`
		where = append(where, `message_search_tokens MATCH ?`, `s.rowid < ?`)
		args = append(args, strings.Join(toks, " AND "), before)
	default:
		from, order = `messages m`, `m.id`
		where = append(where, `m.id < ?`)
		args = append(args, before)
	}
	for _, t := range mixed {
		where = append(where, `(m.id IN (SELECT rowid FROM message_search_body WHERE message_search_body MATCH ?)
			OR m.id IN (SELECT rowid FROM message_search_tokens WHERE message_search_tokens MATCH ?))`)
		args = append(args, ftsAny(t.subs), ftsAny(t.toks))
	}
	inRooms, roomArgs := in(SQLite, "m.room_id", rooms)
	where = append(where, inRooms, `m.deleted_at IS NULL`)
	args = append(args, roomArgs...)
	q := `SELECT ` + hitColumns + ` FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` DESC LIMIT ?`
	return q, append(args, limit)
}

// ftsAny is the FTS5 query matching any of forms, each a quoted string
// (a phrase of trigrams in the body table, one token in the tokens
// table), a double quote doubled.
func ftsAny(forms []string) string {
	qs := make([]string, len(forms))
	for i, f := range forms {
		qs[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return "(" + strings.Join(qs, " OR ") + ")"
}
