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
//	byte    format version (eventV3)
//	byte    ports.EventKind (and, for EventFile, a sub-kind byte: 1 shared, 2 updated;
//	        for EventDirectory: 1 room created, 2 room added)
//	…       the payload's fields in a fixed order per kind: integers as
//	        varints, strings as a uvarint length and the bytes, booleans as
//	        one byte, times as Unix microseconds, lists as a varint length
//	        and their items; a message's optional parts after a byte of
//	        flags saying which follow
//
// The room is the channel's, so it is not repeated — except in the events
// that name a room of their own (room_updated, room_deleted and the
// directory events, which also travel on ports.Everyone's channel). A receiver drops what
// it cannot decode: another version, a kind it does not know, a truncated
// or overlong payload — an older instance must not guess what a newer one
// meant. Version 1 carried encoded client frames; version 2 carries the
// domain values, so every instance encodes frames itself, once per event;
// version 3 adds what a message carries besides its text (edits,
// tombstones, replies, mentions, reactions, files), the changes of
// messages and the kind and edit window of rooms. Like version 1 before
// it, version 2 is dropped, not read: during a rolling upgrade the
// relay's catch-up from the store delivers what an old instance sent.
const eventV3 = 3

// The flags of a message's optional parts, in the order they follow.
const (
	msgEdited = 1 << iota
	msgDeleted
	msgReply
	msgMentions
	msgReactions
	msgFiles
	msgFlagsAll = msgEdited | msgDeleted | msgReply | msgMentions | msgReactions | msgFiles
)

// maxList bounds the length any list in an event may claim, so a corrupt
// length cannot make a huge allocation (the remaining bytes bound it too).
const maxList = 1 << 20

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
	w.b = append(w.b, eventV3, byte(e.Kind()))
	switch p := e.Payload.(type) {
	case ports.MessageCreated:
		m := p.Message
		w.b = make([]byte, 0, 48+len(m.Username)+len(m.Content)+len(m.ClientID))
		w.b = append(w.b, eventV3, byte(ports.EventMessage))
		w.message(m)
	case ports.MessageChanged:
		c := p.Change
		w.b = append(w.b, byte(c.Kind))
		w.int(c.Seq)
		w.int(int64(c.MessageID))
		w.int(int64(c.UserID))
		w.str(c.Username)
		w.int(c.At.UnixMicro())
		w.str(c.Content)
		w.ids(c.Mentions)
		w.str(c.Emoji)
		w.int(int64(c.Count))
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
		if p.Suspended {
			// Only then: an ordinary end stays the bytes instances that
			// know no suspension read.
			w.bool(true)
		}
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

// message encodes m but its room (the channel's): the fields every
// message has, then the flags of its optional parts and those parts.
func (w *encoder) message(m message.Message) {
	w.int(int64(m.ID))
	w.int(m.Seq)
	w.int(int64(m.UserID))
	w.str(m.Username)
	w.str(m.Content)
	w.int(m.CreatedAt.UnixMicro())
	w.str(m.ClientID)
	var flags byte
	for _, f := range []struct {
		on  bool
		bit byte
	}{
		{!m.EditedAt.IsZero(), msgEdited}, {m.Deleted, msgDeleted}, {m.ReplyTo != nil, msgReply},
		{len(m.Mentions) > 0, msgMentions}, {len(m.Reactions) > 0, msgReactions}, {len(m.Files) > 0, msgFiles},
	} {
		if f.on {
			flags |= f.bit
		}
	}
	w.b = append(w.b, flags)
	if flags&msgEdited != 0 {
		w.int(m.EditedAt.UnixMicro())
	}
	if q := m.ReplyTo; q != nil {
		w.int(int64(q.ID))
		w.int(q.Seq)
		w.int(int64(q.UserID))
		w.str(q.Username)
		w.str(q.Content)
		w.bool(q.Deleted)
	}
	if flags&msgMentions != 0 {
		w.ids(m.Mentions)
	}
	if flags&msgReactions != 0 {
		w.int(int64(len(m.Reactions)))
		for _, r := range m.Reactions {
			w.str(r.Emoji)
			w.int(int64(r.Count))
			w.ids(r.UserIDs)
		}
	}
	if flags&msgFiles != 0 {
		w.int(int64(len(m.Files)))
		for _, a := range m.Files {
			w.int(int64(a.ID))
			w.int(int64(a.RoomID))
			w.int(int64(a.UserID))
			w.str(a.Filename)
			w.str(a.ContentType)
			w.int(a.Size)
			w.str(string(a.ThumbnailStatus))
			w.int(a.CreatedAt.UnixMicro())
		}
	}
}

func (w *encoder) ids(ids []user.ID) {
	w.int(int64(len(ids)))
	for _, id := range ids {
		w.int(int64(id))
	}
}

// room encodes what travels of a room: its id (a directory event's room is
// not its channel's), settings, owner, creation time, kind and edit
// window.
func (w *encoder) room(r room.Room) {
	w.int(int64(r.ID))
	w.str(r.Name)
	w.str(r.Description)
	w.bool(r.IsPrivate)
	w.int(int64(r.OwnerID))
	w.int(r.CreatedAt.UnixMicro())
	w.b = append(w.b, byte(r.Kind))
	w.int(int64(r.EditWindow))
}

func (w *encoder) rooms(ids []room.ID) {
	w.int(int64(len(ids)))
	for _, r := range ids {
		w.int(int64(r))
	}
}

// rooms decodes a room list; false when its length cannot be right.
func (r *decoder) rooms() ([]room.ID, bool) {
	n := r.count()
	if r.err {
		return nil, false
	}
	ids := make([]room.ID, n)
	for i := range ids {
		ids[i] = room.ID(r.int())
	}
	return ids, true
}

// count decodes a list's length: at most maxList, and no more than the
// bytes left could hold (each item takes one at least).
func (r *decoder) count() int {
	n := r.int()
	if n < 0 || n > maxList || n > int64(len(r.b)) {
		r.err = true
		return 0
	}
	return int(n)
}

// ids decodes a list of user ids; nil when empty, as the domain keeps
// "none".
func (r *decoder) ids() []user.ID {
	n := r.count()
	if n == 0 {
		return nil
	}
	ids := make([]user.ID, n)
	for i := range ids {
		ids[i] = user.ID(r.int())
	}
	return ids
}

func (r *decoder) time() time.Time { return time.UnixMicro(r.int()).UTC() }

// message decodes what message encoded, as a message of room id.
func (r *decoder) message(id room.ID) message.Message {
	m := message.Message{RoomID: id}
	m.ID, m.Seq, m.UserID = message.ID(r.int()), r.int(), user.ID(r.int())
	m.Username, m.Content = r.str(), r.str()
	m.CreatedAt = r.time()
	m.ClientID = r.str()
	flags := r.byte()
	if flags&^msgFlagsAll != 0 {
		r.err = true // a part this instance does not know
		return m
	}
	if flags&msgEdited != 0 {
		m.EditedAt = r.time()
	}
	m.Deleted = flags&msgDeleted != 0
	if flags&msgReply != 0 {
		q := &message.Quote{ID: message.ID(r.int()), Seq: r.int(), UserID: user.ID(r.int())}
		q.Username, q.Content, q.Deleted = r.str(), r.str(), r.bool()
		m.ReplyTo = q
	}
	if flags&msgMentions != 0 {
		m.Mentions = r.ids()
	}
	if flags&msgReactions != 0 {
		n := r.count()
		for range n {
			x := message.Reaction{Emoji: r.str(), Count: int(r.int())}
			x.UserIDs = r.ids()
			m.Reactions = append(m.Reactions, x)
		}
	}
	if flags&msgFiles != 0 {
		n := r.count()
		for range n {
			a := attachment.Attachment{ID: attachment.ID(r.int()), RoomID: room.ID(r.int()), UserID: user.ID(r.int())}
			a.Filename, a.ContentType, a.Size = r.str(), r.str(), r.int()
			a.ThumbnailStatus = attachment.ThumbnailStatus(r.str())
			a.CreatedAt = r.time()
			m.Files = append(m.Files, a)
		}
	}
	return m
}

func (r *decoder) room() room.Room {
	var x room.Room
	x.ID = room.ID(r.int())
	x.Name, x.Description, x.IsPrivate, x.OwnerID = r.str(), r.str(), r.bool(), user.ID(r.int())
	x.CreatedAt = r.time()
	switch k := room.Kind(r.byte()); k {
	case room.Channel, room.Direct:
		x.Kind = k
	default:
		r.err = true // a kind this instance does not know
	}
	x.EditWindow = time.Duration(r.int())
	return x
}

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
	if len(b) < 2 || b[0] != eventV3 {
		return ports.Event{}, errBadEvent
	}
	r := decoder{b: b[2:]}
	var p ports.Payload
	switch ports.EventKind(b[1]) {
	case ports.EventMessage:
		p = ports.MessageCreated{Message: r.message(id)}
	case ports.EventChange:
		c := message.Change{Kind: message.ChangeKind(r.byte()), RoomID: id}
		if c.Kind < message.Edited || c.Kind > message.ReactionRemoved {
			return ports.Event{}, errBadEvent
		}
		c.Seq, c.MessageID, c.UserID = r.int(), message.ID(r.int()), user.ID(r.int())
		c.Username = r.str()
		c.At = r.time()
		c.Content = r.str()
		c.Mentions = r.ids()
		c.Emoji, c.Count = r.str(), int(r.int())
		p = ports.MessageChanged{Change: c}
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
		e := ports.SessionEnded{UserID: user.ID(r.int()), Session: r.str()}
		if len(r.b) > 0 {
			e.Suspended = r.bool()
		}
		p = e
	default:
		return ports.Event{}, errBadEvent
	}
	if r.err || len(r.b) != 0 {
		return ports.Event{}, errBadEvent
	}
	return ports.Event{RoomID: id, Payload: p}, nil
}
