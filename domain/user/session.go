package user

import (
	"context"
	"time"
)

// Session is one sign-in: a login on one device. Every access token names
// its session, and is honoured only while the session exists; logging out,
// changing the password and deleting the account end sessions.
type Session struct {
	ID        string // random, unguessable
	UserID    ID
	CreatedAt time.Time
	ExpiresAt time.Time // the token's expiry: the row is useless afterwards
}

// Ticket is a one-time credential for opening one WebSocket: short-lived,
// usable once, bound to the user and session that asked for it, so a
// long-lived token never has to travel in a URL.
type Ticket struct {
	Value     string
	ExpiresIn time.Duration
}

// DeletedName is the author name a deleted account's messages show.
const DeletedName = "deleted user"

// Sessions is what driving adapters may ask of sessions and of the
// account's end. Ending a session takes effect on every instance at once:
// its token is refused and its sockets close with 4401.
type Sessions interface {
	// Logout ends the session c belongs to.
	Logout(ctx context.Context, c Claims) error
	// LogoutAll ends every session of the actor, this one included.
	LogoutAll(ctx context.Context, actor ID) error
	// ChangePassword replaces the actor's password after checking the
	// current one (Forbidden "wrong_password" when it does not match) and
	// ends every other session of the actor; c's own session goes on.
	ChangePassword(ctx context.Context, c Claims, current, next string) error
	// DeleteAccount checks the password (Forbidden "wrong_password"), ends
	// every session, hands each room the actor owns to its longest-standing
	// other member (or deletes the room when there is none), removes the
	// actor from every room and erases the account. The actor's messages
	// stay, shown as written by DeletedName.
	DeleteAccount(ctx context.Context, actor ID, password string) error
	// IssueTicket makes a one-time WebSocket ticket for c's user and
	// session.
	IssueTicket(ctx context.Context, c Claims) (Ticket, error)
	// RedeemTicket uses a ticket up: the claims it was issued for.
	// Unauthenticated "invalid_ticket" for an unknown, expired or already
	// used ticket, or when its session has ended since.
	RedeemTicket(ctx context.Context, ticket string) (Claims, error)
	// Check verifies that c's session still lasts (Unauthenticated
	// "session_ended" otherwise): how a long-lived socket re-checks the
	// claims it was opened with.
	Check(ctx context.Context, c Claims) error
}
