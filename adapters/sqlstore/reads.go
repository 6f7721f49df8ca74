package sqlstore

import (
	"context"

	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.ReadStore = (*ReadStore)(nil)

// ReadStore implements ports.ReadStore on room_members.last_read_seq: the
// pointer lives on the membership row, so it starts at the column's
// default (0) on every insert of the row and goes with its delete.
type ReadStore struct{ db *DB }

// markRead moves a pointer forward in one statement, so two MarkReads at
// once never take it backwards: the row changes only while its pointer is
// below the new value (re-checked on PostgreSQL after waiting for a
// concurrent update of the row), and the new value is the seq capped at the
// room's last_seq. Neither a negative seq nor a missing room or membership
// matches a row.
const markRead = `UPDATE room_members SET last_read_seq = n.seq
	FROM (SELECT CASE WHEN last_seq < ? THEN last_seq ELSE ? END AS seq FROM rooms WHERE id = ?) AS n
	WHERE room_members.room_id = ? AND room_members.user_id = ? AND room_members.last_read_seq < n.seq`

// MarkRead writes with the write pool, then reads where u stands
// (qStanding), which also tells a membership that does not exist from a
// pointer that did not move.
func (s *ReadStore) MarkRead(ctx context.Context, r room.ID, u user.ID, seq int64) (room.Standing, bool, error) {
	res := s.db.write.WithContext(ctx).Exec(markRead, seq, seq, int64(r), int64(r), int64(u))
	if res.Error != nil {
		return room.Standing{}, false, fail("mark read", res.Error)
	}
	st, member, err := s.db.standing(ctx, int64(r), int64(u))
	if err != nil {
		return room.Standing{}, false, fail("mark read: read the standing", err)
	}
	if !member {
		return room.Standing{}, false, errNotAMember()
	}
	return st, res.RowsAffected == 1, nil
}

// Standings is one statement (qStandings) whatever the number of rooms.
func (s *ReadStore) Standings(ctx context.Context, u user.ID) (map[room.ID]room.Standing, error) {
	out, err := s.db.standings(ctx, int64(u))
	return out, fail("read standings", err)
}

// Pointers is a range scan of the primary key (room_id, user_id).
func (s *ReadStore) Pointers(ctx context.Context, r room.ID) (map[user.ID]int64, error) {
	var rows []struct {
		UserID      int64 `gorm:"column:user_id"`
		LastReadSeq int64 `gorm:"column:last_read_seq"`
	}
	err := s.db.read.WithContext(ctx).Table("room_members").Select("user_id, last_read_seq").
		Where("room_id = ?", int64(r)).Scan(&rows).Error
	if err != nil {
		return nil, fail("read pointers", err)
	}
	out := make(map[user.ID]int64, len(rows))
	for _, row := range rows {
		out[user.ID(row.UserID)] = row.LastReadSeq
	}
	return out, nil
}
