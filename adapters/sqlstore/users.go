package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.UserStore    = (*UserStore)(nil)
	_ ports.AccountStore = (*UserStore)(nil)
)

// UserStore implements ports.UserStore and ports.AccountStore on the users
// table. Rows of deleted accounts (deleted_at set) are tombstones it never
// returns.
type UserStore struct{ db *DB }

func (s *UserStore) Create(ctx context.Context, u user.User, hash string) (user.User, error) {
	row := toUserRow(u)
	row.ID, row.PasswordHash = 0, hash
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
	if err := s.first(ctx, op, &row, userColumns, where, arg); err != nil {
		return user.User{}, err
	}
	return row.domain()
}

func (s *UserStore) Credentials(ctx context.Context, name user.Username) (user.Credentials, error) {
	return s.credentials(ctx, "read credentials by name", "username = ?", name.String())
}

func (s *UserStore) CredentialsByID(ctx context.Context, id user.ID) (user.Credentials, error) {
	return s.credentials(ctx, "read credentials", "id = ?", int64(id))
}

func (s *UserStore) credentials(ctx context.Context, op, where string, arg any) (user.Credentials, error) {
	var row credentialRow
	if err := s.first(ctx, op, &row, []string{"id", "username", "password_hash"}, where, arg); err != nil {
		return user.Credentials{}, err
	}
	return row.domain()
}

// first reads columns of the live users row matching where into row.
func (s *UserStore) first(ctx context.Context, op string, row any, columns []string, where string, arg any) error {
	err := s.db.read.WithContext(ctx).Table("users").Select(columns).
		Where(where, arg).Where("deleted_at IS NULL").Take(row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return errUserNotFound(nil)
	}
	if err != nil {
		return fail(op, err)
	}
	return nil
}

func (s *UserStore) Update(ctx context.Context, u user.User) (user.User, error) {
	var row userRow
	res := s.db.write.WithContext(ctx).Model(&row).Clauses(clause.Returning{Columns: returningUser}).
		Where("id = ? AND deleted_at IS NULL", int64(u.ID)).
		Updates(map[string]any{"display_name": u.DisplayName, "bio": u.Bio, "avatar_key": u.AvatarKey, "read_receipts": !u.HideReceipts})
	if res.Error != nil {
		return user.User{}, fail("update user", res.Error)
	}
	if res.RowsAffected == 0 {
		return user.User{}, errUserNotFound(nil)
	}
	return row.domain()
}

func (s *UserStore) SetPassword(ctx context.Context, u user.ID, hash string) error {
	res := s.db.write.WithContext(ctx).Exec(`UPDATE users SET password_hash = ? WHERE id = ? AND deleted_at IS NULL`, hash, int64(u))
	if res.Error != nil {
		return fail("set password", res.Error)
	}
	if res.RowsAffected == 0 {
		return errUserNotFound(nil)
	}
	return nil
}

// Erase turns the row into a tombstone named "deleted:<id>" (a name no
// registration can take: ':' is not allowed), renames the author of the
// account's messages and changes, and deletes its scheduled messages, in
// one transaction. The messages' rooms get their rev bumped, so every
// instance's newest-page cache drops the old name; on PostgreSQL they are
// locked first, in ascending id order, as appends and changes lock them
// before they touch a message, so none of them deadlocks with an erase.
// No index serves messages or changes by user: the renames scan the
// tables, which an account deletion may afford.
func (s *UserStore) Erase(ctx context.Context, u user.ID) error {
	id := int64(u)
	err := s.db.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE users SET username = ?, email = '', password_hash = '', display_name = ?, bio = '',
			avatar_key = '', deleted_at = ? WHERE id = ? AND deleted_at IS NULL`,
			"deleted:"+strconv.FormatInt(id, 10), user.DeletedName, stamp(time.Time{}), id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errUserNotFound(nil)
		}
		for _, q := range []string{
			`DELETE FROM sessions WHERE user_id = ?`,
			`DELETE FROM room_members WHERE user_id = ?`,
			`DELETE FROM scheduled_messages WHERE user_id = ?`,
			`DELETE FROM push_subscriptions WHERE user_id = ?`,
		} {
			if err := tx.Exec(q, id).Error; err != nil {
				return err
			}
		}
		var rooms []int64
		if err := tx.Raw(`SELECT DISTINCT room_id FROM messages WHERE user_id = ? ORDER BY room_id`, id).Scan(&rooms).Error; err != nil {
			return err
		}
		if len(rooms) > 0 && s.db.dialect == Postgres {
			var locked []int64
			if err := tx.Raw(`SELECT id FROM rooms WHERE id IN ? ORDER BY id FOR NO KEY UPDATE`, rooms).Scan(&locked).Error; err != nil {
				return err
			}
		}
		for _, q := range []string{
			`UPDATE messages SET username = ? WHERE user_id = ?`,
			`UPDATE message_changes SET username = ? WHERE user_id = ?`,
		} {
			if err := tx.Exec(q, user.DeletedName, id).Error; err != nil {
				return err
			}
		}
		if len(rooms) == 0 {
			return nil
		}
		return tx.Exec(`UPDATE rooms SET rev = rev + 1 WHERE id IN ?`, rooms).Error
	})
	if domain.KindOf(err) == domain.NotFound {
		return err
	}
	return fail("erase user", err)
}

var _ ports.RoleStore = (*UserStore)(nil)

func (s *UserStore) SetAdmin(ctx context.Context, u user.ID, admin bool) (user.User, error) {
	return s.set(ctx, "set admin", u, map[string]any{"is_admin": admin})
}

func (s *UserStore) Suspend(ctx context.Context, u user.ID, sus user.Suspension) (user.User, error) {
	return s.set(ctx, "suspend user", u, map[string]any{"suspended_at": suspendedAt(sus), "suspend_reason": sus.Reason})
}

// set writes columns of live account u and returns it as stored.
func (s *UserStore) set(ctx context.Context, op string, u user.ID, columns map[string]any) (user.User, error) {
	var row userRow
	res := s.db.write.WithContext(ctx).Model(&row).Clauses(clause.Returning{Columns: returningUser}).
		Where("id = ? AND deleted_at IS NULL", int64(u)).Updates(columns)
	if res.Error != nil {
		return user.User{}, fail(op, res.Error)
	}
	if res.RowsAffected == 0 {
		return user.User{}, errUserNotFound(nil)
	}
	return row.domain()
}

// List scans the live accounts by primary key from q.After; the search is
// a LIKE on the folded username and the lowered display name (LOWER folds
// ASCII on SQLite, which is what the port promises), so no index serves
// it: an administrator's page costs a range scan.
func (s *UserStore) List(ctx context.Context, q user.ListQuery) ([]user.User, error) {
	tx := s.db.read.WithContext(ctx).Table("users").Select(userColumns).
		Where("id > ? AND deleted_at IS NULL", int64(q.After))
	if q.Search != "" {
		pat := "%" + likeEscaper.Replace(strings.ToLower(q.Search)) + "%"
		tx = tx.Where(`(username LIKE ? ESCAPE '\' OR LOWER(display_name) LIKE ? ESCAPE '\')`, pat, pat)
	}
	var rows []userRow
	if err := tx.Order("id").Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, fail("list users", err)
	}
	out := make([]user.User, 0, len(rows))
	for _, r := range rows {
		u, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// likeEscaper makes a search's %, _ and \ match themselves in a LIKE
// pattern with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
