package sqlstore

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.RoomStore   = (*RoomStore)(nil)
	_ ports.MemberStore = (*MemberStore)(nil)
)

// RoomStore implements ports.RoomStore on the rooms table.
type RoomStore struct{ db *DB }

// insertMember is idempotent: the primary key (room_id, user_id) turns a
// second insert into nothing, and RowsAffected tells which happened.
const insertMember = `INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`

func (s *RoomStore) Create(ctx context.Context, r room.Room) (room.Room, error) {
	row := toRoomRow(r)
	row.ID = 0
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return tx.Exec(insertMember, row.ID, row.OwnerID, row.CreatedAt).Error
	})
	if violationOf(err) == foreignKeyViolation {
		return room.Room{}, errUserNotFound(err)
	}
	if err != nil {
		return room.Room{}, fail("create room", err)
	}
	return row.domain(), nil
}

func (s *RoomStore) ByID(ctx context.Context, id room.ID) (room.Room, error) {
	var row roomRow
	err := s.db.read.WithContext(ctx).Where("id = ?", int64(id)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return room.Room{}, errRoomNotFound(nil)
	}
	if err != nil {
		return room.Room{}, fail("read room", err)
	}
	return row.domain(), nil
}

// Visible reads public rooms through rooms_public_idx and the user's rooms
// through room_members_user_idx.
func (s *RoomStore) Visible(ctx context.Context, u user.ID) ([]room.Listing, error) {
	var rows []struct {
		Room     roomRow `gorm:"embedded"`
		IsMember bool    `gorm:"column:is_member"`
	}
	err := s.db.read.WithContext(ctx).Table("rooms").
		Select("rooms.*, m.user_id IS NOT NULL AS is_member").
		Joins("LEFT JOIN room_members m ON m.room_id = rooms.id AND m.user_id = ?", int64(u)).
		Where("NOT rooms.is_private OR m.user_id IS NOT NULL").
		Order("rooms.id").Scan(&rows).Error
	if err != nil {
		return nil, fail("list visible rooms", err)
	}
	out := make([]room.Listing, len(rows))
	for i, r := range rows {
		out[i] = room.Listing{Room: r.Room.domain(), IsMember: r.IsMember}
	}
	return out, nil
}

func (s *RoomStore) SetOwner(ctx context.Context, r room.ID, u user.ID) error {
	res := s.db.write.WithContext(ctx).Exec(`UPDATE rooms SET owner_id = ? WHERE id = ?
		AND EXISTS (SELECT 1 FROM users WHERE id = ? AND deleted_at IS NULL)`, int64(u), int64(r), int64(u))
	if res.Error != nil {
		return fail("set room owner", res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.ByID(ctx, r); err != nil {
			return err
		}
		return errUserNotFound(nil)
	}
	return nil
}

// Delete reads the room's blob keys and deletes the room in one
// transaction; memberships, messages and attachments go with it (ON DELETE
// CASCADE). A thumbnail job still queued for one of its files finds no row
// and ends.
func (s *RoomStore) Delete(ctx context.Context, r room.ID) ([]string, error) {
	var keys []string
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []struct {
			BlobKey      string `gorm:"column:blob_key"`
			ThumbnailKey string `gorm:"column:thumbnail_key"`
		}
		if err := tx.Raw(`SELECT blob_key, thumbnail_key FROM attachments WHERE room_id = ? ORDER BY id`, int64(r)).Scan(&rows).Error; err != nil {
			return err
		}
		res := tx.Exec(`DELETE FROM rooms WHERE id = ?`, int64(r))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errRoomNotFound(nil)
		}
		for _, row := range rows {
			keys = append(keys, row.BlobKey)
			if row.ThumbnailKey != "" {
				keys = append(keys, row.ThumbnailKey)
			}
		}
		return nil
	})
	if domain.KindOf(err) == domain.NotFound {
		return nil, err
	}
	if err != nil {
		return nil, fail("delete room", err)
	}
	return keys, nil
}

// MemberStore implements ports.MemberStore on the room_members table.
type MemberStore struct{ db *DB }

func (s *MemberStore) Add(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	res := s.db.write.WithContext(ctx).Exec(insertMember, int64(r), int64(u), stamp(time.Time{}))
	if violationOf(res.Error) == foreignKeyViolation {
		// Which one is missing? Only this rare path pays for asking.
		if _, err := s.db.Rooms().ByID(ctx, r); err != nil {
			return false, err
		}
		return false, errUserNotFound(res.Error)
	}
	if res.Error != nil {
		return false, fail("add member", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s *MemberStore) Remove(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	res := s.db.write.WithContext(ctx).Exec(`DELETE FROM room_members WHERE room_id = ? AND user_id = ?`, int64(r), int64(u))
	if res.Error != nil {
		return false, fail("remove member", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// IsMember is one primary-key lookup: every authorization check runs it.
func (s *MemberStore) IsMember(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	ok, err := s.db.isMember(ctx, int64(r), int64(u))
	return ok, fail("check membership", err)
}

func (s *MemberStore) Members(ctx context.Context, r room.ID) ([]user.User, error) {
	var rows []userRow
	err := s.db.read.WithContext(ctx).
		Select("users.*").
		Joins("JOIN room_members ON room_members.user_id = users.id").
		Where("room_members.room_id = ?", int64(r)).
		Order("users.username").Find(&rows).Error
	if err != nil {
		return nil, fail("list members", err)
	}
	out := make([]user.User, len(rows))
	for i, row := range rows {
		u, err := row.domain()
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

// Eldest orders by joined_at (microseconds), then by id for members who
// joined in the same microsecond.
func (s *MemberStore) Eldest(ctx context.Context, r room.ID, except user.ID) (user.ID, bool, error) {
	var ids []int64
	err := s.db.read.WithContext(ctx).Raw(`SELECT user_id FROM room_members WHERE room_id = ? AND user_id <> ?
		ORDER BY joined_at, user_id LIMIT 1`, int64(r), int64(except)).Scan(&ids).Error
	if err != nil {
		return 0, false, fail("find eldest member", err)
	}
	if len(ids) == 0 {
		return 0, false, nil
	}
	return user.ID(ids[0]), true, nil
}
