package ports

import (
	"context"
	"time"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// EventKind says what an Event is.
type EventKind uint8

const (
	EventMessage       EventKind = iota + 1 // MessageCreated: to every socket, the sender's too
	EventTyping                             // Typing: not echoed to the typist's sockets
	EventPresence                           // PresenceChanged: user_joined / user_left
	EventFile                               // FileShared, FileUpdated: links are signed per recipient on delivery
	EventMemberRemoved                      // MemberRemoved, control: close the user's sockets in the room (4403)
	EventRoom                               // RoomUpdated: the room's settings or owner changed
	EventRoomDeleted                        // RoomDeleted, control: close every socket in the room (4403)
	EventSessionEnded                       // SessionEnded, control: close the session's sockets in the room (4401)
	EventDirectory                          // RoomCreated, RoomAdded: on Everyone, what user streams learn of rooms
	EventRead                               // ReadMoved: a member's read pointer moved
	EventUserPresence                       // UserPresence: on Everyone, a user came online or went offline anywhere
	EventMemberAdded                        // MemberAdded: a user became a member of the room (streams: member_joined)
	EventProfile                            // ProfileChanged: on Everyone, a user's display name or avatar changed
	EventChange                             // MessageChanged: a message was edited, deleted or reacted to (it has a seq)
	// EventResync (Resync) is raised by a bus itself, never published: its
	// subscription to the room may have missed events (it reconnected), so
	// the subscriber should catch up from the store.
	EventResync
)

// EventKindLast is the highest EventKind a bus carries between instances
// (EventResync never leaves its bus); buses drop what they cannot know.
const EventKindLast = EventChange

// Everyone is the server-wide channel (no room has id 0): the events user
// streams need about rooms they are not subscribed to — a public room
// created, a user added to a room, a session ended, a user's presence —
// travel on it. Each instance subscribes to it once. Presence records a
// user stream socket as a Conn in Everyone: online anywhere.
const Everyone room.ID = 0

// Event is one thing that happened in a room, published after it is
// stored: a domain value, never bytes. The driving edge (adapters/wire)
// turns it into what clients see, once per event on each instance; a bus
// carries it in its own codec.
type Event struct {
	RoomID  room.ID
	Payload Payload
}

// Payload is what happened: one of the event types below.
type Payload interface {
	Kind() EventKind
}

// Kind is the kind of e's payload; 0 when it has none.
func (e Event) Kind() EventKind {
	if e.Payload == nil {
		return 0
	}
	return e.Payload.Kind()
}

// Seq is the seq of a message or change event, for ordering and resume
// de-duplication; 0 for any other event.
func (e Event) Seq() int64 {
	switch p := e.Payload.(type) {
	case MessageCreated:
		return p.Message.Seq
	case MessageChanged:
		return p.Change.Seq
	}
	return 0
}

// Sequenced reports whether e takes a seq of its room's stream (a message
// or a change): what the relay delivers gap-free and in order.
func (e Event) Sequenced() bool { return e.Seq() > 0 }

// MessageCreated: a message was stored (its ID, Seq and CreatedAt set).
type MessageCreated struct{ Message message.Message }

// MessageChanged: a message was edited, deleted or reacted to; the change
// has its own seq in the room's stream.
type MessageChanged struct{ Change message.Change }

// Typing: a user is typing.
type Typing struct {
	UserID   user.ID
	Username string
}

// PresenceChanged: a user's first socket in the room opened (Joined) or
// their last one closed.
type PresenceChanged struct {
	UserID   user.ID
	Username string
	Joined   bool
}

// FileShared: a file was shared in the room. File's ID, UserID, Filename,
// ContentType, Size and ThumbnailStatus are what travels; its keys do not.
type FileShared struct{ File attachment.Attachment }

// FileUpdated: a file's thumbnail became ready, or failed for good.
type FileUpdated struct {
	FileID    attachment.ID
	Thumbnail attachment.ThumbnailStatus
}

// RoomUpdated: the room's settings or owner changed, by Actor. Room's ID,
// Name, Description, IsPrivate and OwnerID are what travels.
type RoomUpdated struct {
	Room  room.Room
	Actor user.ID
}

// MemberRemoved: UserID no longer belongs to the room, for Reason.
// Username is the user's name (for the members who remain).
type MemberRemoved struct {
	UserID   user.ID
	Username string
	Reason   Removal
}

// Removal is why a membership ended.
type Removal uint8

const (
	Left           Removal = iota // the user left
	Removed                       // the room's owner removed the user
	AccountDeleted                // the user's account was deleted
)

// MemberAdded: UserID became a member of the room (joined, was added).
type MemberAdded struct {
	UserID   user.ID
	Username string
}

// ProfileChanged: a user's display name or avatar changed (on Everyone).
// User's ID, Username, DisplayName and AvatarKey are what travels; Rooms
// are the user's rooms, whose members' streams hear of it (and the user's
// own).
type ProfileChanged struct {
	User  user.User
	Rooms []room.ID
}

// RoomDeleted: room Room is gone. Published in the room, and for a public
// room on Everyone as well (it leaves everyone's room list).
type RoomDeleted struct{ Room room.ID }

// RoomCreated: a public room was created (on Everyone). Room's ID, Name,
// Description, IsPrivate and OwnerID are what travels.
type RoomCreated struct{ Room room.Room }

// RoomAdded: UserID became a member of Room (on Everyone): joined, added,
// or created it. Room travels as in RoomCreated.
type RoomAdded struct {
	UserID user.ID
	Room   room.Room
}

// ReadMoved: UserID's read pointer in the room moved to Seq, leaving
// Unread messages of others after it. Receipt: the user shares read
// receipts, so other members see the move too.
type ReadMoved struct {
	UserID  user.ID
	Seq     int64
	Unread  int64
	Receipt bool
}

// UserPresence: UserID's first socket anywhere opened (Online) or the last
// one closed (on Everyone). Rooms are the user's rooms: the sockets of
// their members are who hear of it.
type UserPresence struct {
	UserID   user.ID
	Username string
	Online   bool
	Rooms    []room.ID
}

// SessionEnded: session Session of UserID ended; Suspended when it ended
// because an administrator suspended the account (its sockets close with
// a code of their own, so the client can say why).
type SessionEnded struct {
	UserID    user.ID
	Session   string
	Suspended bool
}

// Resync: the bus's subscription may have missed events.
type Resync struct{}

func (MessageCreated) Kind() EventKind  { return EventMessage }
func (Typing) Kind() EventKind          { return EventTyping }
func (MessageChanged) Kind() EventKind  { return EventChange }
func (PresenceChanged) Kind() EventKind { return EventPresence }
func (FileShared) Kind() EventKind      { return EventFile }
func (FileUpdated) Kind() EventKind     { return EventFile }
func (RoomUpdated) Kind() EventKind     { return EventRoom }
func (MemberRemoved) Kind() EventKind   { return EventMemberRemoved }
func (RoomDeleted) Kind() EventKind     { return EventRoomDeleted }
func (RoomCreated) Kind() EventKind     { return EventDirectory }
func (RoomAdded) Kind() EventKind       { return EventDirectory }
func (ReadMoved) Kind() EventKind       { return EventRead }
func (UserPresence) Kind() EventKind    { return EventUserPresence }
func (MemberAdded) Kind() EventKind     { return EventMemberAdded }
func (ProfileChanged) Kind() EventKind  { return EventProfile }
func (SessionEnded) Kind() EventKind    { return EventSessionEnded }
func (Resync) Kind() EventKind          { return EventResync }

// Bus fans events out to every instance. Delivery is at most once and in
// publish order per room from one publisher; what must not be lost is
// stored before it is published and replayed from the store.
type Bus interface {
	// Publish sends e to every subscriber of e.RoomID on every instance,
	// this one included. Unavailable when the bus cannot be reached.
	Publish(ctx context.Context, e Event) error
	// Subscribe calls deliver for each event of room r until the returned
	// Subscription is closed. It returns only once the subscription is
	// active, so events published after it returns are delivered. deliver
	// must not block; it is called from one goroutine per subscription.
	Subscribe(ctx context.Context, r room.ID, deliver func(Event)) (Subscription, error)
}

// Subscription is an active Bus subscription.
type Subscription interface {
	Close() error
}

// Conn is one live socket of a user in a room, as presence sees it.
type Conn struct {
	RoomID room.ID
	UserID user.ID
	ID     string // unique per socket across instances
}

// Presence tracks who has live sockets in which room, across instances.
// Entries expire unless refreshed, so a crashed instance's users go offline
// within the adapter's TTL (30 s by default).
type Presence interface {
	// Connect records c; first reports that c is the user's only live socket
	// in the room.
	Connect(ctx context.Context, c Conn) (first bool, err error)
	// Disconnect forgets c; last reports that the user has no live socket
	// left in the room. Disconnecting an unknown c returns last=false.
	Disconnect(ctx context.Context, c Conn) (last bool, err error)
	// Refresh extends the life of live sockets.
	Refresh(ctx context.Context, conns []Conn) error
	// Online returns the users with a live socket in r.
	Online(ctx context.Context, r room.ID) (map[user.ID]bool, error)
	// OnlineAmong returns which of users have a live socket in r
	// (Everyone: anywhere), at a cost that grows with len(users), not
	// with who is online.
	OnlineAmong(ctx context.Context, r room.ID, users []user.ID) (map[user.ID]bool, error)
}

// ProfileCache caches users by id. Invalidate must reach every instance
// before it returns or within the cache's TTL, and the instance that calls
// it at once: a Get after Invalidate (or after Set) returned, through the
// same handle, never answers what was cached before.
//
// A miss is (zero, false, fill, nil). Set(u, fill) caches u unless u.ID
// was invalidated, anywhere, since the Get that handed out fill: a store
// read that a profile change overtook (read, change, invalidate, cache)
// never puts the old profile back.
type ProfileCache interface {
	Get(ctx context.Context, id user.ID) (u user.User, ok bool, fill CacheFill, err error)
	Set(ctx context.Context, u user.User, fill CacheFill) error
	Invalidate(ctx context.Context, id user.ID) error
}

// CacheFill is what a ProfileCache's miss hands to the Set that fills it;
// only the cache that made it reads it.
type CacheFill string

// TokenIssuer issues and verifies access tokens.
type TokenIssuer interface {
	// Issue returns a signed token for u in session (carried as the sid
	// claim) and its lifetime.
	Issue(ctx context.Context, u user.ID, session string) (token string, ttl time.Duration, err error)
	// Verify returns the claims of a valid token; Unauthenticated for a
	// malformed, forged, unsigned (alg none) or expired one, and for one
	// without a session (issued before sessions existed).
	Verify(ctx context.Context, token string) (user.Claims, error)
}

// PasswordHasher hashes and checks passwords.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Compare reports whether password matches hash; an error only for a
	// malformed hash.
	Compare(password, hash string) (bool, error)
}

// Clock tells the time (injected so tests control it).
type Clock interface {
	Now() time.Time
}
