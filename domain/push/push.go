package push

import (
	"context"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// Limits of subscriptions and notifications.
const (
	// MaxPerUser bounds a user's subscriptions (browsers, devices): a new
	// one beyond it replaces the user's oldest.
	MaxPerUser = 10
	// EndpointMax bounds an endpoint URL in bytes.
	EndpointMax = 2048
	// PreviewMax bounds a notification's text preview in runes: the
	// payload is encrypted end to end, but a lock screen shows it.
	PreviewMax = 100
)

// SubscriptionID identifies a stored subscription.
type SubscriptionID int64

// Subscription is where one browser of a user receives pushes: the push
// service's endpoint URL and the browser's keys (RFC 8291): P256DH, its
// P-256 public key (65 bytes, uncompressed), and Auth, its 16-byte
// authentication secret.
type Subscription struct {
	ID        SubscriptionID
	UserID    user.ID
	Endpoint  string
	P256DH    []byte
	Auth      []byte
	CreatedAt time.Time
}

// NewSubscription checks what a browser's PushSubscription gives
// (endpoint, and the keys base64url-encoded, padded or not) and returns
// the subscription of u. The endpoint must be an absolute http(s) URL
// without credentials; whether plain http is acceptable is the caller's
// policy (Secure).
func NewSubscription(u user.ID, endpoint, p256dh, auth string, now time.Time) (Subscription, error) {
	if !validEndpoint(endpoint) {
		return Subscription{}, domain.Errorf(domain.Invalid, "invalid_endpoint",
			"endpoint must be an absolute https URL of at most %d bytes, without credentials", EndpointMax)
	}
	key, err := decodeKey(p256dh)
	if err != nil || len(key) != 65 || key[0] != 4 {
		return Subscription{}, domain.Errorf(domain.Invalid, "invalid_push_key", "keys.p256dh must be a base64url P-256 public key (65 bytes, uncompressed)")
	}
	secret, err := decodeKey(auth)
	if err != nil || len(secret) != 16 {
		return Subscription{}, domain.Errorf(domain.Invalid, "invalid_push_key", "keys.auth must be a base64url secret of 16 bytes")
	}
	return Subscription{UserID: u, Endpoint: endpoint, P256DH: key, Auth: secret, CreatedAt: now.UTC()}, nil
}

// validEndpoint: an absolute http(s) URL with a host, no credentials, no
// fragment, no spaces or control characters, at most EndpointMax bytes.
func validEndpoint(endpoint string) bool {
	rest, ok := strings.CutPrefix(endpoint, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(endpoint, "http://")
	}
	if !ok || len(endpoint) > EndpointMax || strings.ContainsAny(endpoint, "#\\") {
		return false
	}
	for _, r := range endpoint {
		if r <= ' ' || r == 0x7f || r > 0x7e {
			return false
		}
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	return host != "" && !strings.Contains(host, "@")
}

// Secure reports whether s's endpoint is https.
func (s Subscription) Secure() bool { return strings.HasPrefix(s.Endpoint, "https://") }

func decodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Notification is what a push tells its user of a message: its room, its
// author and the beginning of its text.
type Notification struct {
	RoomID    room.ID
	RoomName  string
	MessageID message.ID
	Seq       int64
	Author    string
	Preview   string
	Direct    bool      // the room is a direct conversation
	Mention   bool      // the message mentions the user
	SentAt    time.Time // the message's CreatedAt
}

// Preview is the beginning of content shown in a notification: at most
// PreviewMax runes, whitespace runs folded to one space, an ellipsis when
// cut.
func Preview(content string) string {
	folded := strings.Join(strings.Fields(content), " ")
	if utf8.RuneCountInString(folded) <= PreviewMax {
		return folded
	}
	n := 0
	for i := range folded {
		if n == PreviewMax-1 {
			return strings.TrimRight(folded[:i], " ") + "…"
		}
		n++
	}
	return folded
}

// Service is what a driving adapter may ask of push notifications.
type Service interface {
	// PublicKey is the server's VAPID public key (base64url), which a
	// browser subscribes with; Unavailable when push is off.
	PublicKey() (string, error)
	// Subscribe stores the actor's subscription (s.UserID is the actor):
	// a known endpoint is updated (and becomes the actor's), and beyond
	// MaxPerUser the actor's oldest is dropped.
	Subscribe(ctx context.Context, actor user.ID, s Subscription) (Subscription, error)
	// Subscriptions lists the actor's subscriptions, oldest first.
	Subscriptions(ctx context.Context, actor user.ID) ([]Subscription, error)
	// Unsubscribe deletes one of the actor's subscriptions; NotFound
	// "subscription_not_found" when the actor has none with that id.
	Unsubscribe(ctx context.Context, actor user.ID, id SubscriptionID) error
	// Mute sets whether the actor's membership of room r is muted: a muted
	// room sends the actor no pushes. The room's usual refusal for
	// outsiders.
	Mute(ctx context.Context, actor user.ID, r room.ID, muted bool) error
	// Muted reports whether the actor muted room r.
	Muted(ctx context.Context, actor user.ID, r room.ID) (bool, error)
}

// ErrSubscriptionNotFound is every store's NotFound for a subscription
// that does not exist (or is not the actor's).
func ErrSubscriptionNotFound() error {
	return domain.Errorf(domain.NotFound, "subscription_not_found", "push subscription not found")
}
