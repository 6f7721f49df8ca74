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

// MessageFrame is m as a `message` event: the live frame, and the frame of
// a replayed message, byte for byte.
func MessageFrame(m message.Message) []byte {
	b := make([]byte, 0, 160+len(m.Content)+len(m.Username))
	return appendMessageFields(append(b, `{"type":"message",`...), m)
}

// DuplicateFrame is the answer to a retried send: m's frame marked
// "duplicate": true, the sender's acknowledgement, not a new message.
func DuplicateFrame(m message.Message) []byte {
	b := MessageFrame(m)
	return append(b[:len(b)-1], `,"duplicate":true}`...)
}

// Frame is an event's frame as its recipients get it: Bytes, the same for
// every recipient, or — when For is set (file events, whose links are
// bound to the user who follows them) — For(recipient).
type Frame struct {
	Bytes []byte
	For   func(viewer user.ID) []byte
}

// Frames encodes events for clients, signing file links with links (nil:
// file events carry unsigned paths).
type Frames struct {
	links *Links
}

// NewFrames returns the event encoder.
func NewFrames(links *Links) *Frames { return &Frames{links: links} }

// Encode encodes e once; the zero Frame for events clients never see (the
// control events: member removed, room deleted, session ended, resync).
func (f *Frames) Encode(e ports.Event) Frame {
	switch p := e.Payload.(type) {
	case ports.MessageCreated:
		return Frame{Bytes: MessageFrame(p.Message)}
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

func (f *Frames) file(id attachment.ID, viewer user.ID) string {
	if f.links == nil {
		return FilePath(id, false)
	}
	return f.links.File(id, viewer)
}

func (f *Frames) thumbnail(id attachment.ID, st attachment.ThumbnailStatus, viewer user.ID) string {
	switch {
	case st != attachment.ThumbnailReady:
		return ""
	case f.links == nil:
		return FilePath(id, true)
	}
	return f.links.thumbnail(id, st, viewer)
}
