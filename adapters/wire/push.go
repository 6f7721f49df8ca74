package wire

import (
	"encoding/json"

	"chat/domain/push"
)

// PushPayload is what a push carries to the browser's service worker
// (encrypted by the push adapter): the message's room, author and the
// beginning of its text. The worker shows it as a notification and opens
// the room (its URL: /rooms/{room_id}) on click.
type PushPayload struct {
	Type      string `json:"type"` // "message"
	RoomID    int64  `json:"room_id"`
	RoomName  string `json:"room_name"`
	MessageID int64  `json:"message_id"`
	Seq       int64  `json:"seq"`
	Author    string `json:"author"`
	Preview   string `json:"preview"`
	Direct    bool   `json:"direct"`
	Mention   bool   `json:"mention"`
	SentAt    string `json:"sent_at"`
}

// PushOf encodes n as a push's payload.
func PushOf(n push.Notification) []byte {
	b, _ := json.Marshal(PushPayload{
		Type: "message", RoomID: int64(n.RoomID), RoomName: n.RoomName, MessageID: int64(n.MessageID), Seq: n.Seq,
		Author: n.Author, Preview: n.Preview, Direct: n.Direct, Mention: n.Mention, SentAt: FormatTime(n.SentAt),
	})
	return b
}

// PushKey is the body of GET /push/key.
type PushKey struct {
	PublicKey string `json:"public_key"`
}

// PushSubscription is a stored subscription as its owner sees it (never
// its keys).
type PushSubscription struct {
	ID        int64  `json:"id"`
	Endpoint  string `json:"endpoint"`
	CreatedAt string `json:"created_at"`
}

// PushSubscriptionOf encodes s.
func PushSubscriptionOf(s push.Subscription) PushSubscription {
	return PushSubscription{ID: int64(s.ID), Endpoint: s.Endpoint, CreatedAt: FormatTime(s.CreatedAt)}
}

// PushSubscribe is the body of POST /push/subscriptions: what the
// browser's PushSubscription.toJSON() gives.
type PushSubscribe struct {
	Endpoint       string   `json:"endpoint"`
	ExpirationTime *float64 `json:"expirationTime"`
	Keys           struct {
		P256DH string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// Mute is the body of GET /rooms/{id}/mute.
type Mute struct {
	Muted bool `json:"muted"`
}
