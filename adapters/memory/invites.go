package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"chat/domain"
	"chat/domain/room"
	"chat/ports"
)

var _ ports.InviteStore = (*InviteStore)(nil)

// InviteStore implements ports.InviteStore over the shared database: an
// invite goes with its room.
type InviteStore struct{ s *Stores }

// Invites returns the ports.InviteStore over s.
func (s *Stores) Invites() *InviteStore { return &InviteStore{s} }

func errInviteNotFound() error {
	return domain.Errorf(domain.NotFound, "invite_not_found", "this invite is not valid: it may have expired or been revoked")
}

func (is *InviteStore) Create(ctx context.Context, inv room.Invite, max int) error {
	s := is.s
	_, err := locked(ctx, s, func() (struct{}, error) {
		if _, ok := s.rooms[inv.RoomID]; !ok {
			return struct{}{}, errRoomNotFound()
		}
		live := 0
		for code, x := range s.invites {
			switch {
			case x.RoomID != inv.RoomID:
			case !x.Live(inv.CreatedAt):
				delete(s.invites, code)
			default:
				live++
			}
		}
		if live >= max {
			return struct{}{}, domain.Errorf(domain.Conflict, "too_many_invites", "this room has %d live invites: revoke some first", live)
		}
		inv.CreatedAt, inv.ExpiresAt = s.stamp(inv.CreatedAt), s.stamp(inv.ExpiresAt)
		s.invites[inv.Code] = inv
		return struct{}{}, nil
	})
	return err
}

func (is *InviteStore) ByCode(ctx context.Context, code string, now time.Time) (room.Invite, error) {
	s := is.s
	return locked(ctx, s, func() (room.Invite, error) {
		inv, ok := s.invites[code]
		if !ok || !inv.Live(now) {
			return room.Invite{}, errInviteNotFound()
		}
		return inv, nil
	})
}

func (is *InviteStore) List(ctx context.Context, r room.ID, now time.Time) ([]room.Invite, error) {
	s := is.s
	return locked(ctx, s, func() ([]room.Invite, error) {
		out := []room.Invite{}
		for _, inv := range s.invites {
			if inv.RoomID == r && inv.Live(now) {
				out = append(out, inv)
			}
		}
		slices.SortFunc(out, func(a, b room.Invite) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.Code, a.Code)
		})
		return out, nil
	})
}

func (is *InviteStore) Delete(ctx context.Context, r room.ID, code string) (bool, error) {
	s := is.s
	return locked(ctx, s, func() (bool, error) {
		inv, ok := s.invites[code]
		if !ok || inv.RoomID != r {
			return false, nil
		}
		delete(s.invites, code)
		return true, nil
	})
}
