package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.InviteStore = (*InviteStore)(nil)

// InviteStore implements ports.InviteStore on the invites table. Invites
// are created, viewed and accepted by people, not per message: gorm.
type InviteStore struct{ db *DB }

// Invites returns the ports.InviteStore.
func (db *DB) Invites() *InviteStore { return &InviteStore{db} }

type inviteRow struct {
	Code      string    `gorm:"column:code;primaryKey"`
	RoomID    int64     `gorm:"column:room_id"`
	CreatedBy int64     `gorm:"column:created_by"`
	CreatedAt time.Time `gorm:"column:created_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (inviteRow) TableName() string { return "invites" }

func (r inviteRow) domain() room.Invite {
	return room.Invite{Code: r.Code, RoomID: room.ID(r.RoomID), CreatedBy: user.ID(r.CreatedBy),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

func errInviteNotFound() error {
	return domain.Errorf(domain.NotFound, "invite_not_found", "this invite is not valid: it may have expired or been revoked")
}

// Create holds the room's row for the count and the insert, so two
// concurrent creates cannot both take the last place.
func (s *InviteStore) Create(ctx context.Context, inv room.Invite, max int) error {
	row := inviteRow{Code: inv.Code, RoomID: int64(inv.RoomID), CreatedBy: int64(inv.CreatedBy),
		CreatedAt: stamp(inv.CreatedAt), ExpiresAt: stamp(inv.ExpiresAt)}
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.db.lockRoom(tx, inv.RoomID, false); err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM invites WHERE room_id = ? AND expires_at <= ?`, row.RoomID, row.CreatedAt).Error; err != nil {
			return err
		}
		var live int64
		if err := tx.Model(&inviteRow{}).Where("room_id = ?", row.RoomID).Count(&live).Error; err != nil {
			return err
		}
		if live >= int64(max) {
			return domain.Errorf(domain.Conflict, "too_many_invites", "this room has %d live invites: revoke some first", live)
		}
		return tx.Create(&row).Error
	})
	if k := domain.KindOf(err); k == domain.NotFound || k == domain.Conflict && domain.CodeOf(err) == "too_many_invites" {
		return err
	}
	return fail("create invite", err)
}

func (s *InviteStore) ByCode(ctx context.Context, code string, now time.Time) (room.Invite, error) {
	var rows []inviteRow
	err := s.db.read.WithContext(ctx).Where("code = ? AND expires_at > ?", code, stamp(now)).Limit(1).Find(&rows).Error
	if err != nil {
		return room.Invite{}, fail("read invite", err)
	}
	if len(rows) == 0 {
		return room.Invite{}, errInviteNotFound()
	}
	return rows[0].domain(), nil
}

func (s *InviteStore) List(ctx context.Context, r room.ID, now time.Time) ([]room.Invite, error) {
	var rows []inviteRow
	err := s.db.read.WithContext(ctx).Where("room_id = ? AND expires_at > ?", int64(r), stamp(now)).
		Order("created_at DESC, code DESC").Find(&rows).Error
	if err != nil {
		return nil, fail("list invites", err)
	}
	out := make([]room.Invite, len(rows))
	for i, row := range rows {
		out[i] = row.domain()
	}
	return out, nil
}

func (s *InviteStore) Delete(ctx context.Context, r room.ID, code string) (bool, error) {
	res := s.db.write.WithContext(ctx).Where("code = ? AND room_id = ?", code, int64(r)).Delete(&inviteRow{})
	if res.Error != nil {
		return false, fail("delete invite", res.Error)
	}
	return res.RowsAffected == 1, nil
}
