package sqlstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.SessionStore = (*SessionStore)(nil)

// SessionStore implements ports.SessionStore on the sessions table. It is
// read once per session and instance (the application caches what it
// learns), so it goes through gorm.
type SessionStore struct{ db *DB }

// Sessions returns the ports.SessionStore.
func (db *DB) Sessions() *SessionStore { return &SessionStore{db} }

type sessionRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	UserID    int64     `gorm:"column:user_id"`
	CreatedAt time.Time `gorm:"column:created_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (sessionRow) TableName() string { return "sessions" }

func (r sessionRow) domain() user.Session {
	return user.Session{ID: r.ID, UserID: user.ID(r.UserID), CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

func errSessionNotFound() error {
	return domain.Errorf(domain.NotFound, "session_not_found", "session not found")
}

func (s *SessionStore) Create(ctx context.Context, sess user.Session) error {
	row := sessionRow{ID: sess.ID, UserID: int64(sess.UserID), CreatedAt: stamp(sess.CreatedAt), ExpiresAt: stamp(sess.ExpiresAt)}
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var live int
		// A tombstone has no sessions: the account is gone.
		if err := tx.Raw(`SELECT COUNT(*) FROM users WHERE id = ? AND deleted_at IS NULL`, row.UserID).Scan(&live).Error; err != nil {
			return err
		}
		if live == 0 {
			return errUserNotFound(nil)
		}
		if err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?`, row.UserID, row.CreatedAt).Error; err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if domain.KindOf(err) == domain.NotFound {
		return err
	}
	if violationOf(err) == foreignKeyViolation {
		return errUserNotFound(err)
	}
	return fail("create session", err)
}

func (s *SessionStore) ByID(ctx context.Context, id string) (user.Session, error) {
	var row sessionRow
	err := s.db.read.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return user.Session{}, errSessionNotFound()
	}
	if err != nil {
		return user.Session{}, fail("read session", err)
	}
	return row.domain(), nil
}

func (s *SessionStore) Delete(ctx context.Context, u user.ID, id string) (bool, error) {
	res := s.db.write.WithContext(ctx).Exec(`DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, int64(u))
	if res.Error != nil {
		return false, fail("delete session", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s *SessionStore) DeleteAll(ctx context.Context, u user.ID, keep string) ([]user.Session, error) {
	var rows []sessionRow
	err := s.db.write.WithContext(ctx).
		Raw(`DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING id, user_id, created_at, expires_at`, int64(u), keep).
		Scan(&rows).Error
	if err != nil {
		return nil, fail("delete sessions", err)
	}
	out := make([]user.Session, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	slices.SortFunc(out, func(a, b user.Session) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
