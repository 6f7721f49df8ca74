package room

import (
	"context"
	"slices"
	"strconv"
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
	// Kind: a channel (anyone may be added or, when public, join) or a
	// direct conversation of 2 to DirectMax fixed people.
	Kind Kind
	// EditWindow is how long after sending an author may edit; 0: always.
	EditWindow time.Duration
}

// Kind says what sort of room a Room is.
type Kind uint8

const (
	Channel Kind = iota // an ordinary room
	Direct              // a direct conversation: private, its members fixed
)

// DirectMax is the most people one direct conversation holds;
// EditWindowMax the longest edit window a room may set.
const (
	DirectMax     = 8
	EditWindowMax = 30 * 24 * time.Hour
)

// NewDirect is the direct conversation of members (the opener first, the
// others after, 1 to DirectMax−1 of them, no repeats): private, owned by
// the opener, named after its members' usernames. Key is what makes it the
// one conversation of exactly these people.
func NewDirect(opener user.User, others []user.User, now time.Time) (r Room, key string, err error) {
	if len(others) < 1 || len(others) > DirectMax-1 {
		return Room{}, "", domain.Errorf(domain.Invalid, "invalid_dm", "a direct conversation has 2 to %d people", DirectMax)
	}
	ids := []user.ID{opener.ID}
	names := []string{opener.Username.String()}
	for _, o := range others {
		if slices.Contains(ids, o.ID) {
			return Room{}, "", domain.Errorf(domain.Invalid, "invalid_dm", "each person is named once, and not the caller")
		}
		ids = append(ids, o.ID)
		names = append(names, o.Username.String())
	}
	slices.Sort(names)
	name := strings.Join(names, ", ")
	if r := []rune(name); len(r) > NameMax {
		name = string(r[:NameMax-1]) + "…"
	}
	return Room{Name: name, IsPrivate: true, OwnerID: opener.ID, CreatedAt: now.UTC(), Kind: Direct}, DirectKey(ids), nil
}

// DirectKey identifies the direct conversation of exactly ids: their sorted
// distinct ids joined by commas.
func DirectKey(ids []user.ID) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = strconv.FormatInt(int64(id), 10)
	}
	return strings.Join(parts, ",")
}

// ErrDirect refuses what a direct conversation does not allow: joining,
// leaving, adding or removing people, invites, settings, transfer, delete.
func ErrDirect() error {
	return domain.Errorf(domain.Forbidden, "direct_message", "a direct conversation's people are fixed")
}

// Spec is the input of Create.
type Spec struct {
	Name        string
	Description string
	IsPrivate   bool
}

// New validates spec and builds a room owned by owner.
func New(spec Spec, owner user.ID, now time.Time) (Room, error) {
	name, err := checkName(spec.Name)
	if err != nil {
		return Room{}, err
	}
	desc, err := checkDescription(spec.Description)
	if err != nil {
		return Room{}, err
	}
	return Room{Name: name, Description: desc, IsPrivate: spec.IsPrivate, OwnerID: owner, CreatedAt: now.UTC()}, nil
}

// checkName trims a room name and refuses an empty or over-long one, and
// one with control, bidirectional or zero-width characters
// (domain.CleanName): a room's name is how members tell rooms apart.
func checkName(s string) (string, error) {
	name := strings.TrimSpace(s)
	if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return "", domain.Errorf(domain.Invalid, "invalid_room_name", "room name must be valid UTF-8 without NUL")
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > NameMax {
		return "", domain.Errorf(domain.Invalid, "invalid_room_name", "room name must be 1 to %d characters", NameMax)
	}
	if !domain.CleanName(name) {
		return "", domain.Errorf(domain.Invalid, "invalid_room_name", "room name must not contain control, bidirectional or zero-width characters")
	}
	return name, nil
}

// checkDescription trims a description and refuses an over-long one, and
// one with control, bidirectional or zero-width characters other than
// line breaks and tabs, which a description may hold.
func checkDescription(s string) (string, error) {
	desc := strings.TrimSpace(s)
	if !utf8.ValidString(desc) || strings.ContainsRune(desc, 0) || utf8.RuneCountInString(desc) > DescriptionMax {
		return "", domain.Errorf(domain.Invalid, "invalid_room_description", "description must be valid UTF-8 of at most %d characters", DescriptionMax)
	}
	lines := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, desc)
	if !domain.CleanName(lines) {
		return "", domain.Errorf(domain.Invalid, "invalid_room_description", "description must not contain control, bidirectional or zero-width characters")
	}
	return desc, nil
}

// Patch is a change of a room's settings; nil fields are left alone.
type Patch struct {
	Name        *string
	Description *string
	IsPrivate   *bool
	EditWindow  *time.Duration // 0: no limit; at most EditWindowMax
}

// Apply validates p and applies it to r; on error r is unchanged.
func (r *Room) Apply(p Patch) error {
	next := *r
	if p.Name != nil {
		name, err := checkName(*p.Name)
		if err != nil {
			return err
		}
		next.Name = name
	}
	if p.Description != nil {
		desc, err := checkDescription(*p.Description)
		if err != nil {
			return err
		}
		next.Description = desc
	}
	if p.IsPrivate != nil {
		next.IsPrivate = *p.IsPrivate
	}
	if p.EditWindow != nil {
		w := *p.EditWindow
		if w < 0 || w > EditWindowMax {
			return domain.Errorf(domain.Invalid, "invalid_edit_window", "edit window must be 0 (no limit) to %d seconds", int64(EditWindowMax/time.Second))
		}
		next.EditWindow = w
	}
	*r = next
	return nil
}

// Membership is one member of a room and when they joined.
type Membership struct {
	UserID   user.ID
	JoinedAt time.Time
}

// Heir is who inherits a room when its owner leaves it (or the owner's
// account ends): the longest-standing other member — the earliest
// JoinedAt, the lowest user id among equals. ok is false when the owner
// was the only member; the room is then deleted.
func Heir(members []Membership, owner user.ID) (heir user.ID, ok bool) {
	var best Membership
	for _, m := range members {
		if m.UserID == owner {
			continue
		}
		if !ok || m.JoinedAt.Before(best.JoinedAt) || m.JoinedAt.Equal(best.JoinedAt) && m.UserID < best.UserID {
			best, ok = m, true
		}
	}
	return best.UserID, ok
}

// Listing is a room as the actor's room list shows it.
type Listing struct {
	Room
	IsMember bool
	// Standing is where the actor stands in the room; for a room the actor
	// does not belong to only its LastSeq is set.
	Standing Standing
}

// Standing is where a member stands in a room: the room's newest seq, the
// member's read pointer (never ahead of LastSeq, never moved backwards),
// and Unread, the messages after the pointer that others sent.
type Standing struct {
	LastSeq     int64
	LastReadSeq int64
	Unread      int64
	Mentions    int64 // messages after the pointer that mention the user
}

// Member is a room member as the member list shows it.
type Member struct {
	User   user.User
	Online bool
	// LastReadSeq is the member's read pointer; -1 when the member does not
	// share read receipts.
	LastReadSeq int64
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
	// every instance. An owner who leaves hands the room to its Heir; an
	// owner who was the last member deletes it.
	Leave(ctx context.Context, actor user.ID, id ID) error
	// Update lets the owner rename the room and change its description
	// and privacy; the room's sockets get room_updated. Forbidden
	// ("not_owner") for other members.
	Update(ctx context.Context, actor user.ID, id ID, p Patch) (Room, error)
	// TransferOwnership lets the owner hand the room to another member;
	// NotFound ("not_a_member") when to is not one.
	TransferOwnership(ctx context.Context, actor user.ID, id ID, to user.ID) (Room, error)
	// Delete lets the owner delete the room with its messages, members and
	// files; every socket in the room closes (4403) on every instance.
	Delete(ctx context.Context, actor user.ID, id ID) error
	// OpenDirect returns the one direct conversation of the actor and the
	// users named by ids and usernames (1 to DirectMax−1 others, each an
	// id or a username), creating it the first time: the same room
	// whoever opens it, however many open it at once. created is true for
	// the call that made it.
	OpenDirect(ctx context.Context, actor user.ID, ids []user.ID, usernames []string) (r Listing, created bool, err error)
	// AddMember lets the owner add a user (idempotent); added is false when
	// the user was a member already.
	AddMember(ctx context.Context, actor user.ID, id ID, u user.ID) (added bool, err error)
	// AddMemberByName is AddMember with the user named by username.
	AddMemberByName(ctx context.Context, actor user.ID, id ID, username string) (u user.ID, added bool, err error)
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

	// MarkRead moves the actor's read pointer in the room forward to seq
	// (capped at the room's newest seq; never backwards) and returns where
	// the actor then stands. A move reaches the actor's other sockets and,
	// unless the actor hides read receipts, the room's members. Members
	// only.
	MarkRead(ctx context.Context, actor user.ID, id ID, seq int64) (Standing, error)
	// OpenStream records a user stream socket of the actor (the actor is
	// then online anywhere, announced when it is the actor's first) and
	// returns the rooms the actor belongs to with where the actor stands.
	OpenStream(ctx context.Context, actor user.ID, connID string) (map[ID]Standing, error)
	// Follow tells that a user stream of the actor now carries room id (it
	// was joined after the stream opened): the actor's frames for it pass
	// without a membership query while it does. It returns where the actor
	// stands; NotFound or Forbidden when the actor is not a member.
	Follow(ctx context.Context, actor user.ID, id ID) (Standing, error)
	// Unfollow undoes Follow (or OpenStream's rooms) for one room.
	Unfollow(actor user.ID, id ID)
	// CloseStream forgets a stream socket opened with OpenStream, that
	// carried rooms; the actor goes offline when it was the last socket.
	CloseStream(ctx context.Context, actor user.ID, connID string, rooms []ID) error
}

// Conn is one live socket of a user in a room.
type Conn struct {
	RoomID ID
	UserID user.ID
	ID     string
}

// Moderation is what an administrator may do to any room, whoever owns it.
// Every method refuses anyone but a live administrator: Forbidden
// "not_admin".
type Moderation interface {
	// DeleteRoom deletes the room as its owner's Delete does.
	DeleteRoom(ctx context.Context, actor user.ID, id ID) error
	// RemoveMember removes u from the room as the owner's RemoveMember
	// does; a room's owner first hands the room to its Heir (or, alone in
	// it, the room is deleted), as when an owner leaves.
	RemoveMember(ctx context.Context, actor user.ID, id ID, u user.ID) error
}
