package memory

import (
	"context"
	"sort"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/user"
	"chat/ports"
)

var _ ports.ScheduledStore = (*ScheduledStore)(nil)

// ScheduledStore implements ports.ScheduledStore over the stores' rooms
// and users. Each message's send job is enqueued under the stores' lock
// and the row kept only if that succeeds: the in-memory form of "row and
// job in one transaction".
type ScheduledStore struct {
	s    *Stores
	jobs ports.JobQueue
}

// Scheduled returns the ports.ScheduledStore over s, enqueueing the send
// jobs on q.
func (s *Stores) Scheduled(q ports.JobQueue) *ScheduledStore { return &ScheduledStore{s: s, jobs: q} }

func errScheduledNotFound() error {
	return domain.Errorf(domain.NotFound, "scheduled_not_found", "scheduled message not found")
}

// send enqueues sc's delivery at its SendAt.
func (ss *ScheduledStore) send(ctx context.Context, sc message.Scheduled) error {
	return ss.jobs.Enqueue(ctx, ports.Job{Kind: ports.JobSend, Scheduled: sc.ID, RunAt: sc.SendAt})
}

func (ss *ScheduledStore) Create(ctx context.Context, sc message.Scheduled, max int) (message.Scheduled, error) {
	s := ss.s
	return locked(ctx, s, func() (message.Scheduled, error) {
		if _, ok := s.rooms[sc.RoomID]; !ok {
			return message.Scheduled{}, errRoomNotFound()
		}
		if _, ok := s.users[sc.UserID]; !ok {
			return message.Scheduled{}, errUserNotFound()
		}
		pending := 0
		for _, other := range s.scheduled {
			if other.UserID == sc.UserID {
				pending++
			}
		}
		if pending >= max {
			return message.Scheduled{}, domain.Errorf(domain.Conflict, "too_many_scheduled", "at most %d messages may wait to be sent", max)
		}
		sc.ID = s.lastSched + 1
		sc.CreatedAt = s.stamp(sc.CreatedAt)
		sc.SendAt = s.stamp(sc.SendAt)
		if err := ss.send(ctx, sc); err != nil {
			return message.Scheduled{}, err
		}
		s.lastSched = sc.ID
		s.scheduled[sc.ID] = sc
		return sc, nil
	})
}

func (ss *ScheduledStore) ByID(ctx context.Context, id message.ScheduledID) (message.Scheduled, error) {
	return locked(ctx, ss.s, func() (message.Scheduled, error) {
		sc, ok := ss.s.scheduled[id]
		if !ok {
			return message.Scheduled{}, errScheduledNotFound()
		}
		return sc, nil
	})
}

func (ss *ScheduledStore) List(ctx context.Context, u user.ID) ([]message.Scheduled, error) {
	return locked(ctx, ss.s, func() ([]message.Scheduled, error) {
		out := []message.Scheduled{}
		for _, sc := range ss.s.scheduled {
			if sc.UserID == u {
				out = append(out, sc)
			}
		}
		sort.Slice(out, func(i, j int) bool {
			if !out[i].SendAt.Equal(out[j].SendAt) {
				return out[i].SendAt.Before(out[j].SendAt)
			}
			return out[i].ID < out[j].ID
		})
		return out, nil
	})
}

func (ss *ScheduledStore) Update(ctx context.Context, u user.ID, id message.ScheduledID, change func(*message.Scheduled) error) (message.Scheduled, error) {
	s := ss.s
	return locked(ctx, s, func() (message.Scheduled, error) {
		cur, ok := s.scheduled[id]
		if !ok || cur.UserID != u {
			return message.Scheduled{}, errScheduledNotFound()
		}
		next := cur
		if err := change(&next); err != nil {
			return message.Scheduled{}, err
		}
		cur.Content, cur.SendAt = next.Content, s.stamp(next.SendAt)
		if !cur.SendAt.Equal(s.scheduled[id].SendAt) {
			if err := ss.send(ctx, cur); err != nil {
				return message.Scheduled{}, err
			}
		}
		s.scheduled[id] = cur
		return cur, nil
	})
}

func (ss *ScheduledStore) Delete(ctx context.Context, u user.ID, id message.ScheduledID) (bool, error) {
	return locked(ctx, ss.s, func() (bool, error) {
		sc, ok := ss.s.scheduled[id]
		if !ok || u != 0 && sc.UserID != u {
			return false, nil
		}
		delete(ss.s.scheduled, id)
		return true, nil
	})
}
