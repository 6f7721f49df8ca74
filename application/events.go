package application

import (
	"context"
	"log/slog"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// The events the application publishes are domain values (ports.Event and
// its payloads); adapters/wire turns them into the frames clients see.

func messageEvent(m message.Message) ports.Event {
	return ports.Event{RoomID: m.RoomID, Payload: ports.MessageCreated{Message: m}}
}

func changeEvent(c message.Change) ports.Event {
	return ports.Event{RoomID: c.RoomID, Payload: ports.MessageChanged{Change: c}}
}

// entryEvent is the event of a stored entry of a room's stream.
func entryEvent(e message.Entry) ports.Event {
	if e.Change != nil {
		return changeEvent(*e.Change)
	}
	return messageEvent(*e.Message)
}

func typingEvent(r room.ID, u user.User) ports.Event {
	return ports.Event{RoomID: r, Payload: ports.Typing{UserID: u.ID, Username: u.Username.String()}}
}

func presenceEvent(r room.ID, u user.User, joined bool) ports.Event {
	return ports.Event{RoomID: r, Payload: ports.PresenceChanged{UserID: u.ID, Username: u.Username.String(), Joined: joined}}
}

// roomEvent is room_updated with r as it now is; actor made the change.
func roomEvent(r room.Room, actor user.ID) ports.Event {
	return ports.Event{RoomID: r.ID, Payload: ports.RoomUpdated{Room: r, Actor: actor}}
}

func memberRemovedEvent(r room.ID, u user.ID, username string, why ports.Removal) ports.Event {
	return ports.Event{RoomID: r, Payload: ports.MemberRemoved{UserID: u, Username: username, Reason: why}}
}

func memberAddedEvent(r room.ID, u user.User) ports.Event {
	return ports.Event{RoomID: r, Payload: ports.MemberAdded{UserID: u.ID, Username: u.Username.String()}}
}

func fileSharedEvent(a attachment.Attachment) ports.Event {
	return ports.Event{RoomID: a.RoomID, Payload: ports.FileShared{File: a}}
}

func fileUpdatedEvent(a attachment.Attachment) ports.Event {
	return ports.Event{RoomID: a.RoomID, Payload: ports.FileUpdated{FileID: a.ID, Thumbnail: a.ThumbnailStatus}}
}

// Directory events travel on ports.Everyone: they concern user streams,
// whatever rooms their instance serves.

func roomCreatedEvent(r room.Room) ports.Event {
	return ports.Event{RoomID: ports.Everyone, Payload: ports.RoomCreated{Room: r}}
}

func roomAddedEvent(r room.Room, u user.ID) ports.Event {
	return ports.Event{RoomID: ports.Everyone, Payload: ports.RoomAdded{UserID: u, Room: r}}
}

func roomDeletedEvent(on, r room.ID) ports.Event {
	return ports.Event{RoomID: on, Payload: ports.RoomDeleted{Room: r}}
}

func readEvent(r room.ID, u user.User, st room.Standing) ports.Event {
	return ports.Event{RoomID: r, Payload: ports.ReadMoved{UserID: u.ID, Seq: st.LastReadSeq, Unread: st.Unread, Receipt: !u.HideReceipts}}
}

// announceProfile tells the members of u's rooms, and u's own streams,
// that u's display name or avatar changed (ProfileChanged on Everyone).
// It reads u's rooms; a failure is logged: the change is stored, and
// clients see it on their next read of the member list.
func announceProfile(ctx context.Context, reads ports.ReadStore, bus ports.Bus, log *slog.Logger, u user.User) {
	if reads == nil {
		return
	}
	st, err := reads.Standings(ctx, u.ID)
	if err != nil {
		log.WarnContext(ctx, "announce profile: list rooms", "user_id", int64(u.ID), "err", err)
		return
	}
	rooms := make([]room.ID, 0, len(st))
	for id := range st {
		rooms = append(rooms, id)
	}
	publishOn(ctx, bus, log, ports.Event{RoomID: ports.Everyone, Payload: ports.ProfileChanged{User: u, Rooms: rooms}})
}
