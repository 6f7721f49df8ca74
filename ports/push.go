package ports

import (
	"context"
	"time"

	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
)

// PushStore keeps users' Web Push subscriptions. An endpoint is unique:
// a browser's endpoint belongs to whoever subscribed it last.
type PushStore interface {
	// Save stores s (ID assigned): an existing endpoint is updated in
	// place and moved to s.UserID; then the user's subscriptions beyond
	// max, oldest first, are deleted. NotFound when the user does not
	// exist.
	Save(ctx context.Context, s push.Subscription, max int) (push.Subscription, error)
	// ByID returns a subscription; NotFound "subscription_not_found" when
	// absent.
	ByID(ctx context.Context, id push.SubscriptionID) (push.Subscription, error)
	// ByUser returns u's subscriptions, oldest first.
	ByUser(ctx context.Context, u user.ID) ([]push.Subscription, error)
	// Delete removes subscription id when it is u's (u 0: whoever's);
	// NotFound "subscription_not_found" when there is no such one.
	Delete(ctx context.Context, u user.ID, id push.SubscriptionID) error
}

// MuteStore keeps whether a member muted a room: a setting of the
// membership, gone with it (a re-join starts unmuted).
type MuteStore interface {
	// SetMuted sets u's mute of room r; NotFound when u is not a member.
	SetMuted(ctx context.Context, r room.ID, u user.ID, muted bool) error
	// Muted returns which of users muted room r (non-members: absent).
	Muted(ctx context.Context, r room.ID, users []user.ID) (map[user.ID]bool, error)
}

// Pusher delivers a notification to one subscription through its push
// service, encrypted for the subscription's keys (RFC 8291) and signed with
// the server's VAPID key (RFC 8292).
type Pusher interface {
	// Push sends n to s; the push service keeps it at most ttl while the
	// browser is unreachable. NotFound "subscription_gone" when the
	// service says the subscription no longer exists (404, 410): delete
	// it; Invalid when the service refuses the request itself (retrying
	// cannot help); TooMany or Unavailable when it may work later.
	Push(ctx context.Context, s push.Subscription, n push.Notification, ttl time.Duration) error
	// PublicKey is the VAPID public key browsers subscribe with
	// (base64url, uncompressed P-256 point).
	PublicKey() string
}
