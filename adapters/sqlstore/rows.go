package sqlstore

import (
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// Rows mirror the tables of chat/migrations; the migrations, not gorm,
// define the schema. Each maps to and from its domain type.

// userRow is a users row. Its password hash is written when the row is
// created and never read through it (gorm's field permissions): only
// credentialRow reads it, and SetPassword writes it.
type userRow struct {
	ID           int64  `gorm:"column:id;primaryKey"`
	Username     string `gorm:"column:username"`
	Email        string `gorm:"column:email"`
	PasswordHash string `gorm:"column:password_hash;<-:create;->:false"`
	DisplayName  string `gorm:"column:display_name"`
	Bio          string `gorm:"column:bio"`
	AvatarKey    string `gorm:"column:avatar_key"`
	ReadReceipts bool   `gorm:"column:read_receipts"` // the inverse of user.User.HideReceipts
	IsAdmin      bool   `gorm:"column:is_admin"`
	// SuspendedAt is NULL while the account is not suspended.
	SuspendedAt   *time.Time `gorm:"column:suspended_at"`
	SuspendReason string     `gorm:"column:suspend_reason"`
	CreatedAt     time.Time  `gorm:"column:created_at"`
}

func (userRow) TableName() string { return "users" }

// userFields are the columns of a profile. Profiles are read by naming
// them (userColumns, returningUser), so no read of a profile fetches a hash.
var (
	userFields    = []string{"id", "username", "email", "display_name", "bio", "avatar_key", "read_receipts", "is_admin", "suspended_at", "suspend_reason", "created_at"}
	userColumns   = make([]string, len(userFields))
	returningUser = make([]clause.Column, len(userFields))
)

func init() {
	for i, f := range userFields {
		userColumns[i] = "users." + f
		returningUser[i] = clause.Column{Name: f}
	}
}

func toUserRow(u user.User) userRow {
	return userRow{
		ID: int64(u.ID), Username: u.Username.String(), Email: u.Email,
		DisplayName: u.DisplayName, Bio: u.Bio, AvatarKey: u.AvatarKey, ReadReceipts: !u.HideReceipts,
		IsAdmin: u.Admin, SuspendedAt: suspendedAt(u.Suspension), SuspendReason: u.Suspension.Reason,
		CreatedAt: stamp(u.CreatedAt),
	}
}

// suspendedAt is the suspended_at column of s: NULL when s is none.
func suspendedAt(s user.Suspension) *time.Time {
	if !s.Active() {
		return nil
	}
	t := stamp(s.At)
	return &t
}

// storedUsername parses the username stored in user id's row.
func storedUsername(id int64, s string) (user.Username, error) {
	name, err := user.NewUsername(s)
	if err != nil {
		return user.Username{}, domain.Wrap(domain.Internal, "", fmt.Sprintf("stored username of user %d is invalid", id), err)
	}
	return name, nil
}

func (r userRow) domain() (user.User, error) {
	name, err := storedUsername(r.ID, r.Username)
	if err != nil {
		return user.User{}, err
	}
	return user.User{
		ID: user.ID(r.ID), Username: name, Email: r.Email,
		DisplayName: r.DisplayName, Bio: r.Bio, AvatarKey: r.AvatarKey, HideReceipts: !r.ReadReceipts,
		Admin: r.IsAdmin, Suspension: r.suspension(), CreatedAt: r.CreatedAt.UTC(),
	}, nil
}

func (r userRow) suspension() user.Suspension {
	if r.SuspendedAt == nil {
		return user.Suspension{}
	}
	return user.Suspension{At: r.SuspendedAt.UTC(), Reason: r.SuspendReason}
}

// credentialRow is what checking a password reads of a users row.
type credentialRow struct {
	ID           int64  `gorm:"column:id"`
	Username     string `gorm:"column:username"`
	PasswordHash string `gorm:"column:password_hash"`
}

func (r credentialRow) domain() (user.Credentials, error) {
	name, err := storedUsername(r.ID, r.Username)
	if err != nil {
		return user.Credentials{}, err
	}
	return user.Credentials{UserID: user.ID(r.ID), Username: name, Hash: r.PasswordHash}, nil
}

type roomRow struct {
	ID          int64     `gorm:"column:id;primaryKey"`
	Name        string    `gorm:"column:name"`
	Description string    `gorm:"column:description"`
	IsPrivate   bool      `gorm:"column:is_private"`
	OwnerID     int64     `gorm:"column:owner_id"`
	CreatedAt   time.Time `gorm:"column:created_at"`
	Kind        int16     `gorm:"column:kind"`
	EditWindow  int64     `gorm:"column:edit_window"` // seconds
	DirectKey   *string   `gorm:"column:direct_key"`  // NULL for a channel
}

func (roomRow) TableName() string { return "rooms" }

func toRoomRow(r room.Room) roomRow {
	return roomRow{
		ID: int64(r.ID), Name: r.Name, Description: r.Description, IsPrivate: r.IsPrivate,
		OwnerID: int64(r.OwnerID), CreatedAt: stamp(r.CreatedAt),
		Kind: int16(r.Kind), EditWindow: int64(r.EditWindow / time.Second),
	}
}

func (r roomRow) domain() room.Room {
	return room.Room{
		ID: room.ID(r.ID), Name: r.Name, Description: r.Description, IsPrivate: r.IsPrivate,
		OwnerID: user.ID(r.OwnerID), CreatedAt: r.CreatedAt.UTC(),
		Kind: room.Kind(r.Kind), EditWindow: time.Duration(r.EditWindow) * time.Second,
	}
}

// messageRow is the part of a messages row that a plain message (no
// reply, mentions or files: the group commit's) has.
type messageRow struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	RoomID    int64     `gorm:"column:room_id"`
	Seq       int64     `gorm:"column:seq"`
	N         *int64    `gorm:"column:n"` // NULL on rows from before 000007: n = seq
	UserID    int64     `gorm:"column:user_id"`
	Username  string    `gorm:"column:username"`
	Content   string    `gorm:"column:content"`
	ClientID  *string   `gorm:"column:client_id"` // NULL when the client sent no key
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (messageRow) TableName() string { return "messages" }

func toMessageRow(m message.Message) messageRow {
	r := messageRow{
		ID: int64(m.ID), RoomID: int64(m.RoomID), Seq: m.Seq, UserID: int64(m.UserID),
		Username: m.Username, Content: m.Content, CreatedAt: stamp(m.CreatedAt),
	}
	if m.ClientID != "" {
		r.ClientID = &m.ClientID
	}
	return r
}

func (r messageRow) domain() message.Message {
	m := message.Message{
		ID: message.ID(r.ID), RoomID: room.ID(r.RoomID), Seq: r.Seq, UserID: user.ID(r.UserID),
		Username: r.Username, Content: r.Content, CreatedAt: r.CreatedAt.UTC(),
	}
	if r.ClientID != nil {
		m.ClientID = *r.ClientID
	}
	return m
}

// stamp returns t as the stores keep times — in UTC, to the microsecond,
// the finest PostgreSQL keeps, so a value returned on write equals the one
// read back — or now when t is zero.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}
