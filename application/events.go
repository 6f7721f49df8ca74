package application

import (
	"encoding/json"
	"time"

	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The wire frames of DESIGN.md's WebSocket contract. Encoded once here; the
// same bytes travel through the bus to every socket.

type messageFrame struct {
	Type      string `json:"type"`
	ID        int64  `json:"id"`
	RoomID    int64  `json:"room_id"`
	Seq       int64  `json:"seq"`
	UserID    int64  `json:"user_id"`
	Username  string `json:"username"`
	Content   string `json:"content"`
	CreatedAt string `json:"created_at"`
	ClientID  string `json:"client_id,omitempty"`
}

// roomFrame is room_updated: a room's settings or owner changed.
type roomFrame struct {
	Type        string `json:"type"`
	RoomID      int64  `json:"room_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	IsPrivate   bool   `json:"is_private"`
	OwnerID     int64  `json:"owner_id"`
}

type userFrame struct {
	Type     string `json:"type"`
	RoomID   int64  `json:"room_id"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

// TimeFormat is how times go on the wire: RFC 3339 in UTC with a Z.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t for the wire.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// MessageFrame encodes m as a `message` event. Exported so the WebSocket
// replay sends stored messages in exactly the live shape.
func MessageFrame(m message.Message) []byte {
	b, err := json.Marshal(messageFrame{
		Type: "message", ID: int64(m.ID), RoomID: int64(m.RoomID), Seq: m.Seq, UserID: int64(m.UserID),
		Username: m.Username, Content: m.Content, CreatedAt: FormatTime(m.CreatedAt), ClientID: m.ClientID,
	})
	if err != nil { // only strings and integers: cannot fail
		panic(err)
	}
	return b
}

func messageEvent(m message.Message) ports.Event {
	return ports.Event{RoomID: m.RoomID, Kind: ports.EventMessage, Seq: m.Seq, UserID: m.UserID, Frame: MessageFrame(m)}
}

func userEvent(kind ports.EventKind, typ string, r room.ID, u user.User) ports.Event {
	b, err := json.Marshal(userFrame{Type: typ, RoomID: int64(r), UserID: int64(u.ID), Username: u.Username.String()})
	if err != nil {
		panic(err)
	}
	return ports.Event{RoomID: r, Kind: kind, UserID: u.ID, Frame: b}
}

// roomEvent is room_updated with r as it now is; actor made the change.
func roomEvent(r room.Room, actor user.ID) ports.Event {
	b, err := json.Marshal(roomFrame{
		Type: "room_updated", RoomID: int64(r.ID), Name: r.Name, Description: r.Description,
		IsPrivate: r.IsPrivate, OwnerID: int64(r.OwnerID),
	})
	if err != nil {
		panic(err)
	}
	return ports.Event{RoomID: r.ID, Kind: ports.EventRoom, UserID: actor, Frame: b}
}
