package sqlstore

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.MessageStore = (*MessageStore)(nil)

// MessageStore implements ports.MessageStore on the messages table.
type MessageStore struct{ db *DB }

// nextSeq bumps the room's counter and returns the new value. The row lock
// it takes serialises appends to one room until the insert commits, so seqs
// are unique and gap-free; an append that rolls back rolls its bump back.
const nextSeq = `UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`

var errNoRoom = errors.New("no such room")

// Append hands m to the DB's group committer (append_batch.go), which
// stores it with the other appends waiting at that moment in one
// transaction; it returns once that transaction has committed.
func (s *MessageStore) Append(ctx context.Context, m message.Message) (message.Message, bool, error) {
	return s.db.appends.append(ctx, m)
}

// appendOne stores one message in its own transaction: the group
// committer's path for a batch of one, and its fallback when a batch fails
// because of one of its items.
func (db *DB) appendOne(ctx context.Context, m message.Message) (message.Message, bool, error) {
	row := toMessageRow(m)
	row.ID, row.Seq = 0, 0
	var first *messageRow
	err := db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if row.ClientID != nil {
			found, err := byClientID(tx, row)
			if err != nil || found != nil {
				first = found
				return err
			}
		}
		var seq []int64
		if err := tx.Raw(nextSeq, row.RoomID).Scan(&seq).Error; err != nil {
			return err
		}
		if len(seq) == 0 {
			return errNoRoom
		}
		row.Seq = seq[0]
		return tx.Create(&row).Error
	})
	switch {
	case errors.Is(err, errNoRoom):
		return message.Message{}, false, errRoomNotFound(nil)
	case err != nil && row.ClientID != nil && violationOf(err) == uniqueViolation:
		// A concurrent retry with the same key committed first (PostgreSQL;
		// SQLite's single writer saw it above). Its copy answers, as
		// below.
		found, rerr := byClientID(db.read.WithContext(ctx), row)
		if rerr != nil {
			return message.Message{}, false, fail("append message: read the first copy", rerr)
		}
		if found == nil {
			return message.Message{}, false, fail("append message", err)
		}
		first = found
	case violationOf(err) == foreignKeyViolation:
		return message.Message{}, false, errUserNotFound(err)
	case err != nil:
		return message.Message{}, false, fail("append message", err)
	}
	if first != nil {
		r := retryOf(*first, row)
		return r.m, false, r.err
	}
	return row.domain(), true, nil
}

// byClientID returns the stored message with row's key (sender, room,
// client_id), or nil. The partial unique index
// messages_user_room_client_key answers it.
func byClientID(db *gorm.DB, row messageRow) (*messageRow, error) {
	var rows []messageRow
	err := db.Where("user_id = ? AND room_id = ? AND client_id = ?", row.UserID, row.RoomID, *row.ClientID).Limit(1).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
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
	s.db.newest.put(k, v.rev, ms)
	return ms, nil
}

// After is one forward range scan of the (room_id, seq) unique index.
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
