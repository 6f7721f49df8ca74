package application

import (
	"context"
	"crypto/rand"
	"time"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
)

// Invites implements room.Invites.
type Invites struct {
	d     Deps
	rooms *Rooms
}

var _ room.Invites = (*Invites)(nil)

var errInviteNotFound = domain.Errorf(domain.NotFound, "invite_not_found",
	"this invite is not valid: it may have expired or been revoked")

// Create makes an invite to a room the actor belongs to.
func (s *Invites) Create(ctx context.Context, actor user.ID, id room.ID, ttl time.Duration) (room.Invite, error) {
	ttl, err := room.InviteTTL(ttl)
	if err != nil {
		return room.Invite{}, err
	}
	r, member, err := s.rooms.visible(ctx, actor, id)
	if err != nil {
		return room.Invite{}, err
	}
	if !member {
		return room.Invite{}, s.rooms.Authorize(ctx, actor, id)
	}
	if r.Kind == room.Direct {
		return room.Invite{}, room.ErrDirect()
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Microsecond)
	inv := room.Invite{Code: rand.Text(), RoomID: id, CreatedBy: actor, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.d.Invites.Create(ctx, inv, room.InvitesPerRoom); err != nil {
		return room.Invite{}, noRoom(err)
	}
	return inv, nil
}

// List returns a room's live invites, to its members.
func (s *Invites) List(ctx context.Context, actor user.ID, id room.ID) ([]room.Invite, error) {
	if err := s.rooms.Authorize(ctx, actor, id); err != nil {
		return nil, err
	}
	return s.d.Invites.List(ctx, id, s.d.Clock.Now())
}

// Revoke deletes an invite, for its creator or the room's owner.
func (s *Invites) Revoke(ctx context.Context, actor user.ID, id room.ID, code string) error {
	r, member, err := s.rooms.visible(ctx, actor, id)
	if err != nil {
		return err
	}
	if !member {
		return s.rooms.Authorize(ctx, actor, id)
	}
	inv, err := s.d.Invites.ByCode(ctx, code, s.d.Clock.Now())
	if err != nil || inv.RoomID != id {
		return errInviteNotFound
	}
	if inv.CreatedBy != actor && r.OwnerID != actor {
		return domain.Errorf(domain.Forbidden, "not_owner", "only the invite's creator or the room's owner can revoke it")
	}
	if ok, err := s.d.Invites.Delete(ctx, id, code); err != nil || !ok {
		if err != nil {
			return err
		}
		return errInviteNotFound
	}
	return nil
}

// invite reads a live invite and its room: one answer for every code that
// is not one.
func (s *Invites) invite(ctx context.Context, code string) (room.Invite, room.Room, error) {
	if code == "" || len(code) > 64 {
		return room.Invite{}, room.Room{}, errInviteNotFound
	}
	inv, err := s.d.Invites.ByCode(ctx, code, s.d.Clock.Now())
	if err != nil {
		return room.Invite{}, room.Room{}, asInviteNotFound(err)
	}
	r, err := s.rooms.roomByID(ctx, inv.RoomID)
	if err != nil {
		return room.Invite{}, room.Room{}, asInviteNotFound(err) // the room went meanwhile
	}
	return inv, r, nil
}

// asInviteNotFound gives every NotFound on an invite's way the one answer.
func asInviteNotFound(err error) error {
	if domain.KindOf(err) == domain.NotFound {
		return errInviteNotFound
	}
	return err
}

// View shows the room a live invite leads to. Guessing codes is bounded by
// the join limit, charged here too.
func (s *Invites) View(ctx context.Context, actor user.ID, code string) (room.InviteView, error) {
	if err := s.rooms.chargeJoin(ctx, actor); err != nil {
		return room.InviteView{}, err
	}
	inv, r, err := s.invite(ctx, code)
	if err != nil {
		return room.InviteView{}, err
	}
	member, err := s.d.Members.IsMember(ctx, r.ID, actor)
	if err != nil {
		return room.InviteView{}, err
	}
	return room.InviteView{Invite: inv, Room: r, IsMember: member}, nil
}

// Accept joins the invite's room, private ones included.
func (s *Invites) Accept(ctx context.Context, actor user.ID, code string) (room.Listing, error) {
	if err := s.rooms.chargeJoin(ctx, actor); err != nil {
		return room.Listing{}, err
	}
	_, r, err := s.invite(ctx, code)
	if err != nil {
		return room.Listing{}, err
	}
	added, err := s.d.Members.Add(ctx, r.ID, actor)
	if err != nil {
		return room.Listing{}, asInviteNotFound(err) // the room went meanwhile
	}
	if added {
		s.rooms.added(ctx, r, actor)
	}
	st, err := s.rooms.standing(ctx, actor, r.ID)
	if err != nil {
		return room.Listing{}, err
	}
	return room.Listing{Room: r, IsMember: true, Standing: st}, nil
}
