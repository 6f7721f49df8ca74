package memory

import (
	"cmp"
	"context"
	"slices"

	"chat/domain"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.PushStore = (*PushStore)(nil)
	_ ports.MuteStore = (*MuteStore)(nil)
)

// PushStore is the ports.PushStore over Stores: subscriptions go with
// their user's row, as in SQL.
type PushStore struct{ s *Stores }

// Push returns the ports.PushStore over s.
func (s *Stores) Push() *PushStore { return &PushStore{s} }

// Save stores sub, updating a known endpoint, and keeps the user's newest
// max.
func (ps *PushStore) Save(ctx context.Context, sub push.Subscription, max int) (push.Subscription, error) {
	return locked(ctx, ps.s, func() (push.Subscription, error) {
		s := ps.s
		if _, ok := s.users[sub.UserID]; !ok {
			return push.Subscription{}, errUserNotFound()
		}
		sub.CreatedAt = s.stamp(sub.CreatedAt)
		sub.ID = 0
		for id, cur := range s.pushSubs {
			if cur.Endpoint == sub.Endpoint {
				sub.ID = id
			}
		}
		if sub.ID == 0 {
			s.lastPush++
			sub.ID = s.lastPush
		}
		s.pushSubs[sub.ID] = clonePush(sub)
		mine := s.pushOf(sub.UserID)
		for len(mine) > max {
			delete(s.pushSubs, mine[0].ID)
			mine = mine[1:]
		}
		return clonePush(sub), nil
	})
}

// ByID returns a subscription.
func (ps *PushStore) ByID(ctx context.Context, id push.SubscriptionID) (push.Subscription, error) {
	return locked(ctx, ps.s, func() (push.Subscription, error) {
		sub, ok := ps.s.pushSubs[id]
		if !ok {
			return push.Subscription{}, push.ErrSubscriptionNotFound()
		}
		return clonePush(sub), nil
	})
}

// ByUser returns u's subscriptions, oldest first.
func (ps *PushStore) ByUser(ctx context.Context, u user.ID) ([]push.Subscription, error) {
	return locked(ctx, ps.s, func() ([]push.Subscription, error) { return ps.s.pushOf(u), nil })
}

// Delete removes subscription id when it is u's (u 0: whoever's).
func (ps *PushStore) Delete(ctx context.Context, u user.ID, id push.SubscriptionID) error {
	_, err := locked(ctx, ps.s, func() (struct{}, error) {
		sub, ok := ps.s.pushSubs[id]
		if !ok || u != 0 && sub.UserID != u {
			return struct{}{}, push.ErrSubscriptionNotFound()
		}
		delete(ps.s.pushSubs, id)
		return struct{}{}, nil
	})
	return err
}

// pushOf is u's subscriptions, oldest first (then by id); callers hold
// s.mu.
func (s *Stores) pushOf(u user.ID) []push.Subscription {
	var out []push.Subscription
	for _, sub := range s.pushSubs {
		if sub.UserID == u {
			out = append(out, clonePush(sub))
		}
	}
	slices.SortFunc(out, func(a, b push.Subscription) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func clonePush(sub push.Subscription) push.Subscription {
	sub.P256DH, sub.Auth = slices.Clone(sub.P256DH), slices.Clone(sub.Auth)
	return sub
}

// MuteStore is the ports.MuteStore over Stores: a mute is part of the
// membership.
type MuteStore struct{ s *Stores }

// Mutes returns the ports.MuteStore over s.
func (s *Stores) Mutes() *MuteStore { return &MuteStore{s} }

// SetMuted sets u's mute of room r.
func (ms *MuteStore) SetMuted(ctx context.Context, r room.ID, u user.ID, muted bool) error {
	_, err := locked(ctx, ms.s, func() (struct{}, error) {
		m, ok := ms.s.members[r][u]
		if !ok {
			return struct{}{}, domain.Errorf(domain.NotFound, "not_member", "not a member of the room")
		}
		m.muted = muted
		ms.s.members[r][u] = m
		return struct{}{}, nil
	})
	return err
}

// Muted returns which of users muted room r.
func (ms *MuteStore) Muted(ctx context.Context, r room.ID, users []user.ID) (map[user.ID]bool, error) {
	return locked(ctx, ms.s, func() (map[user.ID]bool, error) {
		out := make(map[user.ID]bool)
		for _, u := range users {
			if ms.s.members[r][u].muted {
				out[u] = true
			}
		}
		return out, nil
	})
}
