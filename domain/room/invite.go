package room

import (
	"context"
	"time"

	"chat/domain"
	"chat/domain/user"
)

// Invite is a link that lets a signed-in user join a room, private ones
// included, until it expires or is revoked. Code is its secret.
type Invite struct {
	Code      string
	RoomID    ID
	CreatedBy user.ID
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Limits of invites.
const (
	InviteTTLDefault = 7 * 24 * time.Hour
	InviteTTLMin     = time.Minute
	InviteTTLMax     = 30 * 24 * time.Hour
	// InvitesPerRoom bounds a room's live invites.
	InvitesPerRoom = 100
)

// InviteTTL validates a requested lifetime; 0 is the default.
func InviteTTL(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return InviteTTLDefault, nil
	case d < InviteTTLMin || d > InviteTTLMax:
		return 0, domain.Errorf(domain.Invalid, "invalid_expires_in", "an invite lives from %d seconds to %d days",
			int(InviteTTLMin.Seconds()), int(InviteTTLMax.Hours()/24))
	}
	return d, nil
}

// Live reports whether inv can still be used at now.
func (inv Invite) Live(now time.Time) bool { return now.Before(inv.ExpiresAt) }

// InviteView is what an invite's holder may see before joining.
type InviteView struct {
	Invite   Invite
	Room     Room
	IsMember bool
}

// Invites is what driving adapters may ask of invites. Creating, listing
// and revoking are for the room's members (outsiders get Authorize's
// answer); viewing and accepting are for whoever holds a live code: any
// other code — unknown, expired, revoked — is NotFound "invite_not_found".
type Invites interface {
	// Create makes an invite to room id living ttl (0: the default).
	// Conflict "too_many_invites" beyond InvitesPerRoom live ones.
	Create(ctx context.Context, actor user.ID, id ID, ttl time.Duration) (Invite, error)
	// List returns the room's live invites, newest first.
	List(ctx context.Context, actor user.ID, id ID) ([]Invite, error)
	// Revoke deletes an invite: its creator or the room's owner
	// (Forbidden "not_owner" for others). NotFound "invite_not_found".
	Revoke(ctx context.Context, actor user.ID, id ID, code string) error
	// View shows the room an invite leads to.
	View(ctx context.Context, actor user.ID, code string) (InviteView, error)
	// Accept makes the actor a member of the invite's room (idempotent)
	// and returns it as the actor's room list shows it.
	Accept(ctx context.Context, actor user.ID, code string) (Listing, error)
}
