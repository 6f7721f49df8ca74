package application

import (
	"context"

	"chat/domain/room"
	"chat/domain/user"
)

// handOver is the one rule for an owner who goes: room r passes to its
// longest-standing other member, or, when the owner was its only member,
// the room is deleted with its messages and files (deleted reports which).
// Account deletion uses it; an owner leaving a room should too.
func (s *Rooms) handOver(ctx context.Context, r room.ID, owner user.ID) (deleted bool, err error) {
	next, ok, err := s.d.Members.Eldest(ctx, r, owner)
	if err != nil {
		return false, err
	}
	if ok {
		return false, s.d.Rooms.SetOwner(ctx, r, next)
	}
	keys, err := s.d.Rooms.Delete(ctx, r)
	if err != nil {
		return false, err
	}
	s.live.forget(r, owner)
	s.deleteBlobs(ctx, keys...)
	return true, nil
}

// deleteBlobs removes blobs nothing references any more. A failure leaves
// an orphan file on disk, never a row without its file; it is logged for
// the operator.
func (s *Rooms) deleteBlobs(ctx context.Context, keys ...string) {
	if s.d.Blobs == nil {
		return
	}
	for _, k := range keys {
		if err := s.d.Blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
			s.d.Logger.WarnContext(ctx, "delete unreferenced blob", "key", k, "err", err)
		}
	}
}
