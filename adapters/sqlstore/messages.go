package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.MessageStore = (*MessageStore)(nil)

// MessageStore implements ports.MessageStore on the messages table and
// the tables of their changes, reactions, mentions and files.
type MessageStore struct {
	db   *DB
	jobs JobInserter // nil: a Delete with files to purge is refused
}

// MessagesWithJobs returns the ports.MessageStore that inserts the purge
// jobs of deleted messages' files with jobs, in the delete's transaction.
func (db *DB) MessagesWithJobs(jobs JobInserter) *MessageStore {
	return &MessageStore{db: db, jobs: jobs}
}

// nextSeq bumps the room's counter and returns the new value. The row lock
// it takes serialises appends to one room until the insert commits, so seqs
// are unique and gap-free; an append that rolls back rolls its bump back.
// A change takes its seq with it; a message with nextMessage, which counts
// it too.
const (
	nextSeq     = `UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`
	nextMessage = `UPDATE rooms SET last_seq = last_seq + 1, msg_count = msg_count + 1 WHERE id = ? RETURNING last_seq, msg_count`
)

var errNoRoom = errors.New("no such room")

// Append hands a plain message to the DB's group committer
// (append_batch.go), which stores it with the other appends waiting at
// that moment in one transaction; it returns once that transaction has
// committed. A message that replies, mentions or carries files has more to
// check and write than a batch does, and takes the single-message path.
func (s *MessageStore) Append(ctx context.Context, m message.Message) (message.Message, bool, error) {
	if m.ReplyTo == nil && len(m.Mentions) == 0 && len(m.Files) == 0 {
		return s.db.appends.append(ctx, m)
	}
	if err := ctx.Err(); err != nil {
		return message.Message{}, false, fail("append message", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.db.timeout)
	defer cancel()
	return s.db.appendOne(ctx, m)
}

// appendOne stores one message in its own transaction: the path of a
// message with a reply, mentions or files, the group committer's for a
// batch of one, and its fallback when a batch fails because of one of its
// items. It answers with the message as reads give it.
func (db *DB) appendOne(ctx context.Context, m message.Message) (message.Message, bool, error) {
	row := toMessageRow(m)
	files := fileIDs(m.Files)
	mentions := distinctIDs(m.Mentions)
	var (
		out     message.Message
		created bool
	)
	err := db.inTx(ctx, func(x sqlq) error {
		if row.ClientID != nil {
			first, found, err := x.clientCopy(row)
			if err != nil || found {
				out = first
				return err
			}
		}
		var seq, n int64
		switch err := x.row(nextMessage, row.RoomID).Scan(&seq, &n); {
		case errors.Is(err, sql.ErrNoRows):
			return errNoRoom
		case err != nil:
			return err
		}
		var replyTo *int64
		if m.ReplyTo != nil {
			var one int
			switch err := x.row(`SELECT 1 FROM messages WHERE id = ? AND room_id = ?`, int64(m.ReplyTo.ID), row.RoomID).Scan(&one); {
			case errors.Is(err, sql.ErrNoRows):
				return errMessageNotFound()
			case err != nil:
				return err
			}
			parent := int64(m.ReplyTo.ID)
			replyTo = &parent
		}
		var id int64
		if err := x.row(`INSERT INTO messages (room_id, seq, n, user_id, username, content, client_id, created_at, reply_to, mentions, has_files)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			row.RoomID, seq, n, row.UserID, row.Username, row.Content, row.ClientID, row.CreatedAt, replyTo, formatIDs(mentions), len(files) > 0,
		).Scan(&id); err != nil {
			return err
		}
		if x.indexed {
			if err := x.indexMessage(id, row.RoomID, row.Content, true); err != nil {
				return err
			}
		}
		if len(files) > 0 {
			// Each file must be the sender's, of the room, and in no
			// message yet (re-checked after waiting for a concurrent
			// append that attaches it, on PostgreSQL).
			where, args := in(x.dialect, "id", files)
			res, err := x.exec(`UPDATE attachments SET message_id = ? WHERE `+where+` AND room_id = ? AND user_id = ? AND message_id IS NULL`,
				append(append([]any{id}, args...), row.RoomID, row.UserID)...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != int64(len(files)) {
				return cmp.Or(err, errFileNotFound())
			}
		}
		if err := x.setMentions(id, row.RoomID, seq, m.UserID, mentions, false); err != nil {
			return err
		}
		var err error
		out, err = x.message(row.RoomID, id)
		created = err == nil
		return err
	})
	if created && db.appends != nil {
		db.appends.gins.committed() // the message's index entries, PostgreSQL's pending lists (ginCleaner)
	}
	switch {
	case errors.Is(err, errNoRoom):
		return message.Message{}, false, errRoomNotFound(nil)
	case err != nil && row.ClientID != nil && violationOf(err) == uniqueViolation:
		// A concurrent retry with the same key committed first (PostgreSQL;
		// SQLite's single writer saw it above). Its copy answers.
		x, rerr := db.reader(ctx)
		if rerr != nil {
			return message.Message{}, false, fail("append message: read the first copy", rerr)
		}
		first, found, rerr := x.clientCopy(row)
		switch {
		case domain.KindOf(rerr) == domain.Conflict:
			return message.Message{}, false, rerr
		case rerr != nil:
			return message.Message{}, false, fail("append message: read the first copy", rerr)
		case !found:
			return message.Message{}, false, fail("append message", err)
		}
		return first, false, nil
	case violationOf(err) == foreignKeyViolation:
		return message.Message{}, false, errUserNotFound(err)
	case err != nil:
		return message.Message{}, false, outcome("append message", err)
	}
	return out, created, nil
}

// clientCopy returns the stored message with row's key (sender, room,
// client_id) in its current state: found false when there is none, and
// Conflict "client_id_reused" when its text is not row's. The partial
// unique index messages_user_room_client_key answers it.
func (x sqlq) clientCopy(row messageRow) (message.Message, bool, error) {
	var (
		id      int64
		content string
	)
	err := x.row(`SELECT id, content FROM messages WHERE user_id = ? AND room_id = ? AND client_id = ?`, row.UserID, row.RoomID, *row.ClientID).Scan(&id, &content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return message.Message{}, false, nil
	case err != nil:
		return message.Message{}, false, err
	case content != row.Content:
		return message.Message{}, false, errClientIDReused()
	}
	m, err := x.message(row.RoomID, id)
	return m, err == nil, err
}

// Before is one backward range scan of messages_room_id_idx.
func (s *MessageStore) Before(ctx context.Context, r room.ID, before message.ID, limit int) ([]message.Message, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	var (
		ms  []message.Message
		err error
	)
	if before > 0 {
		ms, err = s.db.queryMessages(ctx, qHistoryBefore, limit, int64(r), int64(before), limit)
		return ms, fail("read history", err)
	}
	return s.newest(ctx, r, limit)
}

// newest is the newest page, from the cache when the room's last_seq and
// rev show nothing changed since the page was read (hot.go).
func (s *MessageStore) newest(ctx context.Context, r room.ID, limit int) ([]message.Message, error) {
	last, err := s.db.lastSeq(ctx, int64(r))
	if err != nil {
		return nil, fail("read history", err)
	}
	return s.newestAt(ctx, r, limit, last)
}

// NewestIfMember reads the room's last_seq and the reader's membership in
// one statement, then serves the newest page as newest does.
func (s *MessageStore) NewestIfMember(ctx context.Context, r room.ID, u user.ID, limit int) ([]message.Message, bool, error) {
	if err := checkLimit(limit); err != nil {
		return nil, false, err
	}
	last, member, err := s.db.memberLastSeq(ctx, int64(r), int64(u))
	if err != nil || !member {
		return nil, false, fail("read history", err)
	}
	ms, err := s.newestAt(ctx, r, limit, last)
	return ms, err == nil, err
}

// newestAt serves the newest page given the room's version.
func (s *MessageStore) newestAt(ctx context.Context, r room.ID, limit int, v roomVersion) ([]message.Message, error) {
	k := pageKey{int64(r), limit}
	if ms, ok := s.db.newest.get(k, v); ok {
		return ms, nil
	}
	ms, err := s.db.queryMessages(ctx, qHistoryNewest, limit, int64(r), limit)
	if err != nil {
		return nil, fail("read history", err)
	}
	s.db.newest.put(k, v, ms)
	return ms, nil
}

// After is one forward range scan of the (room_id, seq) unique index:
// messages only (the changes are in their own table).
func (s *MessageStore) After(ctx context.Context, r room.ID, afterSeq int64, limit int) ([]message.Message, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	ms, err := s.db.queryMessages(ctx, qHistoryAfter, limit, int64(r), afterSeq, limit)
	return ms, fail("read messages after seq", err)
}

// lastSeqsChunk bounds the rooms one LastSeqs statement names.
const lastSeqsChunk = 500

// LastSeqs reads rooms.last_seq by primary key, lastSeqsChunk rooms a
// statement.
func (s *MessageStore) LastSeqs(ctx context.Context, rooms []room.ID) (map[room.ID]int64, error) {
	out := make(map[room.ID]int64, len(rooms))
	for len(rooms) > 0 {
		n := min(len(rooms), lastSeqsChunk)
		ids := make([]int64, n)
		for i, r := range rooms[:n] {
			ids[i] = int64(r)
		}
		rooms = rooms[n:]
		var rows []struct {
			ID      int64
			LastSeq int64
		}
		err := s.db.read.WithContext(ctx).Table("rooms").Select("id, last_seq").Where("id IN ?", ids).Scan(&rows).Error
		if err != nil {
			return nil, fail("read last seqs", err)
		}
		for _, r := range rows {
			out[room.ID(r.ID)] = r.LastSeq
		}
	}
	return out, nil
}

func checkLimit(limit int) error {
	if limit < 1 {
		return domain.Errorf(domain.Invalid, "invalid_limit", "limit must be positive")
	}
	return nil
}
