package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// Visible is one statement (qVisible): the rooms with the user's
// membership row joined, and for each of the user's rooms the count of
// the user's own messages after the pointer (see unreadOf).
func (s *RoomStore) Visible(ctx context.Context, u user.ID) ([]room.Listing, error) {
	out, err := s.db.visible(ctx, int64(u))
	return out, fail("list visible rooms", err)
}

// lockRoom reads room id inside tx and locks its row until tx ends. On
// PostgreSQL, forUpdate takes FOR UPDATE, which also keeps rows that
// reference the room (a message, a member, a file: their foreign key
// checks take FOR KEY SHARE) from being added until the commit; otherwise
// FOR NO KEY UPDATE, what an UPDATE of the row takes anyway. SQLite's
// write transactions begin IMMEDIATE and hold its one write lock.
func (db *DB) lockRoom(tx *gorm.DB, id room.ID, forUpdate bool) (roomRow, error) {
	q := tx.Where("id = ?", int64(id))
	if db.dialect == Postgres {
		strength := "NO KEY UPDATE"
		if forUpdate {
			strength = "UPDATE"
		}
		q = q.Clauses(clause.Locking{Strength: strength})
	}
	var row roomRow
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return roomRow{}, errRoomNotFound(nil)
	}
	return row, err
}

// Update is one transaction: the room's row is locked while change decides,
// and a new owner's membership row is locked (FOR KEY SHARE on PostgreSQL)
// so the new owner cannot leave before the commit.
func (s *RoomStore) Update(ctx context.Context, id room.ID, change func(r *room.Room) error) (room.Room, error) {
	var out room.Room
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := s.db.lockRoom(tx, id, false)
		if err != nil {
			return err
		}
		r := row.domain()
		if err := change(&r); err != nil {
			return err
		}
		if r.OwnerID != user.ID(row.OwnerID) {
			q := tx.Table("room_members").Select("1").Where("room_id = ? AND user_id = ?", row.ID, int64(r.OwnerID))
			if s.db.dialect == Postgres {
				q = q.Clauses(clause.Locking{Strength: "KEY SHARE"})
			}
			var one []int
			if err := q.Find(&one).Error; err != nil {
				return err
			}
			if len(one) == 0 {
				return domain.Errorf(domain.NotFound, "not_a_member", "the new owner is not a member of this room")
			}
		}
		next := toRoomRow(r)
		next.ID, next.CreatedAt = row.ID, row.CreatedAt
		err = tx.Model(&roomRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"name": next.Name, "description": next.Description, "is_private": next.IsPrivate, "owner_id": next.OwnerID,
			"edit_window": next.EditWindow,
		}).Error
		next.Kind = row.Kind
		out = next.domain()
		return err
	})
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		return room.Room{}, err
	case err != nil:
		return room.Room{}, fail("update room", err)
	}
	return out, nil
}

// Delete locks the room's row FOR UPDATE first: from then on no file,
// message or member can be added to it, so the attachment rows it deletes
// (returning their keys) are all there are; then the room goes, and its
// members and messages with it (ON DELETE CASCADE), and their search
// index rows (SQLite's FTS5 table knows no rooms and is purged first;
// PostgreSQL's rows by their room_id, after the room's row).
func (s *RoomStore) Delete(ctx context.Context, id room.ID) ([]string, error) {
	var keys []string
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.db.lockRoom(tx, id, true); err != nil {
			return err
		}
		rows, err := tx.Raw(`DELETE FROM attachments WHERE room_id = ? RETURNING blob_key, thumbnail_key`, int64(id)).Rows()
		if err != nil {
			return err
		}
		for rows.Next() {
			var blob, thumb string
			if err := rows.Scan(&blob, &thumb); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, blob)
			if thumb != "" {
				keys = append(keys, thumb)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if s.db.dialect == SQLite {
			if err := tx.Exec(sqliteUnindexRoom, int64(id)).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(`DELETE FROM rooms WHERE id = ?`, int64(id)).Error; err != nil {
			return err
		}
		if s.db.dialect == Postgres {
			// After the room's row: an append to the room has either
			// committed, and this statement sees its rows, or will find
			// no room (migration 000011).
			return tx.Exec(pgUnindexRoom, int64(id)).Error
		}
		return nil
	})
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		return nil, err
	case err != nil:
		return nil, fail("delete room", err)
	}
	slices.Sort(keys)
	return keys, nil
}

// OpenDirect inserts the room with its key unless a room has it (ON
// CONFLICT DO NOTHING on rooms_direct_key: a concurrent insert of the key
// is waited for), and then either adds the members or reads the room that
// has the key — in one transaction, so a conversation whose member does
// not exist is never half made.
func (s *RoomStore) OpenDirect(ctx context.Context, key string, r room.Room, members []user.ID) (room.Room, bool, error) {
	row := toRoomRow(r)
	row.ID, row.DirectKey = 0, &key
	var created bool
	err := s.db.inTx(ctx, func(x sqlq) error {
		err := x.row(`INSERT INTO rooms (name, description, is_private, owner_id, created_at, kind, edit_window, direct_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
			row.Name, row.Description, row.IsPrivate, row.OwnerID, row.CreatedAt, row.Kind, row.EditWindow, key).Scan(&row.ID)
		if errors.Is(err, sql.ErrNoRows) {
			var kind int16
			var editWindow int64
			err := x.row(`SELECT id, name, description, is_private, owner_id, created_at, kind, edit_window FROM rooms WHERE direct_key = ?`, key).
				Scan(&row.ID, &row.Name, &row.Description, &row.IsPrivate, &row.OwnerID, &row.CreatedAt, &kind, &editWindow)
			row.Kind, row.EditWindow = kind, editWindow
			return err
		}
		if err != nil {
			return err
		}
		created = true
		for _, u := range append([]user.ID{user.ID(row.OwnerID)}, members...) {
			if _, err := x.exec(insertMember, row.ID, int64(u), row.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case violationOf(err) == foreignKeyViolation:
		return room.Room{}, false, errUserNotFound(err)
	case err != nil:
		return room.Room{}, false, fail("open direct conversation", err)
	}
	return row.domain(), created, nil
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

// Remove reads the room's owner with the row locked FOR SHARE (PostgreSQL),
// which waits for an ownership change in progress (RoomStore.Update holds
// the row FOR NO KEY UPDATE) and holds off the next until the member is
// gone: the owner is never removed, and an heir never leaves between
// being picked and being made owner.
func (s *MemberStore) Remove(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	var removed bool
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Table("rooms").Select("owner_id").Where("id = ?", int64(r))
		if s.db.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "SHARE"})
		}
		var owners []int64
		if err := q.Find(&owners).Error; err != nil {
			return err
		}
		if len(owners) == 1 && owners[0] == int64(u) {
			return errOwnerMember()
		}
		res := tx.Exec(`DELETE FROM room_members WHERE room_id = ? AND user_id = ?`, int64(r), int64(u))
		removed = res.RowsAffected == 1
		return res.Error
	})
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		return false, err
	case err != nil:
		return false, fail("remove member", err)
	}
	return removed, nil
}

// IsMember is one primary-key lookup: every authorization check runs it.
func (s *MemberStore) IsMember(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	ok, err := s.db.isMember(ctx, int64(r), int64(u))
	return ok, fail("check membership", err)
}

// Memberships is a range scan of the primary key (room_id, user_id).
func (s *MemberStore) Memberships(ctx context.Context, r room.ID) ([]room.Membership, error) {
	var rows []struct {
		UserID   int64     `gorm:"column:user_id"`
		JoinedAt time.Time `gorm:"column:joined_at"`
	}
	err := s.db.read.WithContext(ctx).Table("room_members").Select("user_id, joined_at").
		Where("room_id = ?", int64(r)).Scan(&rows).Error
	if err != nil {
		return nil, fail("list memberships", err)
	}
	out := make([]room.Membership, len(rows))
	for i, row := range rows {
		out[i] = room.Membership{UserID: user.ID(row.UserID), JoinedAt: row.JoinedAt.UTC()}
	}
	return out, nil
}

func (s *MemberStore) Members(ctx context.Context, r room.ID) ([]user.User, error) {
	var rows []userRow
	err := s.db.read.WithContext(ctx).
		Select(userColumns).
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

// RoomsOf reads the index on room_members(user_id).
func (s *MemberStore) RoomsOf(ctx context.Context, u user.ID) ([]room.ID, error) {
	var ids []int64
	err := s.db.read.WithContext(ctx).Table("room_members").Where("user_id = ?", int64(u)).
		Order("room_id").Pluck("room_id", &ids).Error
	if err != nil {
		return nil, fail("list a user's rooms", err)
	}
	out := make([]room.ID, len(ids))
	for i, id := range ids {
		out[i] = room.ID(id)
	}
	return out, nil
}
