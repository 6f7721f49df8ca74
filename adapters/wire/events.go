package wire

import (
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/user"
	"chat/ports"
)

// The WebSocket events of DESIGN.md's contract, encoded from the
// application's typed events.

type userFrame struct {
	Type     string `json:"type"`
	RoomID   int64  `json:"room_id"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

// roomFrame is room_updated: a room's settings or owner changed.
type roomFrame struct {
	Type        string `json:"type"`
	RoomID      int64  `json:"room_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	IsPrivate   bool   `json:"is_private"`
	OwnerID     int64  `json:"owner_id"`
	Kind        string `json:"kind"`
	EditWindow  int64  `json:"edit_window"`
}

type fileSharedFrame struct {
	Type         string `json:"type"`
	RoomID       int64  `json:"room_id"`
	UserID       int64  `json:"user_id"`
	FileID       int64  `json:"file_id"`
	FileURL      string `json:"file_url"`
	Filename     string `json:"filename"`
	ContentType  string `json:"content_type"`
	Size         int64  `json:"size"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	// none (not an image), pending (a job will make it), ready, failed
	ThumbnailStatus string `json:"thumbnail_status"`
}

// fileUpdatedFrame tells that a thumbnail became ready (with its URL) or
// failed for good (status failed, no URL), so clients stop waiting.
type fileUpdatedFrame struct {
	Type            string `json:"type"`
	RoomID          int64  `json:"room_id"`
	FileID          int64  `json:"file_id"`
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailStatus string `json:"thumbnail_status"`
}

// messageEdited, messageDeleted and reactionFrame are the frames of a
// message's changes: each has the seq it took in the room's stream.
type messageEdited struct {
	Type      string  `json:"type"`
	RoomID    int64   `json:"room_id"`
	Seq       int64   `json:"seq"`
	MessageID int64   `json:"message_id"`
	UserID    int64   `json:"user_id"`
	Content   string  `json:"content"`
	Mentions  []int64 `json:"mentions"`
	EditedAt  string  `json:"edited_at"`
}

type messageDeleted struct {
	Type      string `json:"type"`
	RoomID    int64  `json:"room_id"`
	Seq       int64  `json:"seq"`
	MessageID int64  `json:"message_id"`
	UserID    int64  `json:"user_id"`
	DeletedAt string `json:"deleted_at"`
}

type reactionFrame struct {
	Type      string `json:"type"`
	RoomID    int64  `json:"room_id"`
	Seq       int64  `json:"seq"`
	MessageID int64  `json:"message_id"`
	UserID    int64  `json:"user_id"`
	Username  string `json:"username"`
	Emoji     string `json:"emoji"`
	Count     int    `json:"count"`
}

// ChangeFrame is c as its event: message_edited, message_deleted,
// reaction_added or reaction_removed — live and replayed alike. Nil for a
// kind this server does not know.
func ChangeFrame(c message.Change) []byte {
	switch c.Kind {
	case message.Edited:
		return marshal(messageEdited{Type: "message_edited", RoomID: int64(c.RoomID), Seq: c.Seq, MessageID: int64(c.MessageID),
			UserID: int64(c.UserID), Content: c.Content, Mentions: userIDs(c.Mentions), EditedAt: FormatTime(c.At)})
	case message.Deleted:
		return marshal(messageDeleted{Type: "message_deleted", RoomID: int64(c.RoomID), Seq: c.Seq, MessageID: int64(c.MessageID),
			UserID: int64(c.UserID), DeletedAt: FormatTime(c.At)})
	case message.ReactionAdded, message.ReactionRemoved:
		typ := "reaction_added"
		if c.Kind == message.ReactionRemoved {
			typ = "reaction_removed"
		}
		return marshal(reactionFrame{Type: typ, RoomID: int64(c.RoomID), Seq: c.Seq, MessageID: int64(c.MessageID),
			UserID: int64(c.UserID), Username: c.Username, Emoji: c.Emoji, Count: c.Count})
	}
	return nil
}

// Frame is an event's frame as its recipients get it: Bytes, the same for
// every recipient, or — when For is set (file events and messages with
// files, whose links are bound to the user who follows them) —
// For(recipient).
type Frame struct {
	Bytes []byte
	For   func(viewer user.ID) []byte
}

// Frames encodes events for clients, signing file links with links (nil:
// file events and the files of messages carry unsigned paths).
type Frames struct {
	links *Links
}

// NewFrames returns the event encoder.
func NewFrames(links *Links) *Frames { return &Frames{links: links} }

// Message is m as a `message` event for viewer: the live frame, and the
// frame of a replayed message, byte for byte. Only the links of m's files
// depend on viewer; a message without files is the same for everyone.
func (f *Frames) Message(m message.Message, viewer user.ID) []byte {
	b := make([]byte, 0, 160+len(m.Content)+len(m.Username)+400*len(m.Files))
	return appendMessageFields(append(b, `{"type":"message",`...), m, f.links, viewer)
}

// Duplicate is the answer to a retried send: m's frame for its sender
// marked "duplicate": true, the sender's acknowledgement, not a new
// message.
func (f *Frames) Duplicate(m message.Message, viewer user.ID) []byte {
	b := f.Message(m, viewer)
	return append(b[:len(b)-1], `,"duplicate":true}`...)
}

// Entry is a replayed entry of a room's stream as viewer gets it: a
// message's frame (its current state) or a change's.
func (f *Frames) Entry(e message.Entry, viewer user.ID) []byte {
	switch {
	case e.Message != nil:
		return f.Message(*e.Message, viewer)
	case e.Change != nil:
		return ChangeFrame(*e.Change)
	}
	return nil
}

// Encode encodes e once; the zero Frame for events clients never see (the
// control events: member removed, room deleted, session ended, resync).
// A message with files is encoded per recipient (its links are bound to
// the viewer); every other message once for all.
func (f *Frames) Encode(e ports.Event) Frame {
	switch p := e.Payload.(type) {
	case ports.MessageCreated:
		m := p.Message
		if len(m.Files) > 0 {
			return Frame{For: func(viewer user.ID) []byte { return f.Message(m, viewer) }}
		}
		return Frame{Bytes: f.Message(m, 0)}
	case ports.MessageChanged:
		return Frame{Bytes: ChangeFrame(p.Change)}
	case ports.Typing:
		return Frame{Bytes: marshal(userFrame{Type: "typing", RoomID: int64(e.RoomID), UserID: int64(p.UserID), Username: p.Username})}
	case ports.PresenceChanged:
		typ := "user_left"
		if p.Joined {
			typ = "user_joined"
		}
		return Frame{Bytes: marshal(userFrame{Type: typ, RoomID: int64(e.RoomID), UserID: int64(p.UserID), Username: p.Username})}
	case ports.RoomUpdated:
		return Frame{Bytes: RoomUpdatedFrame(p)}
	case ports.FileShared:
		a := p.File
		fr := fileSharedFrame{
			Type: "file_shared", RoomID: int64(e.RoomID), UserID: int64(a.UserID), FileID: int64(a.ID),
			Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, ThumbnailStatus: string(a.ThumbnailStatus),
		}
		return Frame{For: func(viewer user.ID) []byte {
			fr := fr
			fr.FileURL = f.file(a.ID, viewer)
			fr.ThumbnailURL = f.thumbnail(a.ID, a.ThumbnailStatus, viewer)
			return marshal(fr)
		}}
	case ports.FileUpdated:
		fr := fileUpdatedFrame{Type: "file_updated", RoomID: int64(e.RoomID), FileID: int64(p.FileID), ThumbnailStatus: string(p.Thumbnail)}
		return Frame{For: func(viewer user.ID) []byte {
			fr := fr
			fr.ThumbnailURL = f.thumbnail(p.FileID, p.Thumbnail, viewer)
			return marshal(fr)
		}}
	}
	return Frame{}
}

func (f *Frames) file(id attachment.ID, viewer user.ID) string { return f.links.File(id, viewer) }

func (f *Frames) thumbnail(id attachment.ID, st attachment.ThumbnailStatus, viewer user.ID) string {
	return f.links.thumbnail(id, st, viewer)
}
