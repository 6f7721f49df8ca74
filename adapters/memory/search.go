package memory

import (
	"context"
	"slices"

	"chat/adapters/textindex"
	"chat/domain/message"
	"chat/domain/room"
	"chat/ports"
)

var _ ports.SearchStore = (*SearchStore)(nil)

// SearchStore implements ports.SearchStore by reading every message of
// the rooms searched with textindex's own meaning of a query.
type SearchStore struct{ s *Stores }

// Search returns the stores' search port.
func (s *Stores) Search() *SearchStore { return &SearchStore{s} }

func (ss *SearchStore) Search(ctx context.Context, rooms []room.ID, q message.SearchQuery) ([]message.Hit, error) {
	cq := textindex.Compile(q)
	return locked(ctx, ss.s, func() ([]message.Hit, error) {
		var found []message.Message
		for _, r := range rooms {
			for _, sm := range ss.s.log(r).msgs {
				m := sm.m
				if m.Deleted || q.Before > 0 && m.ID >= q.Before || !cq.Matches(m.Content) {
					continue
				}
				found = append(found, message.Message{ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, UserID: m.UserID,
					Username: m.Username, Content: m.Content, CreatedAt: m.CreatedAt, EditedAt: m.EditedAt})
			}
		}
		slices.SortFunc(found, func(a, b message.Message) int { return int(b.ID - a.ID) })
		if len(found) > q.Limit {
			found = found[:q.Limit]
		}
		hits := make([]message.Hit, len(found))
		for i, m := range found {
			hits[i] = message.Hit{Message: m, Snippet: textindex.Snippet(m.Content, cq)}
		}
		return hits, nil
	})
}
