package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"chat/domain"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.PushStore = (*PushStore)(nil)
	_ ports.MuteStore = (*MuteStore)(nil)
)

// PushStore is ports.PushStore on push_subscriptions (migration 000010).
type PushStore struct{ db *DB }

// Push returns the push subscription store.
func (db *DB) Push() *PushStore { return &PushStore{db} }

type pushRow struct {
	ID        int64
	UserID    int64
	Endpoint  string
	P256DH    []byte `gorm:"column:p256dh"`
	Auth      []byte
	CreatedAt time.Time
}

func (r pushRow) domain() push.Subscription {
	return push.Subscription{ID: push.SubscriptionID(r.ID), UserID: user.ID(r.UserID), Endpoint: r.Endpoint,
		P256DH: r.P256DH, Auth: r.Auth, CreatedAt: r.CreatedAt.UTC()}
}

const pushColumns = `id, user_id, endpoint, p256dh, auth, created_at`

// Save upserts s by endpoint and deletes the user's oldest beyond max, in
// one transaction with the user's row locked (on PostgreSQL), so racing
// saves of one user cannot keep more than max between them.
func (s *PushStore) Save(ctx context.Context, sub push.Subscription, max int) (push.Subscription, error) {
	sub.CreatedAt = stamp(sub.CreatedAt)
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		lock := `SELECT id FROM users WHERE id = ? AND deleted_at IS NULL`
		if s.db.dialect == Postgres {
			lock += ` FOR NO KEY UPDATE`
		}
		var ids []int64
		if err := tx.Raw(lock, int64(sub.UserID)).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return errUserNotFound(nil)
		}
		var id int64
		err := tx.Raw(`INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
			auth = excluded.auth, created_at = excluded.created_at RETURNING id`,
			int64(sub.UserID), sub.Endpoint, sub.P256DH, sub.Auth, sub.CreatedAt).Scan(&id).Error
		if err != nil {
			return err
		}
		sub.ID = push.SubscriptionID(id)
		return tx.Exec(`DELETE FROM push_subscriptions WHERE user_id = ? AND id NOT IN (
			SELECT id FROM push_subscriptions WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)`,
			int64(sub.UserID), int64(sub.UserID), max).Error
	})
	if domain.KindOf(err) == domain.NotFound {
		return push.Subscription{}, err
	}
	if err != nil {
		return push.Subscription{}, fail("save push subscription", err)
	}
	return sub, nil
}

// ByID returns a subscription.
func (s *PushStore) ByID(ctx context.Context, id push.SubscriptionID) (push.Subscription, error) {
	var rows []pushRow
	err := s.db.read.WithContext(ctx).Raw(`SELECT `+pushColumns+` FROM push_subscriptions WHERE id = ?`, int64(id)).Scan(&rows).Error
	if err != nil {
		return push.Subscription{}, fail("read push subscription", err)
	}
	if len(rows) == 0 {
		return push.Subscription{}, push.ErrSubscriptionNotFound()
	}
	return rows[0].domain(), nil
}

// ByUser returns u's subscriptions, oldest first.
func (s *PushStore) ByUser(ctx context.Context, u user.ID) ([]push.Subscription, error) {
	var rows []pushRow
	err := s.db.read.WithContext(ctx).Raw(`SELECT `+pushColumns+` FROM push_subscriptions WHERE user_id = ?
		ORDER BY created_at, id`, int64(u)).Scan(&rows).Error
	if err != nil {
		return nil, fail("list push subscriptions", err)
	}
	out := make([]push.Subscription, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Delete removes subscription id when it is u's (u 0: whoever's).
func (s *PushStore) Delete(ctx context.Context, u user.ID, id push.SubscriptionID) error {
	q := s.db.write.WithContext(ctx)
	var res *gorm.DB
	if u == 0 {
		res = q.Exec(`DELETE FROM push_subscriptions WHERE id = ?`, int64(id))
	} else {
		res = q.Exec(`DELETE FROM push_subscriptions WHERE id = ? AND user_id = ?`, int64(id), int64(u))
	}
	if res.Error != nil {
		return fail("delete push subscription", res.Error)
	}
	if res.RowsAffected == 0 {
		return push.ErrSubscriptionNotFound()
	}
	return nil
}

// MuteStore is ports.MuteStore on room_members.muted (migration 000010).
type MuteStore struct{ db *DB }

// Mutes returns the room mute store.
func (db *DB) Mutes() *MuteStore { return &MuteStore{db} }

// SetMuted sets u's mute of room r.
func (s *MuteStore) SetMuted(ctx context.Context, r room.ID, u user.ID, muted bool) error {
	res := s.db.write.WithContext(ctx).Exec(`UPDATE room_members SET muted = ? WHERE room_id = ? AND user_id = ?`,
		muted, int64(r), int64(u))
	if res.Error != nil {
		return fail("mute room", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.NotFound, "not_member", "not a member of the room")
	}
	return nil
}

// Muted returns which of users muted room r: primary-key lookups.
func (s *MuteStore) Muted(ctx context.Context, r room.ID, users []user.ID) (map[user.ID]bool, error) {
	out := make(map[user.ID]bool)
	if len(users) == 0 {
		return out, nil
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = int64(u)
	}
	var muted []int64
	err := s.db.read.WithContext(ctx).Raw(`SELECT user_id FROM room_members WHERE room_id = ? AND user_id IN ? AND muted`,
		int64(r), ids).Scan(&muted).Error
	if err != nil {
		return nil, fail("read room mutes", err)
	}
	for _, u := range muted {
		out[user.ID(u)] = true
	}
	return out, nil
}
