package wire

import (
	"slices"
	"strconv"

	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The frames only a user stream (GET /ws) carries: what the user learns of
// rooms it is not subscribed to, read pointers and receipts, presence.

type roomListFrame struct {
	Type   string `json:"type"`
	RoomID int64  `json:"room_id"`
	Room   Room   `json:"room"`
}

// RoomCreatedFrame is room_created: a public room appeared.
func RoomCreatedFrame(r room.Room) []byte {
	j := RoomOf(r)
	f := false
	j.IsMember = &f
	return marshal(roomListFrame{Type: "room_created", RoomID: int64(r.ID), Room: j})
}

// RoomAddedFrame is room_added: the user belongs to r now, standing at st.
func RoomAddedFrame(r room.Room, st room.Standing) []byte {
	return marshal(roomListFrame{Type: "room_added", RoomID: int64(r.ID),
		Room: ListingOf(room.Listing{Room: r, IsMember: true, Standing: st})})
}

// RoomRemovedFrame is room_removed: the user left or lost room id (why),
// or it was deleted (deleted: why is then ignored).
func RoomRemovedFrame(id room.ID, deleted bool, why ports.Removal) []byte {
	reason := "deleted"
	if !deleted {
		reason = removalReason(why)
	}
	return marshal(struct {
		Type    string `json:"type"`
		RoomID  int64  `json:"room_id"`
		Deleted bool   `json:"deleted"`
		Reason  string `json:"reason"`
	}{"room_removed", int64(id), deleted, reason})
}

// removalReason names why a membership ended.
func removalReason(why ports.Removal) string {
	switch why {
	case ports.Left:
		return "left"
	case ports.Removed:
		return "removed"
	default:
		return "deleted"
	}
}

// MemberJoinedFrame is member_joined: p's user became a member of room id.
func MemberJoinedFrame(id room.ID, p ports.MemberAdded) []byte {
	return marshal(userFrame{Type: "member_joined", RoomID: int64(id), UserID: int64(p.UserID), Username: p.Username})
}

// MemberLeftFrame is member_left: p's user is no longer a member of room id.
func MemberLeftFrame(id room.ID, p ports.MemberRemoved) []byte {
	return marshal(struct {
		Type     string `json:"type"`
		RoomID   int64  `json:"room_id"`
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
		Reason   string `json:"reason"`
	}{"member_left", int64(id), int64(p.UserID), p.Username, removalReason(p.Reason)})
}

// UserUpdatedFrame is user_updated: p's user changed their display name or
// avatar; the avatar link is signed for viewer (links may be nil: none).
func UserUpdatedFrame(links *Links, p ports.ProfileChanged, viewer user.ID) []byte {
	u := p.User
	return marshal(struct {
		Type        string  `json:"type"`
		UserID      int64   `json:"user_id"`
		Username    string  `json:"username"`
		DisplayName string  `json:"display_name"`
		AvatarURL   *string `json:"avatar_url"`
	}{"user_updated", int64(u.ID), u.Username.String(), u.DisplayName, optional(links.Avatar(u, viewer))})
}

// RoomUpdatedFrame is room_updated as the room's sockets get it.
func RoomUpdatedFrame(p ports.RoomUpdated) []byte {
	r := p.Room
	return marshal(roomFrame{Type: "room_updated", RoomID: int64(r.ID), Name: r.Name,
		Description: r.Description, IsPrivate: r.IsPrivate, OwnerID: int64(r.OwnerID),
		Kind: RoomKind(r.Kind), EditWindow: Seconds(r.EditWindow)})
}

// ReadFrame is read: the user's own pointer in the room moved.
func ReadFrame(id room.ID, p ports.ReadMoved) []byte {
	return marshal(struct {
		Type        string `json:"type"`
		RoomID      int64  `json:"room_id"`
		LastReadSeq int64  `json:"last_read_seq"`
		UnreadCount int64  `json:"unread_count"`
	}{"read", int64(id), p.Seq, p.Unread})
}

// ReceiptFrame is read_receipt: another member read the room up to seq.
func ReceiptFrame(id room.ID, p ports.ReadMoved) []byte {
	return marshal(struct {
		Type   string `json:"type"`
		RoomID int64  `json:"room_id"`
		UserID int64  `json:"user_id"`
		Seq    int64  `json:"seq"`
	}{"read_receipt", int64(id), int64(p.UserID), p.Seq})
}

// PresenceFrame is presence: a user came online or went offline anywhere.
func PresenceFrame(p ports.UserPresence) []byte {
	return marshal(struct {
		Type     string `json:"type"`
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
		Online   bool   `json:"online"`
	}{"presence", int64(p.UserID), p.Username, p.Online})
}

type standingJSON struct {
	RoomID       int64 `json:"room_id"`
	LastSeq      int64 `json:"last_seq"`
	LastReadSeq  int64 `json:"last_read_seq"`
	UnreadCount  int64 `json:"unread_count"`
	MentionCount int64 `json:"mention_count"`
}

// ReadyFrame is ready: the stream carries every room in rooms (and has
// replayed what the client asked for); rooms are where the user stood.
func ReadyFrame(rooms map[room.ID]room.Standing) []byte {
	list := make([]standingJSON, 0, len(rooms))
	for id, st := range rooms {
		list = append(list, standingJSON{int64(id), st.LastSeq, st.LastReadSeq, st.Unread, st.Mentions})
	}
	slices.SortFunc(list, func(a, b standingJSON) int { return int(a.RoomID - b.RoomID) })
	return marshal(struct {
		Type  string         `json:"type"`
		Rooms []standingJSON `json:"rooms"`
	}{"ready", list})
}

// RoomErrorFrame is an error frame answering a stream frame about room id.
func RoomErrorFrame(id room.ID, err error) []byte {
	b := ErrorFrame(err)
	if id == 0 {
		return b
	}
	tail := `,"room_id":` + strconv.FormatInt(int64(id), 10) + `}`
	return append(b[:len(b)-1], tail...)
}

// UserUpdated is UserUpdatedFrame with f's links.
func (f *Frames) UserUpdated(p ports.ProfileChanged, viewer user.ID) []byte {
	return UserUpdatedFrame(f.links, p, viewer)
}
