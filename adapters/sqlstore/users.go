package sqlstore

import (
	"context"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.UserStore = (*UserStore)(nil)

// UserStore implements ports.UserStore on the users table.
type UserStore struct{ db *DB }

func (s *UserStore) Create(ctx context.Context, u user.User) (user.User, error) {
	row := toUserRow(u)
	row.ID = 0
	if err := s.db.write.WithContext(ctx).Create(&row).Error; err != nil {
		if violationOf(err) == uniqueViolation {
			return user.User{}, domain.Wrap(domain.Conflict, "username_taken", "username is taken", err)
		}
		return user.User{}, fail("create user", err)
	}
	return row.domain()
}

func (s *UserStore) ByID(ctx context.Context, id user.ID) (user.User, error) {
	return s.take(ctx, "read user", "id = ?", int64(id))
}

func (s *UserStore) ByUsername(ctx context.Context, name user.Username) (user.User, error) {
	return s.take(ctx, "read user by name", "username = ?", name.String())
}

func (s *UserStore) take(ctx context.Context, op, where string, arg any) (user.User, error) {
	var row userRow
	err := s.db.read.WithContext(ctx).Where(where, arg).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return user.User{}, errUserNotFound(nil)
	}
	if err != nil {
		return user.User{}, fail(op, err)
	}
	return row.domain()
}

func (s *UserStore) Update(ctx context.Context, u user.User) (user.User, error) {
	var row userRow
	res := s.db.write.WithContext(ctx).Model(&row).Clauses(clause.Returning{}).
		Where("id = ?", int64(u.ID)).
		Updates(map[string]any{"display_name": u.DisplayName, "bio": u.Bio, "avatar_key": u.AvatarKey})
	if res.Error != nil {
		return user.User{}, fail("update user", res.Error)
	}
	if res.RowsAffected == 0 {
		return user.User{}, errUserNotFound(nil)
	}
	return row.domain()
}
