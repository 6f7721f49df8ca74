package redis

import (
	"encoding/binary"
	"errors"
	"time"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// An event travels on its room's channel in a compact binary form:
//
//	byte    format version (eventV2)
//	byte    ports.EventKind (and, for EventFile, a sub-kind byte: 1 shared, 2 updated;
//	        for EventDirectory: 1 room created, 2 room added)
//	…       the payload's fields in a fixed order per kind: integers as
//	        varints, strings as a uvarint length and the bytes, booleans as
//	        one byte, times as Unix microseconds
//
// The room is the channel's, so it is not repeated — except in the events
// that name a room of their own (room_updated, room_deleted and the
// directory events, which also travel on ports.Everyone's channel). A receiver drops what
// it cannot decode: another version, a kind it does not know, a truncated
// or overlong payload — an older instance must not guess what a newer one
// meant. Version 1 carried encoded client frames; version 2 carries the
// domain values, so every instance encodes frames itself, once per event.
const eventV2 = 2

const (
	fileShared  = 1
	fileUpdated = 2

	roomCreated = 1
	roomAdded   = 2
)

var errBadEvent = errors.New("malformed bus event")

type encoder struct{ b []byte }

func (w *encoder) int(v int64)  { w.b = binary.AppendVarint(w.b, v) }
func (w *encoder) str(s string) { w.b = append(binary.AppendUvarint(w.b, uint64(len(s))), s...) }
func (w *encoder) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// encodeEvent encodes e; false for a payload that does not travel
// (Resync, none, or a type this codec does not know).
func encodeEvent(e ports.Event) ([]byte, bool) {
	w := encoder{b: make([]byte, 0, 64)}
	w.b = append(w.b, eventV2, byte(e.Kind()))
	switch p := e.Payload.(type) {
	case ports.MessageCreated:
		m := p.Message
		w.b = make([]byte, 0, 48+len(m.Username)+len(m.Content)+len(m.ClientID))
		w.b = append(w.b, eventV2, byte(ports.EventMessage))
		w.int(int64(m.ID))
		w.int(m.Seq)
		w.int(int64(m.UserID))
		w.str(m.Username)
		w.str(m.Content)
		w.int(m.CreatedAt.UnixMicro())
		w.str(m.ClientID)
	case ports.Typing:
		w.int(int64(p.UserID))
		w.str(p.Username)
	case ports.PresenceChanged:
		w.int(int64(p.UserID))
		w.str(p.Username)
		w.bool(p.Joined)
	case ports.FileShared:
		a := p.File
		w.b = append(w.b, fileShared)
		w.int(int64(a.ID))
		w.int(int64(a.UserID))
		w.str(a.Filename)
		w.str(a.ContentType)
		w.int(a.Size)
		w.str(string(a.ThumbnailStatus))
	case ports.FileUpdated:
		w.b = append(w.b, fileUpdated)
		w.int(int64(p.FileID))
		w.str(string(p.Thumbnail))
	case ports.RoomUpdated:
		w.int(int64(p.Actor))
		w.room(p.Room)
	case ports.MemberRemoved:
		w.int(int64(p.UserID))
		w.str(p.Username)
		w.b = append(w.b, byte(p.Reason))
	case ports.MemberAdded:
		w.int(int64(p.UserID))
		w.str(p.Username)
	case ports.ProfileChanged:
		w.int(int64(p.User.ID))
		w.str(p.User.Username.String())
		w.str(p.User.DisplayName)
		w.str(p.User.AvatarKey)
		w.rooms(p.Rooms)
	case ports.RoomDeleted:
		w.int(int64(p.Room))
	case ports.SessionEnded:
		w.int(int64(p.UserID))
		w.str(p.Session)
	case ports.RoomCreated:
		w.b = append(w.b, roomCreated)
		w.room(p.Room)
	case ports.RoomAdded:
		w.b = append(w.b, roomAdded)
		w.int(int64(p.UserID))
		w.room(p.Room)
	case ports.ReadMoved:
		w.int(int64(p.UserID))
		w.int(p.Seq)
		w.int(p.Unread)
		w.bool(p.Receipt)
	case ports.UserPresence:
		w.int(int64(p.UserID))
		w.str(p.Username)
		w.bool(p.Online)
		w.rooms(p.Rooms)
	default:
		return nil, false
	}
	return w.b, true
}

// room encodes what travels of a room: its id (a directory event's room is
// not its channel's), settings, owner and creation time.
func (w *encoder) room(r room.Room) {
	w.int(int64(r.ID))
	w.str(r.Name)
	w.str(r.Description)
	w.bool(r.IsPrivate)
	w.int(int64(r.OwnerID))
	w.int(r.CreatedAt.UnixMicro())
}

func (w *encoder) rooms(ids []room.ID) {
	w.int(int64(len(ids)))
	for _, r := range ids {
		w.int(int64(r))
	}
}

// rooms decodes a room list; false when its length cannot be right.
func (r *decoder) rooms() ([]room.ID, bool) {
	n := r.int()
	if n < 0 || n > maxPresenceRooms || n > int64(len(r.b)) {
		return nil, false
	}
	ids := make([]room.ID, n)
	for i := range ids {
		ids[i] = room.ID(r.int())
	}
	return ids, true
}

func (r *decoder) room() room.Room {
	var x room.Room
	x.ID = room.ID(r.int())
	x.Name, x.Description, x.IsPrivate, x.OwnerID = r.str(), r.str(), r.bool(), user.ID(r.int())
	x.CreatedAt = time.UnixMicro(r.int()).UTC()
	return x
}

// maxPresenceRooms bounds the room list a presence event may claim, so a
// corrupt length cannot make a huge allocation.
const maxPresenceRooms = 1 << 20

type decoder struct {
	b   []byte
	err bool
}

func (r *decoder) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *decoder) str() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)-k) {
		r.err = true
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

func (r *decoder) byte() byte {
	if len(r.b) == 0 {
		r.err = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *decoder) bool() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.err = true
	return false
}

// decodeEvent parses b, an event of room id.
func decodeEvent(b []byte, id room.ID) (ports.Event, error) {
	if len(b) < 2 || b[0] != eventV2 {
		return ports.Event{}, errBadEvent
	}
	r := decoder{b: b[2:]}
	var p ports.Payload
	switch ports.EventKind(b[1]) {
	case ports.EventMessage:
		m := message.Message{RoomID: id}
		m.ID, m.Seq, m.UserID = message.ID(r.int()), r.int(), user.ID(r.int())
		m.Username, m.Content = r.str(), r.str()
		m.CreatedAt = time.UnixMicro(r.int()).UTC()
		m.ClientID = r.str()
		p = ports.MessageCreated{Message: m}
	case ports.EventTyping:
		p = ports.Typing{UserID: user.ID(r.int()), Username: r.str()}
	case ports.EventPresence:
		p = ports.PresenceChanged{UserID: user.ID(r.int()), Username: r.str(), Joined: r.bool()}
	case ports.EventFile:
		switch r.byte() {
		case fileShared:
			a := attachment.Attachment{RoomID: id}
			a.ID, a.UserID = attachment.ID(r.int()), user.ID(r.int())
			a.Filename, a.ContentType, a.Size = r.str(), r.str(), r.int()
			a.ThumbnailStatus = attachment.ThumbnailStatus(r.str())
			p = ports.FileShared{File: a}
		case fileUpdated:
			p = ports.FileUpdated{FileID: attachment.ID(r.int()), Thumbnail: attachment.ThumbnailStatus(r.str())}
		default:
			return ports.Event{}, errBadEvent
		}
	case ports.EventRoom:
		u := ports.RoomUpdated{Actor: user.ID(r.int())}
		u.Room = r.room()
		p = u
	case ports.EventMemberRemoved:
		p = ports.MemberRemoved{UserID: user.ID(r.int()), Username: r.str(), Reason: ports.Removal(r.byte())}
	case ports.EventMemberAdded:
		p = ports.MemberAdded{UserID: user.ID(r.int()), Username: r.str()}
	case ports.EventProfile:
		var u user.User
		u.ID = user.ID(r.int())
		name := r.str()
		u.DisplayName, u.AvatarKey = r.str(), r.str()
		n, err := user.NewUsername(name)
		if err != nil && !r.err {
			return ports.Event{}, errBadEvent
		}
		u.Username = n
		rooms, ok := r.rooms()
		if !ok {
			return ports.Event{}, errBadEvent
		}
		p = ports.ProfileChanged{User: u, Rooms: rooms}
	case ports.EventRoomDeleted:
		p = ports.RoomDeleted{Room: room.ID(r.int())}
	case ports.EventDirectory:
		switch r.byte() {
		case roomCreated:
			p = ports.RoomCreated{Room: r.room()}
		case roomAdded:
			a := ports.RoomAdded{UserID: user.ID(r.int())}
			a.Room = r.room()
			p = a
		default:
			return ports.Event{}, errBadEvent
		}
	case ports.EventRead:
		p = ports.ReadMoved{UserID: user.ID(r.int()), Seq: r.int(), Unread: r.int(), Receipt: r.bool()}
	case ports.EventUserPresence:
		u := ports.UserPresence{UserID: user.ID(r.int()), Username: r.str(), Online: r.bool()}
		var ok bool
		if u.Rooms, ok = r.rooms(); !ok {
			return ports.Event{}, errBadEvent
		}
		p = u
	case ports.EventSessionEnded:
		p = ports.SessionEnded{UserID: user.ID(r.int()), Session: r.str()}
	default:
		return ports.Event{}, errBadEvent
	}
	if r.err || len(r.b) != 0 {
		return ports.Event{}, errBadEvent
	}
	return ports.Event{RoomID: id, Payload: p}, nil
}
