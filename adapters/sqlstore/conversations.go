package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// A message is read in its current state (selectMessages): its row holds
// its text as last edited, whether it is deleted and whom it mentions, and
// joins its parent's row for the quote of a reply. Its reactions and files
// live in their own tables; the row's has_reactions and has_files say
// whether to look, so a page costs one query more for each of them only
// when one of its messages has any.

// pageExtras are the messages of a page whose reactions and files are to
// be read.
type pageExtras struct{ reactions, files []int64 }

func (e pageExtras) none() bool { return len(e.reactions) == 0 && len(e.files) == 0 }

// scanMessagePage reads the rows of a selectMessages statement and closes
// them.
func scanMessagePage(rows *sql.Rows, limit int) ([]message.Message, pageExtras, error) {
	defer rows.Close()
	out := make([]message.Message, 0, limit)
	var ex pageExtras
	for rows.Next() {
		var (
			m                      message.Message
			id, roomID, userID     int64
			clientID               sql.NullString
			createdAt              time.Time
			editedAt               sql.NullTime
			mentions               string
			hasReactions, hasFiles bool
			pID, pSeq, pUser       sql.NullInt64
			pName, pContent        sql.NullString
			pDeleted               bool
		)
		if err := rows.Scan(&id, &roomID, &m.Seq, &userID, &m.Username, &m.Content, &clientID, &createdAt,
			&editedAt, &m.Deleted, &mentions, &hasReactions, &hasFiles,
			&pID, &pSeq, &pUser, &pName, &pContent, &pDeleted); err != nil {
			return nil, pageExtras{}, err
		}
		m.ID, m.RoomID, m.UserID = message.ID(id), room.ID(roomID), user.ID(userID)
		m.ClientID = clientID.String
		m.CreatedAt = createdAt.UTC()
		if editedAt.Valid {
			m.EditedAt = editedAt.Time.UTC()
		}
		m.Mentions = parseIDs(mentions)
		if pID.Valid {
			m.ReplyTo = &message.Quote{
				ID: message.ID(pID.Int64), Seq: pSeq.Int64, UserID: user.ID(pUser.Int64), Username: pName.String,
				Content: message.Cut(pContent.String), Deleted: pDeleted,
			}
		}
		if hasReactions {
			ex.reactions = append(ex.reactions, id)
		}
		if hasFiles {
			ex.files = append(ex.files, id)
		}
		out = append(out, m)
	}
	return out, ex, rows.Err()
}

// qReactions lists the reactions of some messages, each emoji with its
// exact count and its first ReactorsShown reactors, emoji in the order
// they were first added (among the reactions there are now).
var qReactions = `SELECT message_id, emoji, user_id, n FROM (
		SELECT message_id, emoji, user_id,
			ROW_NUMBER() OVER (PARTITION BY message_id, emoji ORDER BY seq) AS rn,
			COUNT(*) OVER (PARTITION BY message_id, emoji) AS n,
			MIN(seq) OVER (PARTITION BY message_id, emoji) AS first
		FROM reactions WHERE %s
	) r WHERE rn <= ` + fmt.Sprint(message.ReactorsShown) + ` ORDER BY message_id, first, rn`

const attachmentCols = `id, room_id, user_id, filename, content_type, size, blob_key, thumbnail_key, thumbnail_status, created_at`

// hydrate adds their reactions and files to the messages of ms that ex
// names.
func (x sqlq) hydrate(ms []message.Message, ex pageExtras) error {
	at := make(map[int64]int, len(ms))
	for i, m := range ms {
		at[int64(m.ID)] = i
	}
	if len(ex.reactions) > 0 {
		where, args := in(x.dialect, "message_id", ex.reactions)
		rows, err := x.query(fmt.Sprintf(qReactions, where), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id, u int64
				emoji string
				n     int
			)
			if err := rows.Scan(&id, &emoji, &u, &n); err != nil {
				return err
			}
			m := &ms[at[id]]
			if k := len(m.Reactions); k == 0 || m.Reactions[k-1].Emoji != emoji {
				m.Reactions = append(m.Reactions, message.Reaction{Emoji: emoji, Count: n})
			}
			r := &m.Reactions[len(m.Reactions)-1]
			r.UserIDs = append(r.UserIDs, user.ID(u))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
	}
	if len(ex.files) > 0 {
		where, args := in(x.dialect, "message_id", ex.files)
		rows, err := x.query(`SELECT message_id, `+attachmentCols+` FROM attachments WHERE `+where+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var a attachmentRow
			if err := rows.Scan(&id, &a.ID, &a.RoomID, &a.UserID, &a.Filename, &a.ContentType, &a.Size,
				&a.BlobKey, &a.ThumbnailKey, &a.ThumbnailStatus, &a.CreatedAt); err != nil {
				return err
			}
			m := &ms[at[id]]
			m.Files = append(m.Files, a.domain())
		}
		return rows.Err()
	}
	return nil
}

// messages runs a selectMessages statement on x and hydrates its page.
func (x sqlq) messages(q string, limit int, args ...any) ([]message.Message, error) {
	rows, err := x.query(q, args...)
	if err != nil {
		return nil, err
	}
	ms, ex, err := scanMessagePage(rows, limit)
	if err != nil || ex.none() {
		return ms, err
	}
	return ms, x.hydrate(ms, ex)
}

const qMessage = selectMessages + ` WHERE m.room_id = ? AND m.id = ?`

// message reads message id of room r in its current state.
func (x sqlq) message(r, id int64) (message.Message, error) {
	ms, err := x.messages(qMessage, 1, r, id)
	if err != nil {
		return message.Message{}, err
	}
	if len(ms) == 0 {
		return message.Message{}, errMessageNotFound()
	}
	return ms[0], nil
}

// liveMessage locks room r's row, then reads message id, which must not
// be a tombstone: what every change reads before it writes.
func (x sqlq) liveMessage(r, id int64) (message.Message, error) {
	found, err := x.lockRoomRow(r)
	if err != nil {
		return message.Message{}, err
	}
	if !found {
		return message.Message{}, errMessageNotFound()
	}
	m, err := x.message(r, id)
	if err != nil {
		return message.Message{}, err
	}
	if m.Deleted {
		return message.Message{}, errMessageDeleted()
	}
	return m, nil
}

// nextChangeSeq bumps room r's last_seq (not its msg_count: a change is
// no message) and returns it; the room's row is locked already.
func (x sqlq) nextChangeSeq(r int64) (int64, error) {
	var seq int64
	err := x.row(nextSeq, r).Scan(&seq)
	return seq, err
}

// record inserts change c (Seq set).
func (x sqlq) record(c message.Change, content string) error {
	_, err := x.exec(`INSERT INTO message_changes (room_id, seq, kind, message_id, user_id, username, content, emoji, emoji_count, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(c.RoomID), c.Seq, int16(c.Kind), int64(c.MessageID), int64(c.UserID), c.Username, content, c.Emoji, c.Count, c.At)
	return err
}

// setMentions replaces message id's mention rows with mentions, less its
// author: nobody is mentioned to themselves.
func (x sqlq) setMentions(id, room, seq int64, author user.ID, mentions []user.ID, replace bool) error {
	if replace {
		if _, err := x.exec(`DELETE FROM mentions WHERE message_id = ?`, id); err != nil {
			return err
		}
	}
	var args []any
	for _, u := range mentions {
		if u != author {
			args = append(args, id, int64(u), room, seq)
		}
	}
	if len(args) == 0 {
		return nil
	}
	_, err := x.exec(`INSERT INTO mentions (message_id, user_id, room_id, seq) VALUES `+placeholders(len(args)/4, 4), args...)
	return err
}

func errMessageNotFound() error {
	return domain.Errorf(domain.NotFound, "message_not_found", "message not found")
}

func errMessageDeleted() error {
	return domain.Errorf(domain.Conflict, "message_deleted", "the message was deleted")
}

// outcome translates a transaction's error: a domain error (the store's
// own, or one of the callers' checks) as it is, others by fail.
func outcome(op string, err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return fail(op, err)
}

// Get reads one message from the read pool.
func (s *MessageStore) Get(ctx context.Context, r room.ID, id message.ID) (message.Message, error) {
	x, err := s.db.reader(ctx)
	if err != nil {
		return message.Message{}, fail("read message", err)
	}
	m, err := x.message(int64(r), int64(id))
	return m, outcome("read message", err)
}

// Edit locks the room, reads the message, lets check decide, and then
// takes the next seq, records the change with the text it replaces (a
// version), and writes the new text, its search index row and mention
// rows.
func (s *MessageStore) Edit(ctx context.Context, c message.Change, check func(message.Message) error) (message.Change, error) {
	c.Kind, c.At = message.Edited, stamp(c.At)
	c.Mentions = distinctIDs(c.Mentions)
	var checkErr error
	err := s.db.inTx(ctx, func(x sqlq) error {
		m, err := x.liveMessage(int64(c.RoomID), int64(c.MessageID))
		if err != nil {
			return err
		}
		if checkErr = check(m); checkErr != nil {
			return checkErr
		}
		if c.Seq, err = x.nextChangeSeq(int64(c.RoomID)); err != nil {
			return err
		}
		if err := x.record(c, m.Content); err != nil {
			return err
		}
		if _, err := x.exec(`UPDATE messages SET content = ?, mentions = ?, edited_at = ? WHERE id = ?`,
			c.Content, formatIDs(c.Mentions), c.At, int64(c.MessageID)); err != nil {
			return err
		}
		if err := x.indexMessage(int64(m.ID), int64(m.RoomID), c.Content, false); err != nil {
			return err
		}
		return x.setMentions(int64(m.ID), int64(m.RoomID), m.Seq, m.UserID, c.Mentions, true)
	})
	if checkErr != nil {
		return message.Change{}, checkErr
	}
	if err != nil {
		return message.Change{}, outcome("edit message", err)
	}
	return c, nil
}

// Delete locks the room, reads the message, lets check decide, deletes its
// files' rows (their keys to a purge job in the transaction), takes the
// next seq and records the change, and erases the rest: text, versions,
// mentions, reactions, search index row.
func (s *MessageStore) Delete(ctx context.Context, c message.Change, check func(message.Message) error) (message.Change, error) {
	c = message.Change{Kind: message.Deleted, RoomID: c.RoomID, MessageID: c.MessageID, UserID: c.UserID, Username: c.Username, At: stamp(c.At)}
	id := int64(c.MessageID)
	var checkErr, jobErr error
	err := s.db.inTx(ctx, func(x sqlq) error {
		m, err := x.liveMessage(int64(c.RoomID), id)
		if err != nil {
			return err
		}
		if checkErr = check(m); checkErr != nil {
			return checkErr
		}
		keys, err := x.deleteFiles(id)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if jobErr = s.insertJob(x, ports.Job{Kind: ports.JobPurge, BlobKeys: keys}); jobErr != nil {
				return jobErr
			}
		}
		if c.Seq, err = x.nextChangeSeq(int64(c.RoomID)); err != nil {
			return err
		}
		if err := x.record(c, ""); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM reactions WHERE message_id = ?`,
			`DELETE FROM mentions WHERE message_id = ?`,
			`UPDATE message_changes SET content = '' WHERE message_id = ? AND kind = 1`,
		} {
			if _, err := x.exec(q, id); err != nil {
				return err
			}
		}
		if _, err := x.exec(`UPDATE messages SET content = '', mentions = '', edited_at = NULL, deleted_at = ?,
			has_reactions = ?, has_files = ? WHERE id = ?`, c.At, false, false, id); err != nil {
			return err
		}
		return x.unindexMessage(id)
	})
	switch {
	case checkErr != nil:
		return message.Change{}, checkErr
	case jobErr != nil:
		return message.Change{}, jobErr
	case err != nil:
		return message.Change{}, outcome("delete message", err)
	}
	return c, nil
}

// deleteFiles deletes the attachment rows of message id and returns their
// blob keys (file, then thumbnail, by id).
func (x sqlq) deleteFiles(id int64) ([]string, error) {
	rows, err := x.query(`DELETE FROM attachments WHERE message_id = ? RETURNING id, blob_key, thumbnail_key`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var files []attachmentRow
	for rows.Next() {
		var a attachmentRow
		if err := rows.Scan(&a.ID, &a.BlobKey, &a.ThumbnailKey); err != nil {
			return nil, err
		}
		files = append(files, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b attachmentRow) int { return int(a.ID - b.ID) })
	var keys []string
	for _, a := range files {
		keys = append(keys, a.BlobKey)
		if a.ThumbnailKey != "" {
			keys = append(keys, a.ThumbnailKey)
		}
	}
	return keys, nil
}

// insertJob inserts j in x's transaction.
func (s *MessageStore) insertJob(x sqlq, j ports.Job) error {
	if s.jobs == nil {
		return domain.Errorf(domain.Internal, "", "message store has no job inserter for a %s job", j.Kind)
	}
	if err := s.jobs.InsertTx(x.ctx, x.tx, j); err != nil {
		return fmt.Errorf("enqueue %s job: %w", j.Kind, err)
	}
	return nil
}

type reactionState struct {
	mine, count, distinct int
}

// React locks the room, checks the message, and writes only when the
// reaction changes: a no-op takes no seq.
func (s *MessageStore) React(ctx context.Context, c message.Change, max int) (message.Change, bool, error) {
	add := c.Kind == message.ReactionAdded
	if !add && c.Kind != message.ReactionRemoved {
		return message.Change{}, false, domain.Errorf(domain.Invalid, "invalid_change", "a reaction is added or removed")
	}
	c.At, c.Content, c.Mentions, c.Seq = stamp(c.At), "", nil, 0
	id := int64(c.MessageID)
	changed := false
	err := s.db.inTx(ctx, func(x sqlq) error {
		found, err := x.lockRoomRow(int64(c.RoomID))
		if err != nil {
			return err
		}
		var deleted bool
		err = x.row(`SELECT deleted_at IS NOT NULL FROM messages WHERE id = ? AND room_id = ?`, id, int64(c.RoomID)).Scan(&deleted)
		switch {
		case !found || errors.Is(err, sql.ErrNoRows):
			return errMessageNotFound()
		case err != nil:
			return err
		case deleted:
			return errMessageDeleted()
		}
		var st reactionState
		if err := x.row(`SELECT COUNT(CASE WHEN emoji = ? AND user_id = ? THEN 1 END), COUNT(CASE WHEN emoji = ? THEN 1 END),
			COUNT(DISTINCT emoji) FROM reactions WHERE message_id = ?`, c.Emoji, int64(c.UserID), c.Emoji, id).Scan(&st.mine, &st.count, &st.distinct); err != nil {
			return err
		}
		if add == (st.mine > 0) { // already so
			c.Count = st.count
			return nil
		}
		if add && st.count == 0 && st.distinct >= max {
			return domain.Errorf(domain.Conflict, "too_many_reactions", "a message has at most %d different reactions", max)
		}
		if c.Seq, err = x.nextChangeSeq(int64(c.RoomID)); err != nil {
			return err
		}
		if add {
			c.Count = st.count + 1
			if _, err := x.exec(`INSERT INTO reactions (message_id, emoji, user_id, seq) VALUES (?, ?, ?, ?)`, id, c.Emoji, int64(c.UserID), c.Seq); err != nil {
				return err
			}
			if _, err := x.exec(`UPDATE messages SET has_reactions = ? WHERE id = ?`, true, id); err != nil {
				return err
			}
		} else {
			c.Count = st.count - 1
			if _, err := x.exec(`DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?`, id, c.Emoji, int64(c.UserID)); err != nil {
				return err
			}
		}
		changed = true
		return x.record(c, "")
	})
	if err != nil {
		return message.Change{}, false, outcome("react to message", err)
	}
	return c, changed, nil
}

// Versions reads the texts the message's edits replaced, one range scan
// of message_changes_edits_idx.
func (s *MessageStore) Versions(ctx context.Context, r room.ID, id message.ID) ([]message.Version, error) {
	x, err := s.db.reader(ctx)
	if err != nil {
		return nil, fail("read versions", err)
	}
	var (
		deleted bool
		at      time.Time
	)
	err = x.row(`SELECT deleted_at IS NOT NULL, created_at FROM messages WHERE id = ? AND room_id = ?`, int64(id), int64(r)).Scan(&deleted, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, errMessageNotFound()
	case err != nil:
		return nil, fail("read versions", err)
	case deleted:
		return nil, nil
	}
	rows, err := x.query(`SELECT content, created_at FROM message_changes WHERE message_id = ? AND kind = 1 ORDER BY seq`, int64(id))
	if err != nil {
		return nil, fail("read versions", err)
	}
	defer rows.Close()
	var out []message.Version
	at = at.UTC()
	for rows.Next() {
		var (
			v    message.Version
			when time.Time
		)
		if err := rows.Scan(&v.Content, &when); err != nil {
			return nil, fail("read versions", err)
		}
		v.At, at = at, when.UTC()
		out = append(out, v)
	}
	return out, fail("read versions", rows.Err())
}

// qChanges replays a room's changes; an edit carries its message's
// current text and mentions.
const qChanges = `SELECT c.seq, c.kind, c.message_id, c.user_id, c.username, c.emoji, c.emoji_count, c.created_at,
		COALESCE(m.content, ''), COALESCE(m.mentions, '')
	FROM message_changes c LEFT JOIN messages m ON m.id = c.message_id AND c.kind = 1
	WHERE c.room_id = ? AND c.seq > ? AND c.seq <= ? ORDER BY c.seq LIMIT ?`

// Entries reads the room's last_seq first, then its messages and its
// changes up to it, limit of each, and merges them. Seqs commit in order
// (the room row's lock is held from the bump to the commit), so everything
// up to that last_seq is committed when it is read: the two reads agree
// without sharing a snapshot, and the stream has no gap.
func (s *MessageStore) Entries(ctx context.Context, r room.ID, afterSeq int64, limit int) ([]message.Entry, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	x, err := s.db.reader(ctx)
	if err != nil {
		return nil, fail("read entries", err)
	}
	v, err := s.db.lastSeq(ctx, int64(r))
	if err != nil {
		return nil, fail("read entries", err)
	}
	msgs, err := x.messages(selectMessages+` WHERE m.room_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq LIMIT ?`, limit, int64(r), afterSeq, v.lastSeq, limit)
	if err != nil {
		return nil, fail("read entries", err)
	}
	rows, err := x.query(qChanges, int64(r), afterSeq, v.lastSeq, limit)
	if err != nil {
		return nil, fail("read entries", err)
	}
	defer rows.Close()
	var changes []message.Change
	for rows.Next() {
		var (
			c                   message.Change
			kind                int16
			messageID, userID   int64
			at                  time.Time
			content, mentionIDs string
		)
		if err := rows.Scan(&c.Seq, &kind, &messageID, &userID, &c.Username, &c.Emoji, &c.Count, &at, &content, &mentionIDs); err != nil {
			return nil, fail("read entries", err)
		}
		c.Kind, c.RoomID, c.MessageID, c.UserID, c.At = message.ChangeKind(kind), r, message.ID(messageID), user.ID(userID), at.UTC()
		if c.Kind == message.Edited {
			c.Content, c.Mentions = content, parseIDs(mentionIDs)
		}
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("read entries", err)
	}
	out := make([]message.Entry, 0, limit)
	for len(out) < limit && (len(msgs) > 0 || len(changes) > 0) {
		if len(changes) == 0 || len(msgs) > 0 && msgs[0].Seq < changes[0].Seq {
			out = append(out, message.Entry{Message: &msgs[0]})
			msgs = msgs[1:]
			continue
		}
		out = append(out, message.Entry{Change: &changes[0]})
		changes = changes[1:]
	}
	return out, nil
}

// cloneMessages copies ms deep enough that its copy shares nothing a
// caller may change.
func cloneMessages(ms []message.Message) []message.Message {
	out := slices.Clone(ms)
	for i := range out {
		m := &out[i]
		m.Mentions = slices.Clone(m.Mentions)
		m.Files = slices.Clone(m.Files)
		if m.ReplyTo != nil {
			q := *m.ReplyTo
			m.ReplyTo = &q
		}
		m.Reactions = slices.Clone(m.Reactions)
		for j := range m.Reactions {
			m.Reactions[j].UserIDs = slices.Clone(m.Reactions[j].UserIDs)
		}
	}
	return out
}

// fileIDs returns the distinct ids of files, ascending.
func fileIDs(files []attachment.Attachment) []int64 {
	var out []int64
	for _, f := range files {
		out = append(out, int64(f.ID))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
