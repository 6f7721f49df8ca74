// Package room is the room aggregate: public and private rooms, their
// membership, and the use cases on them (Service).
//
// It imports the standard library and chat/domain packages only.
package room

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"chat/domain"
	"chat/domain/user"
)

// ID identifies a room.
type ID int64

// Limits.
const (
	NameMax        = 80
	DescriptionMax = 1000
)

// Room is a place where members talk.
type Room struct {
	ID          ID
	Name        string
	Description string
	IsPrivate   bool
	OwnerID     user.ID
	CreatedAt   time.Time
}

// Spec is the input of Create.
type Spec struct {
	Name        string
	Description string
	IsPrivate   bool
}

// New validates spec and builds a room owned by owner.
func New(spec Spec, owner user.ID, now time.Time) (Room, error) {
	name := strings.TrimSpace(spec.Name)
	if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return Room{}, domain.Errorf(domain.Invalid, "invalid_room_name", "room name must be valid UTF-8 without NUL")
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > NameMax {
		return Room{}, domain.Errorf(domain.Invalid, "invalid_room_name", "room name must be 1 to %d characters", NameMax)
	}
	desc := strings.TrimSpace(spec.Description)
	if !utf8.ValidString(desc) || strings.ContainsRune(desc, 0) || utf8.RuneCountInString(desc) > DescriptionMax {
		return Room{}, domain.Errorf(domain.Invalid, "invalid_room_description", "description must be valid UTF-8 of at most %d characters", DescriptionMax)
	}
	return Room{Name: name, Description: desc, IsPrivate: spec.IsPrivate, OwnerID: owner, CreatedAt: now.UTC()}, nil
}

// Listing is a room as the actor's room list shows it.
type Listing struct {
	Room
	IsMember bool
}

// Member is a room member as the member list shows it.
type Member struct {
	User   user.User
	Online bool
}

// Service is what driving adapters may ask of rooms. Every method that takes
// a room checks the actor's right to it: outsiders of a private room get
// NotFound, so its existence does not leak.
type Service interface {
	Create(ctx context.Context, actor user.ID, s Spec) (Room, error)
	// List returns public rooms plus the private rooms the actor belongs to.
	List(ctx context.Context, actor user.ID) ([]Listing, error)
	// Get returns one room the actor may see.
	Get(ctx context.Context, actor user.ID, id ID) (Room, error)
	// Join adds the actor to a public room (idempotent). NotFound for a
	// private room the actor was not added to, as for a missing room.
	Join(ctx context.Context, actor user.ID, id ID) error
	// Leave removes the actor and closes the actor's sockets in the room on
	// every instance.
	Leave(ctx context.Context, actor user.ID, id ID) error
	// AddMember lets the owner add a user (idempotent).
	AddMember(ctx context.Context, actor user.ID, id ID, u user.ID) error
	// AddMemberByName is AddMember with the user named by username.
	AddMemberByName(ctx context.Context, actor user.ID, id ID, username string) (user.ID, error)
	// RemoveMember lets the owner remove another member; the removed user's
	// sockets in the room close on every instance.
	RemoveMember(ctx context.Context, actor user.ID, id ID, u user.ID) error
	// Members lists members with their online flag. Members only.
	Members(ctx context.Context, actor user.ID, id ID) ([]Member, error)
	// Authorize returns nil when the actor is a member of the room:
	// Forbidden for a public room, NotFound for a private one otherwise.
	Authorize(ctx context.Context, actor user.ID, id ID) error
	// Connect records a live socket of the actor in the room and announces
	// user_joined when it is the actor's first socket there.
	Connect(ctx context.Context, actor user.ID, id ID, connID string) error
	// Disconnect forgets the socket and announces user_left when it was the
	// actor's last.
	Disconnect(ctx context.Context, actor user.ID, id ID, connID string) error
	// Heartbeat keeps this instance's sockets present (called periodically).
	Heartbeat(ctx context.Context, conns []Conn) error
}

// Conn is one live socket of a user in a room.
type Conn struct {
	RoomID ID
	UserID user.ID
	ID     string
}
