package ports

import (
	"context"
	"time"

	"chat/domain/room"
	"chat/domain/user"
)

// EventKind says what an Event is. Frames of every kind but the control
// events (MemberRemoved, RoomDeleted, SessionEnded) go to clients as they
// are (a file event's links are first signed for each recipient, see
// EventFile).
type EventKind uint8

const (
	EventMessage       EventKind = iota + 1 // Seq set; to every socket, the sender's too
	EventTyping                             // not echoed to UserID's sockets
	EventPresence                           // user_joined / user_left
	EventFile                               // file_shared / file_updated; its links are unsigned paths, signed per recipient on delivery
	EventMemberRemoved                      // control: close UserID's sockets in the room (4403); Frame nil
	EventRoom                               // room_updated: the room's settings or owner changed
	EventRoomDeleted                        // control: close every socket in the room (4403); Frame nil
	EventSessionEnded                       // control: close UserID's sockets of session Session in the room (4401); Frame nil
	// EventResync is raised by a bus itself, never published: its
	// subscription to the room may have missed events (it reconnected), so
	// the subscriber should catch up from the store. Frame nil.
	EventResync
)

// EventKindLast is the highest EventKind a bus carries between instances
// (EventResync never leaves its bus); buses drop what they cannot know.
const EventKindLast = EventSessionEnded

// Event is one thing that happened in a room, published after it is stored.
// Frame is the complete wire frame, encoded once by the application; buses
// carry it and hubs send the same bytes to every socket.
type Event struct {
	RoomID room.ID
	Kind   EventKind
	Seq    int64   // message events: the message's seq, for resume de-duplication
	UserID user.ID // the actor (typing, presence) or the target (member removed, session ended)
	// Session is the ended session of an EventSessionEnded; empty otherwise.
	Session string
	Frame   []byte
}

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
}

// ProfileCache caches users by id. A miss is (zero, false, nil). Invalidate
// must reach every instance before it returns or within the cache's TTL.
type ProfileCache interface {
	Get(ctx context.Context, id user.ID) (user.User, bool, error)
	Set(ctx context.Context, u user.User) error
	Invalidate(ctx context.Context, id user.ID) error
}

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
