package memory

import (
	"context"
	"slices"
	"sort"
	"time"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// roomLog is one room's stream: its messages and the changes made to
// them, each in seq order, and the last seq either took.
type roomLog struct {
	lastSeq int64
	msgs    []*storedMessage // in seq (and id) order
	// changes as recorded; an Edited one holds the text it replaced (the
	// version it made), erased when its message is deleted.
	changes []message.Change
}

// firstAfter is the index of the first message with a seq above seq.
func (l *roomLog) firstAfter(seq int64) int {
	return sort.Search(len(l.msgs), func(i int) bool { return l.msgs[i].m.Seq > seq })
}

// storedMessage is a message as kept: its own fields (Content, EditedAt,
// Deleted and Mentions current) and what view joins in when it is read.
type storedMessage struct {
	m         message.Message // ReplyTo, Reactions and Files unset
	replyTo   message.ID
	reactions []reaction // in the order added
	files     []attachment.ID
}

type reaction struct {
	emoji string
	user  user.ID
}

// log returns room r's stream, empty for a room without one; callers hold
// s.mu.
func (s *Stores) log(r room.ID) *roomLog {
	if l, ok := s.logs[r]; ok {
		return l
	}
	return &roomLog{}
}

// view is sm as reads give it, in its current state; callers hold s.mu.
func (s *Stores) view(sm *storedMessage) message.Message {
	m := sm.m
	m.Mentions = slices.Clone(m.Mentions)
	if p, ok := s.byID[sm.replyTo]; ok {
		m.ReplyTo = &message.Quote{ID: p.m.ID, Seq: p.m.Seq, UserID: p.m.UserID, Username: p.m.Username, Content: message.Cut(p.m.Content), Deleted: p.m.Deleted}
	}
	for _, r := range sm.reactions {
		i := slices.IndexFunc(m.Reactions, func(x message.Reaction) bool { return x.Emoji == r.emoji })
		if i < 0 {
			m.Reactions = append(m.Reactions, message.Reaction{Emoji: r.emoji})
			i = len(m.Reactions) - 1
		}
		m.Reactions[i].Count++
		if len(m.Reactions[i].UserIDs) < message.ReactorsShown {
			m.Reactions[i].UserIDs = append(m.Reactions[i].UserIDs, r.user)
		}
	}
	if len(sm.files) > 0 {
		m.Files = s.files.rowsOf(sm.files)
	}
	return m
}

func (s *Stores) views(sms []*storedMessage) []message.Message {
	out := make([]message.Message, len(sms))
	for i, sm := range sms {
		out[i] = s.view(sm)
	}
	return out
}

// message returns message id of room r; callers hold s.mu.
func (s *Stores) message(r room.ID, id message.ID) (*storedMessage, error) {
	sm, ok := s.byID[id]
	if !ok || sm.m.RoomID != r {
		return nil, errMessageNotFound()
	}
	return sm, nil
}

// live returns message id of room r unless it is a tombstone.
func (s *Stores) live(r room.ID, id message.ID) (*storedMessage, error) {
	sm, err := s.message(r, id)
	if err != nil {
		return nil, err
	}
	if sm.m.Deleted {
		return nil, domain.Errorf(domain.Conflict, "message_deleted", "the message was deleted")
	}
	return sm, nil
}

// record gives c room r's next seq and keeps it; callers hold s.mu.
func (s *Stores) record(c message.Change) message.Change {
	l := s.logs[c.RoomID]
	l.lastSeq++
	c.Seq = l.lastSeq
	c.At = s.stamp(c.At)
	l.changes = append(l.changes, c)
	return c
}

func errMessageNotFound() error {
	return domain.Errorf(domain.NotFound, "message_not_found", "message not found")
}

func errFileNotFound() error {
	return domain.Errorf(domain.NotFound, "file_not_found", "file not found")
}

// MessageStore implements ports.MessageStore.
type MessageStore struct{ s *Stores }

type appended struct {
	m       message.Message
	created bool
}

func (mst *MessageStore) Append(ctx context.Context, m message.Message) (message.Message, bool, error) {
	s := mst.s
	a, err := locked(ctx, s, func() (appended, error) {
		if _, ok := s.rooms[m.RoomID]; !ok {
			return appended{}, errRoomNotFound()
		}
		key := clientKey{m.UserID, m.RoomID, m.ClientID}
		if m.ClientID != "" {
			if id, ok := s.byClient[key]; ok {
				first := s.byID[id]
				if first.m.Content != m.Content {
					return appended{}, domain.Errorf(domain.Conflict, "client_id_reused", "client_id was already used for another message in this room")
				}
				return appended{s.view(first), false}, nil
			}
		}
		sm := &storedMessage{}
		if m.ReplyTo != nil {
			if _, err := s.message(m.RoomID, m.ReplyTo.ID); err != nil {
				return appended{}, err
			}
			sm.replyTo = m.ReplyTo.ID
		}
		for _, f := range m.Files {
			if !slices.Contains(sm.files, f.ID) {
				sm.files = append(sm.files, f.ID)
			}
		}
		slices.Sort(sm.files)
		if len(sm.files) > 0 && (s.files == nil || !s.files.attachable(sm.files, m.RoomID, m.UserID)) {
			return appended{}, errFileNotFound()
		}
		s.lastMsg++
		m.ID = s.lastMsg
		log, ok := s.logs[m.RoomID]
		if !ok {
			log = &roomLog{}
			s.logs[m.RoomID] = log
		}
		log.lastSeq++
		m.Seq = log.lastSeq
		m.CreatedAt = s.stamp(m.CreatedAt)
		m.EditedAt, m.Deleted = time.Time{}, false
		m.Mentions = cloneOrNil(m.Mentions)
		m.ReplyTo, m.Reactions, m.Files = nil, nil, nil
		sm.m = m
		if len(sm.files) > 0 {
			s.files.attach(sm.files, m.ID)
		}
		log.msgs = append(log.msgs, sm)
		s.byID[m.ID] = sm
		if m.ClientID != "" {
			s.byClient[key] = m.ID
		}
		return appended{s.view(sm), true}, nil
	})
	return a.m, a.created, err
}

func (mst *MessageStore) Get(ctx context.Context, r room.ID, id message.ID) (message.Message, error) {
	s := mst.s
	return locked(ctx, s, func() (message.Message, error) {
		sm, err := s.message(r, id)
		if err != nil {
			return message.Message{}, err
		}
		return s.view(sm), nil
	})
}

func (mst *MessageStore) Edit(ctx context.Context, c message.Change, check func(message.Message) error) (message.Change, error) {
	s := mst.s
	return locked(ctx, s, func() (message.Change, error) {
		sm, err := s.live(c.RoomID, c.MessageID)
		if err != nil {
			return message.Change{}, err
		}
		if err := check(s.view(sm)); err != nil {
			return message.Change{}, err
		}
		c.Kind, c.Mentions = message.Edited, cloneOrNil(c.Mentions)
		kept := c
		kept.Content, kept.Mentions = sm.m.Content, nil // the version this edit makes
		kept = s.record(kept)
		c.Seq, c.At = kept.Seq, kept.At
		sm.m.Content, sm.m.Mentions, sm.m.EditedAt = c.Content, slices.Clone(c.Mentions), c.At
		return c, nil
	})
}

func (mst *MessageStore) Delete(ctx context.Context, c message.Change, check func(message.Message) error) (message.Change, error) {
	s := mst.s
	return locked(ctx, s, func() (message.Change, error) {
		sm, err := s.live(c.RoomID, c.MessageID)
		if err != nil {
			return message.Change{}, err
		}
		if err := check(s.view(sm)); err != nil {
			return message.Change{}, err
		}
		if len(sm.files) > 0 {
			// The purge job first: if it cannot be enqueued nothing
			// changes, as when SQL's job insert fails the transaction.
			if err := s.files.purge(ctx, sm.files); err != nil {
				return message.Change{}, err
			}
		}
		c = s.record(message.Change{Kind: message.Deleted, RoomID: c.RoomID, MessageID: c.MessageID, UserID: c.UserID, Username: c.Username, At: c.At})
		log := s.logs[c.RoomID]
		for i := range log.changes {
			if log.changes[i].MessageID == c.MessageID && log.changes[i].Kind == message.Edited {
				log.changes[i].Content = ""
			}
		}
		sm.m.Content, sm.m.Mentions, sm.m.Deleted, sm.m.EditedAt = "", nil, true, time.Time{}
		sm.reactions, sm.files = nil, nil
		return c, nil
	})
}

type reacted struct {
	c       message.Change
	changed bool
}

func (mst *MessageStore) React(ctx context.Context, c message.Change, max int) (message.Change, bool, error) {
	s := mst.s
	res, err := locked(ctx, s, func() (reacted, error) {
		if c.Kind != message.ReactionAdded && c.Kind != message.ReactionRemoved {
			return reacted{}, domain.Errorf(domain.Invalid, "invalid_change", "a reaction is added or removed")
		}
		sm, err := s.live(c.RoomID, c.MessageID)
		if err != nil {
			return reacted{}, err
		}
		mine := slices.Index(sm.reactions, reaction{c.Emoji, c.UserID})
		count := func() int {
			n := 0
			for _, r := range sm.reactions {
				if r.emoji == c.Emoji {
					n++
				}
			}
			return n
		}
		add := c.Kind == message.ReactionAdded
		if add == (mine >= 0) { // already so
			c.Count = count()
			return reacted{c, false}, nil
		}
		if add {
			if !slices.ContainsFunc(sm.reactions, func(r reaction) bool { return r.emoji == c.Emoji }) && distinct(sm.reactions) >= max {
				return reacted{}, domain.Errorf(domain.Conflict, "too_many_reactions", "a message has at most %d different reactions", max)
			}
			sm.reactions = append(sm.reactions, reaction{c.Emoji, c.UserID})
		} else {
			sm.reactions = slices.Delete(sm.reactions, mine, mine+1)
		}
		c.Count, c.Content, c.Mentions = count(), "", nil
		return reacted{s.record(c), true}, nil
	})
	return res.c, res.changed, err
}

// distinct counts the emoji among rs.
func distinct(rs []reaction) int {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.emoji] = true
	}
	return len(seen)
}

func (mst *MessageStore) Versions(ctx context.Context, r room.ID, id message.ID) ([]message.Version, error) {
	s := mst.s
	return locked(ctx, s, func() ([]message.Version, error) {
		sm, err := s.message(r, id)
		if err != nil || sm.m.Deleted {
			return nil, err
		}
		var out []message.Version
		at := sm.m.CreatedAt
		for _, c := range s.log(r).changes {
			if c.MessageID == id && c.Kind == message.Edited {
				out = append(out, message.Version{Content: c.Content, At: at})
				at = c.At
			}
		}
		return out, nil
	})
}

func (mst *MessageStore) Entries(ctx context.Context, r room.ID, afterSeq int64, limit int) ([]message.Entry, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	s := mst.s
	return locked(ctx, s, func() ([]message.Entry, error) {
		log := s.log(r)
		msgs := log.msgs[log.firstAfter(afterSeq):]
		changes := log.changes[sort.Search(len(log.changes), func(i int) bool { return log.changes[i].Seq > afterSeq }):]
		var out []message.Entry
		for len(out) < limit && (len(msgs) > 0 || len(changes) > 0) {
			if len(changes) == 0 || len(msgs) > 0 && msgs[0].m.Seq < changes[0].Seq {
				m := s.view(msgs[0])
				out = append(out, message.Entry{Message: &m})
				msgs = msgs[1:]
				continue
			}
			c := changes[0]
			if c.Kind == message.Edited { // replayed with the text as it is now
				cur := s.byID[c.MessageID].m
				c.Content, c.Mentions = cur.Content, slices.Clone(cur.Mentions)
			}
			out = append(out, message.Entry{Change: &c})
			changes = changes[1:]
		}
		return out, nil
	})
}

func (mst *MessageStore) Before(ctx context.Context, r room.ID, before message.ID, limit int) ([]message.Message, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	s := mst.s
	return locked(ctx, s, func() ([]message.Message, error) {
		all := s.log(r).msgs
		end := len(all)
		if before > 0 {
			end = sort.Search(len(all), func(i int) bool { return all[i].m.ID >= before })
		}
		out := s.views(all[max(end-limit, 0):end])
		slices.Reverse(out)
		return out, nil
	})
}

func (mst *MessageStore) NewestIfMember(ctx context.Context, r room.ID, u user.ID, limit int) ([]message.Message, bool, error) {
	if err := checkLimit(limit); err != nil {
		return nil, false, err
	}
	member, err := locked(ctx, mst.s, func() (bool, error) { _, ok := mst.s.members[r][u]; return ok, nil })
	if err != nil || !member {
		return nil, false, err
	}
	ms, err := mst.Before(ctx, r, 0, limit)
	return ms, err == nil, err
}

func (mst *MessageStore) After(ctx context.Context, r room.ID, afterSeq int64, limit int) ([]message.Message, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	s := mst.s
	return locked(ctx, s, func() ([]message.Message, error) {
		log := s.log(r)
		start := log.firstAfter(afterSeq)
		return s.views(log.msgs[start:min(start+limit, len(log.msgs))]), nil
	})
}

func (mst *MessageStore) LastSeqs(ctx context.Context, rooms []room.ID) (map[room.ID]int64, error) {
	s := mst.s
	return locked(ctx, s, func() (map[room.ID]int64, error) {
		out := make(map[room.ID]int64, len(rooms))
		for _, r := range rooms {
			if _, ok := s.rooms[r]; ok {
				out[r] = s.log(r).lastSeq
			}
		}
		return out, nil
	})
}

func checkLimit(limit int) error {
	if limit < 1 {
		return domain.Errorf(domain.Invalid, "invalid_limit", "limit must be positive")
	}
	return nil
}

func cloneOrNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
