package application

import (
	"context"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
)

// OpenDirect returns the direct conversation of the actor and the people
// named, creating it the first time. The store makes it one room per set
// of people, also when several instances create it at once; only the call
// that created it announces it (room_added to each of its people).
func (s *Rooms) OpenDirect(ctx context.Context, actor user.ID, ids []user.ID, usernames []string) (room.Listing, bool, error) {
	if n := len(ids) + len(usernames); n < 1 || n > room.DirectMax-1 {
		return room.Listing{}, false, domain.Errorf(domain.Invalid, "invalid_dm", "a direct conversation has 2 to %d people", room.DirectMax)
	}
	if err := s.chargeJoin(ctx, actor); err != nil {
		return room.Listing{}, false, err
	}
	me, err := s.users.Profile(ctx, actor)
	if err != nil {
		return room.Listing{}, false, err
	}
	others := make([]user.User, 0, len(ids)+len(usernames))
	for _, id := range ids {
		u, err := s.d.Users.ByID(ctx, id)
		if err != nil {
			return room.Listing{}, false, userNotFound(err)
		}
		others = append(others, u)
	}
	for _, n := range usernames {
		name, err := user.NewUsername(n)
		if err != nil {
			return room.Listing{}, false, errUserNotFound
		}
		u, err := s.d.Users.ByUsername(ctx, name)
		if err != nil {
			return room.Listing{}, false, userNotFound(err)
		}
		others = append(others, u)
	}
	r, key, err := room.NewDirect(me, others, s.d.Clock.Now())
	if err != nil {
		return room.Listing{}, false, err
	}
	members := make([]user.ID, 0, len(others)+1)
	members = append(members, actor)
	for _, o := range others {
		members = append(members, o.ID)
	}
	r, created, err := s.d.Rooms.OpenDirect(ctx, key, r, members)
	if err != nil {
		return room.Listing{}, false, userNotFound(err)
	}
	if created {
		for _, u := range members {
			publish(ctx, s.d, roomAddedEvent(r, u))
		}
	}
	st, err := s.standing(ctx, actor, r.ID)
	if err != nil {
		return room.Listing{}, false, err
	}
	return room.Listing{Room: r, IsMember: true, Standing: st}, created, nil
}

var errUserNotFound = domain.Errorf(domain.NotFound, "user_not_found", "user not found")

// userNotFound maps a store's NotFound for a user to errUserNotFound.
func userNotFound(err error) error {
	if domain.KindOf(err) == domain.NotFound {
		return errUserNotFound
	}
	return err
}
