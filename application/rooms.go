package application

import (
	"context"
	"errors"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// Rooms implements room.Service.
type Rooms struct {
	d     Deps
	users *Users
	live  *liveMembers // members with a live socket here: authorized without a query
	lim   *limiter
}

var _ room.Service = (*Rooms)(nil)

var errNoRoom = domain.Errorf(domain.NotFound, "room_not_found", "room not found")

// noRoom turns a store's "room_not_found", whatever its wording and cause,
// into errNoRoom: a room that does not exist and one the actor may not
// know of get the same answer.
func noRoom(err error) error {
	if domain.KindOf(err) == domain.NotFound && domain.CodeOf(err) == "room_not_found" {
		return errNoRoom
	}
	return err
}

// roomByID reads room id; errNoRoom when it does not exist.
func (s *Rooms) roomByID(ctx context.Context, id room.ID) (room.Room, error) {
	r, err := s.d.Rooms.ByID(ctx, id)
	if domain.KindOf(err) == domain.NotFound {
		return room.Room{}, errNoRoom
	}
	return r, err
}

// Create makes a room owned by the actor, who becomes its first member.
func (s *Rooms) Create(ctx context.Context, actor user.ID, spec room.Spec) (room.Room, error) {
	r, err := room.New(spec, actor, s.d.Clock.Now())
	if err != nil {
		return room.Room{}, err
	}
	r, err = s.d.Rooms.Create(ctx, r)
	if err != nil {
		return room.Room{}, err
	}
	if !r.IsPrivate {
		publish(ctx, s.d, roomCreatedEvent(r))
	}
	publish(ctx, s.d, roomAddedEvent(r, actor))
	return r, nil
}

// List returns public rooms and the actor's private rooms.
func (s *Rooms) List(ctx context.Context, actor user.ID) ([]room.Listing, error) {
	return s.d.Rooms.Visible(ctx, actor)
}

// visible loads a room the actor may know of: private rooms exist only for
// their members.
func (s *Rooms) visible(ctx context.Context, actor user.ID, id room.ID) (room.Room, bool, error) {
	r, err := s.roomByID(ctx, id)
	if err != nil {
		return room.Room{}, false, err
	}
	member, err := s.d.Members.IsMember(ctx, id, actor)
	if err != nil {
		return room.Room{}, false, err
	}
	if r.IsPrivate && !member {
		return room.Room{}, false, errNoRoom
	}
	return r, member, nil
}

// Get returns a room the actor may see.
func (s *Rooms) Get(ctx context.Context, actor user.ID, id room.ID) (room.Room, error) {
	r, _, err := s.visible(ctx, actor, id)
	return r, err
}

// chargeJoin counts one join (or invite lookup) of the actor against
// Limits.Join.
func (s *Rooms) chargeJoin(ctx context.Context, actor user.ID) error {
	return s.lim.take(ctx, userKey("join", actor), s.lim.cfg.Join, "rooms joined")
}

// Join adds the actor to a public room. To an outsider a private room is
// a room that does not exist: NotFound, as for any other route.
func (s *Rooms) Join(ctx context.Context, actor user.ID, id room.ID) error {
	if err := s.chargeJoin(ctx, actor); err != nil {
		return err
	}
	// visible refuses outsiders of a private room; members are done.
	r, member, err := s.visible(ctx, actor, id)
	if err != nil || member {
		return err
	}
	added, err := s.d.Members.Add(ctx, id, actor)
	if err != nil {
		return noRoom(err) // deleted meanwhile
	}
	if added {
		s.added(ctx, r, actor)
	}
	return nil
}

// added tells that u became a member of r: u's streams (RoomAdded on
// Everyone), the room's members' streams (MemberAdded) and, when u is
// online — u's streams now carry the room, so u has a socket there — the
// room's sockets (user_joined).
func (s *Rooms) added(ctx context.Context, r room.Room, u user.ID) {
	publish(ctx, s.d, roomAddedEvent(r, u))
	if p, err := s.users.Profile(ctx, u); err == nil {
		publish(ctx, s.d, memberAddedEvent(r.ID, p))
	}
	online, err := s.d.Presence.Online(ctx, ports.Everyone)
	if err != nil {
		s.d.Logger.WarnContext(ctx, "presence online", "user_id", int64(u), "err", err)
		return
	}
	if online[u] {
		s.announce(ctx, r.ID, u, true)
	}
}

// Leave ends the actor's membership and closes the actor's sockets in the
// room on every instance. An owner hands the room to its heir first
// (room.Heir), or deletes it when nobody else is left.
func (s *Rooms) Leave(ctx context.Context, actor user.ID, id room.ID) error {
	for range handOverTries {
		r, _, err := s.visible(ctx, actor, id)
		if err != nil {
			return err
		}
		if r.Kind == room.Direct {
			if err := s.Authorize(ctx, actor, id); err != nil {
				return err
			}
			return room.ErrDirect()
		}
		if r.OwnerID == actor {
			deleted, err := s.handOver(ctx, id, actor)
			if err != nil || deleted {
				return err
			}
		}
		err = s.remove(ctx, id, actor, ports.Left, "you are not a member of this room")
		if domain.CodeOf(err) != "owner_must_hand_over" {
			return err
		}
		// The room was handed to the actor meanwhile: hand it on.
	}
	return errRoomBusy
}

// handOverTries bounds how often an owner's leave picks another heir
// because the one it picked left in the meantime.
const handOverTries = 5

// handOver passes the room from its owner to the heir, or deletes it when
// the owner is its only member (deleted true). The transfer checks in its
// transaction that the owner still owns the room and the heir is still a
// member; an heir who left meanwhile makes it pick again.
func (s *Rooms) handOver(ctx context.Context, id room.ID, owner user.ID) (deleted bool, err error) {
	for range handOverTries {
		ms, err := s.d.Members.Memberships(ctx, id)
		if err != nil {
			return false, err
		}
		heir, ok := room.Heir(ms, owner)
		if !ok {
			return true, s.delete(ctx, id)
		}
		r, err := s.d.Rooms.Update(ctx, id, func(r *room.Room) error {
			if r.OwnerID != owner {
				return errOwnerChanged
			}
			r.OwnerID = heir
			return nil
		})
		switch {
		case err == nil:
			s.publishUpdate(ctx, r, r, owner)
			return false, nil
		case domain.CodeOf(err) == "not_a_member":
			continue // the heir left; pick again
		case errors.Is(err, errOwnerChanged):
			return false, nil // handed over meanwhile: just leave
		default:
			return false, noRoom(err)
		}
	}
	return false, errRoomBusy
}

var errRoomBusy = domain.Errorf(domain.Unavailable, "room_busy", "the room's members keep changing; try again")

// errOwnerChanged aborts a hand-over whose owner no longer owns the room.
var errOwnerChanged = domain.Errorf(domain.Conflict, "owner_changed", "the room has another owner now")

// Update applies a patch to a room the actor owns and tells its sockets.
func (s *Rooms) Update(ctx context.Context, actor user.ID, id room.ID, p room.Patch) (room.Room, error) {
	return s.change(ctx, actor, id, func(r *room.Room) error { return r.Apply(p) })
}

// TransferOwnership hands a room the actor owns to another member.
func (s *Rooms) TransferOwnership(ctx context.Context, actor user.ID, id room.ID, to user.ID) (room.Room, error) {
	return s.change(ctx, actor, id, func(r *room.Room) error {
		r.OwnerID = to
		return nil
	})
}

// change runs edit on a room the actor owns, in the store's transaction,
// where the ownership is checked again on the room as it is, and publishes
// room_updated. An edit that changes nothing publishes nothing.
func (s *Rooms) change(ctx context.Context, actor user.ID, id room.ID, edit func(r *room.Room) error) (room.Room, error) {
	if _, err := s.owned(ctx, actor, id); err != nil {
		return room.Room{}, err
	}
	var before room.Room
	r, err := s.d.Rooms.Update(ctx, id, func(r *room.Room) error {
		before = *r
		if r.OwnerID != actor {
			return errNotOwner
		}
		return edit(r)
	})
	if err != nil {
		return room.Room{}, noRoom(err)
	}
	if r.Name != before.Name || r.Description != before.Description || r.IsPrivate != before.IsPrivate || r.OwnerID != before.OwnerID || r.EditWindow != before.EditWindow {
		s.publishUpdate(ctx, r, before, actor)
	}
	return r, nil
}

// publishUpdate tells the room's sockets that r changed (before is the
// room as it was) and, when it is public or just stopped being so, every
// user stream (room lists show public rooms to everyone). A room that just
// became private is announced to everyone as it was known, only marked
// private: its new name and description are its members' business.
func (s *Rooms) publishUpdate(ctx context.Context, r, before room.Room, actor user.ID) {
	publish(ctx, s.d, roomEvent(r, actor))
	switch {
	case before.IsPrivate && r.IsPrivate:
		return
	case r.IsPrivate:
		r = before
		r.IsPrivate = true
	}
	e := roomEvent(r, actor)
	e.RoomID = ports.Everyone
	publish(ctx, s.d, e)
}

// Delete deletes a room the actor owns.
func (s *Rooms) Delete(ctx context.Context, actor user.ID, id room.ID) error {
	if _, err := s.owned(ctx, actor, id); err != nil {
		return err
	}
	return s.delete(ctx, id)
}

// delete removes the room with its messages, members and files' rows,
// closes every socket in it on every instance, and removes the files'
// blobs. A blob that cannot be removed is logged and left: the room is
// gone either way.
func (s *Rooms) delete(ctx context.Context, id room.ID) error {
	r, err := s.roomByID(ctx, id)
	if err != nil {
		return err
	}
	keys, err := s.d.Rooms.Delete(ctx, id)
	if err != nil {
		return noRoom(err)
	}
	s.live.forgetRoom(id)
	publish(ctx, s.d, roomDeletedEvent(id, id))
	if !r.IsPrivate {
		publish(ctx, s.d, roomDeletedEvent(ports.Everyone, id))
	}
	s.deleteBlobs(ctx, keys...) // the rows are gone: finish the cleanup
	return nil
}

// AddMember lets the room's owner add a user.
func (s *Rooms) AddMember(ctx context.Context, actor user.ID, id room.ID, u user.ID) (bool, error) {
	r, err := s.owned(ctx, actor, id)
	if err != nil {
		return false, err
	}
	if _, err := s.d.Users.ByID(ctx, u); err != nil {
		if domain.KindOf(err) == domain.NotFound {
			return false, domain.Errorf(domain.NotFound, "user_not_found", "user not found")
		}
		return false, err
	}
	added, err := s.d.Members.Add(ctx, id, u)
	if err != nil {
		return false, noRoom(err)
	}
	if added {
		s.added(ctx, r, u)
	}
	return added, nil
}

// AddMemberByName resolves a username, then adds that user.
func (s *Rooms) AddMemberByName(ctx context.Context, actor user.ID, id room.ID, username string) (user.ID, bool, error) {
	if _, err := s.owned(ctx, actor, id); err != nil {
		return 0, false, err
	}
	name, err := user.NewUsername(username)
	if err != nil {
		return 0, false, domain.Errorf(domain.NotFound, "user_not_found", "user not found")
	}
	u, err := s.d.Users.ByUsername(ctx, name)
	if err != nil {
		if domain.KindOf(err) == domain.NotFound {
			return 0, false, domain.Errorf(domain.NotFound, "user_not_found", "user not found")
		}
		return 0, false, err
	}
	added, err := s.AddMember(ctx, actor, id, u.ID)
	return u.ID, added, err
}

// RemoveMember lets the owner remove a member, whose sockets in the room
// then close on every instance. The owner leaves with Leave instead.
func (s *Rooms) RemoveMember(ctx context.Context, actor user.ID, id room.ID, u user.ID) error {
	if _, err := s.owned(ctx, actor, id); err != nil {
		return err
	}
	if u == actor {
		return domain.Errorf(domain.Invalid, "remove_self", "use leave to leave a room you own")
	}
	return s.remove(ctx, id, u, ports.Removed, "that user is not a member of this room")
}

// remove takes u out of room id, forgets its live sockets here and tells
// every instance (whose sockets of u in the room then close with 4403);
// notMember is the refusal's message when u was not a member.
func (s *Rooms) remove(ctx context.Context, id room.ID, u user.ID, why ports.Removal, notMember string) error {
	removed, err := s.d.Members.Remove(ctx, id, u)
	if err != nil {
		return err
	}
	s.live.forget(id, u)
	if !removed {
		return domain.Errorf(domain.NotFound, "not_a_member", "%s", notMember)
	}
	name := ""
	if p, err := s.users.Profile(ctx, u); err == nil {
		name = p.Username.String()
	}
	publish(ctx, s.d, memberRemovedEvent(id, u, name, why))
	return nil
}

// owned loads a room the actor owns: NotFound when invisible, Forbidden
// when visible but someone else's, or a direct conversation (whose people
// and settings are fixed).
func (s *Rooms) owned(ctx context.Context, actor user.ID, id room.ID) (room.Room, error) {
	r, _, err := s.visible(ctx, actor, id)
	if err != nil {
		return room.Room{}, err
	}
	if r.Kind == room.Direct {
		return room.Room{}, room.ErrDirect()
	}
	if r.OwnerID != actor {
		return room.Room{}, errNotOwner
	}
	return r, nil
}

var errNotOwner = domain.Errorf(domain.Forbidden, "not_owner", "only the room's owner can do that")

// Members lists a room's members with their online flag.
func (s *Rooms) Members(ctx context.Context, actor user.ID, id room.ID) ([]room.Member, error) {
	if err := s.Authorize(ctx, actor, id); err != nil {
		return nil, err
	}
	us, err := s.d.Members.Members(ctx, id)
	if err != nil {
		return nil, err
	}
	// Online anywhere: every socket, room socket or user stream, is
	// recorded in Everyone too.
	online, err := s.d.Presence.Online(ctx, ports.Everyone)
	if err != nil {
		// The list is still useful without presence; say so in the logs.
		s.d.Logger.WarnContext(ctx, "presence online", "room_id", int64(id), "err", err)
		online = nil
	}
	pointers, err := s.d.Reads.Pointers(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]room.Member, len(us))
	for i, u := range us {
		out[i] = room.Member{User: u, Online: online[u.ID], LastReadSeq: -1}
		if !u.HideReceipts {
			out[i].LastReadSeq = pointers[u.ID]
		}
	}
	return out, nil
}

// Authorize returns nil for members. Outsiders get Forbidden for a public
// room and NotFound for a private one, whose existence must not leak.
func (s *Rooms) Authorize(ctx context.Context, actor user.ID, id room.ID) error {
	ok, err := s.d.Members.IsMember(ctx, id, actor)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	r, err := s.roomByID(ctx, id)
	if err != nil {
		return err
	}
	if r.IsPrivate {
		return errNoRoom
	}
	return domain.Errorf(domain.Forbidden, "not_a_member", "join the room first")
}

// authorizeLive is Authorize for the per-message hot path (send, typing):
// a member with a live socket here passes without a query. Everything that
// opens access (socket upgrade, Connect, history, member lists) uses the
// strict Authorize, so a user removed on another instance cannot open a
// new socket in the moment before this instance closes the old one.
func (s *Rooms) authorizeLive(ctx context.Context, actor user.ID, id room.ID) error {
	if s.live.has(id, actor) {
		return nil
	}
	return s.Authorize(ctx, actor, id)
}

// Connect records a socket and announces the user's arrival if it is the
// user's first socket in the room.
func (s *Rooms) Connect(ctx context.Context, actor user.ID, id room.ID, connID string) error {
	if err := s.Authorize(ctx, actor, id); err != nil {
		return err
	}
	first, err := s.d.Presence.Connect(ctx, ports.Conn{RoomID: id, UserID: actor, ID: connID})
	if err != nil {
		// Presence is a courtesy: the socket works without it (its user
		// may show offline until a later socket connects). Refuse only for a
		// closed request.
		if ctx.Err() != nil {
			return err
		}
		s.d.Logger.WarnContext(ctx, "presence connect", "room_id", int64(id), "user_id", int64(actor), "err", err)
		first = false
	}
	s.live.add(id, actor)
	// The socket counts anywhere before its arrival is told: a member
	// who hears user_joined and reads the room's members (whose online
	// flag is presence anywhere) sees the user online.
	firstAnywhere := s.connectAnywhere(ctx, actor, connID)
	if first {
		s.announce(ctx, id, actor, true)
	}
	if firstAnywhere {
		s.announceUser(ctx, actor, true, nil)
	}
	return nil
}

// online records connID as a socket of the actor anywhere (ports.Everyone)
// and, when it is the actor's first, tells the members of the actor's
// rooms (nil: read them) through a UserPresence.
func (s *Rooms) online(ctx context.Context, actor user.ID, connID string, rooms []room.ID) {
	if s.connectAnywhere(ctx, actor, connID) {
		s.announceUser(ctx, actor, true, rooms)
	}
}

// connectAnywhere records connID as a socket of the actor anywhere and
// says whether it is the actor's first (false when presence failed: the
// socket works without it).
func (s *Rooms) connectAnywhere(ctx context.Context, actor user.ID, connID string) bool {
	first, err := s.d.Presence.Connect(ctx, ports.Conn{RoomID: ports.Everyone, UserID: actor, ID: connID})
	if err != nil {
		s.d.Logger.WarnContext(ctx, "presence connect", "user_id", int64(actor), "err", err)
		return false
	}
	return first
}

// offline forgets connID as a socket of the actor anywhere and announces
// the actor's departure when it was the last.
func (s *Rooms) offline(ctx context.Context, actor user.ID, connID string, rooms []room.ID) error {
	last, err := s.d.Presence.Disconnect(ctx, ports.Conn{RoomID: ports.Everyone, UserID: actor, ID: connID})
	if err != nil {
		return err
	}
	if last {
		s.announceUser(ctx, actor, false, rooms)
	}
	return nil
}

// announceUser publishes the actor's presence on Everyone, addressed to
// the members of rooms (nil: the actor's rooms, read from the store).
func (s *Rooms) announceUser(ctx context.Context, actor user.ID, online bool, rooms []room.ID) {
	if rooms == nil {
		st, err := s.d.Reads.Standings(ctx, actor)
		if err != nil {
			s.d.Logger.WarnContext(ctx, "announce presence: list rooms", "user_id", int64(actor), "err", err)
			return
		}
		rooms = make([]room.ID, 0, len(st))
		for id := range st {
			rooms = append(rooms, id)
		}
	}
	u, err := s.users.Profile(ctx, actor)
	if err != nil {
		s.d.Logger.WarnContext(ctx, "announce presence: load profile", "user_id", int64(actor), "err", err)
		return
	}
	publish(ctx, s.d, ports.Event{RoomID: ports.Everyone, Payload: ports.UserPresence{
		UserID: actor, Username: u.Username.String(), Online: online, Rooms: rooms,
	}})
}

// Disconnect forgets a socket and announces the user's departure if it was
// the user's last socket in the room.
func (s *Rooms) Disconnect(ctx context.Context, actor user.ID, id room.ID, connID string) error {
	s.live.remove(id, actor)
	last, err := s.d.Presence.Disconnect(ctx, ports.Conn{RoomID: id, UserID: actor, ID: connID})
	if err != nil {
		return err
	}
	// Forgotten anywhere before the departure is told: a member who
	// hears user_left and reads the room's members sees the user offline
	// (unless another socket of theirs is open elsewhere).
	lastAnywhere, err := s.d.Presence.Disconnect(ctx, ports.Conn{RoomID: ports.Everyone, UserID: actor, ID: connID})
	if last {
		s.announce(ctx, id, actor, false)
	}
	if err != nil {
		return err
	}
	if lastAnywhere {
		s.announceUser(ctx, actor, false, nil)
	}
	return nil
}

// Heartbeat keeps this instance's sockets present: in their room, and
// anywhere (a room socket counts in both; a user stream, whose Conn is in
// ports.Everyone, in the latter).
func (s *Rooms) Heartbeat(ctx context.Context, conns []room.Conn) error {
	pc := make([]ports.Conn, 0, 2*len(conns))
	for _, c := range conns {
		pc = append(pc, ports.Conn{RoomID: c.RoomID, UserID: c.UserID, ID: c.ID})
		if c.RoomID != ports.Everyone {
			pc = append(pc, ports.Conn{RoomID: ports.Everyone, UserID: c.UserID, ID: c.ID})
		}
	}
	return s.d.Presence.Refresh(ctx, pc)
}

// MarkRead moves the actor's read pointer and tells the actor's sockets
// and, unless the actor hides receipts, the room's members.
//
// Moves are limited per user (Limits.Read), whichever socket or route
// makes them.
func (s *Rooms) MarkRead(ctx context.Context, actor user.ID, id room.ID, seq int64) (room.Standing, error) {
	if err := s.lim.take(ctx, userKey("read", actor), s.lim.cfg.Read, "read markers"); err != nil {
		return room.Standing{}, err
	}
	st, moved, err := s.d.Reads.MarkRead(ctx, id, actor, seq)
	if err != nil {
		return room.Standing{}, s.notMember(ctx, actor, id, err)
	}
	if moved {
		u, err := s.users.Profile(ctx, actor)
		if err != nil {
			return st, err
		}
		publish(ctx, s.d, readEvent(id, u, st))
	}
	return st, nil
}

// notMember turns a store's "not_a_member" into Authorize's refusal (so a
// private room stays invisible to outsiders); other errors pass.
func (s *Rooms) notMember(ctx context.Context, actor user.ID, id room.ID, err error) error {
	if domain.KindOf(err) != domain.NotFound {
		return err
	}
	if aerr := s.Authorize(ctx, actor, id); aerr != nil {
		return aerr
	}
	return err // a member again by now: the caller may retry
}

// OpenStream records a user stream socket and returns the actor's rooms.
func (s *Rooms) OpenStream(ctx context.Context, actor user.ID, connID string) (map[room.ID]room.Standing, error) {
	st, err := s.d.Reads.Standings(ctx, actor)
	if err != nil {
		return nil, err
	}
	rooms := make([]room.ID, 0, len(st))
	for id := range st {
		s.live.add(id, actor)
		rooms = append(rooms, id)
	}
	s.online(ctx, actor, connID, rooms)
	return st, nil
}

// Follow checks that the actor belongs to a room a stream now carries and
// returns where the actor stands there.
func (s *Rooms) Follow(ctx context.Context, actor user.ID, id room.ID) (room.Standing, error) {
	st, err := s.standing(ctx, actor, id)
	if err != nil {
		return room.Standing{}, err
	}
	s.live.add(id, actor)
	return st, nil
}

// standing reads where a member stands in one room; outsiders get
// Authorize's refusal.
func (s *Rooms) standing(ctx context.Context, actor user.ID, id room.ID) (room.Standing, error) {
	st, _, err := s.d.Reads.MarkRead(ctx, id, actor, 0) // 0 never moves a pointer: a read
	if err != nil {
		return room.Standing{}, s.notMember(ctx, actor, id, err)
	}
	return st, nil
}

// Unfollow forgets one room of a stream.
func (s *Rooms) Unfollow(actor user.ID, id room.ID) { s.live.remove(id, actor) }

// CloseStream forgets a stream socket and the rooms it carried.
func (s *Rooms) CloseStream(ctx context.Context, actor user.ID, connID string, rooms []room.ID) error {
	for _, id := range rooms {
		s.live.remove(id, actor)
	}
	return s.offline(ctx, actor, connID, rooms)
}

func (s *Rooms) announce(ctx context.Context, id room.ID, actor user.ID, joined bool) {
	u, err := s.users.Profile(ctx, actor)
	if err != nil {
		s.d.Logger.WarnContext(ctx, "announce: load profile", "user_id", int64(actor), "err", err)
		return
	}
	publish(ctx, s.d, presenceEvent(id, u, joined))
}
