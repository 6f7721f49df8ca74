package memory

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

var (
	_ ports.UserStore    = (*UserStore)(nil)
	_ ports.AccountStore = (*UserStore)(nil)
	_ ports.RoomStore    = (*RoomStore)(nil)
	_ ports.MemberStore  = (*MemberStore)(nil)
	_ ports.MessageStore = (*MessageStore)(nil)
	_ ports.SessionStore = (*SessionStore)(nil)
	_ ports.ReadStore    = (*ReadStore)(nil)
)

// Stores is one in-memory database behind the store ports. The stores
// share it (and one mutex) the way the SQL stores share their tables: a
// room's owner must be a stored user, a message's room a stored room.
//
//	db := memory.NewStores()
//	deps := application.Deps{Users: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.Messages()}
type Stores struct {
	mu       sync.Mutex
	now      func() time.Time
	users    map[user.ID]user.User
	hashes   map[user.ID]string // password hashes, apart from the users as in SQL's reads
	byName   map[string]user.ID
	rooms    map[room.ID]room.Room
	members  map[room.ID]map[user.ID]membership
	messages map[room.ID][]message.Message // per room, in seq (and id) order
	byClient map[clientKey]message.Message
	sessions map[string]user.Session
	invites  map[string]room.Invite // by code
	lastUser user.ID
	lastRoom room.ID
	lastMsg  message.ID
	files    *AttachmentStore // rows deleted with their room; nil: none kept here
}

// membership is one member's row: when the member joined and the
// member's read pointer, which starts at 0 and goes with the membership.
type membership struct {
	joinedAt time.Time
	lastRead int64
}

// clientKey is a message's idempotency key: unique per sender and room.
type clientKey struct {
	user user.ID
	room room.ID
	id   string
}

// NewStores returns an empty database.
func NewStores() *Stores {
	return &Stores{
		now:      time.Now,
		users:    map[user.ID]user.User{},
		hashes:   map[user.ID]string{},
		byName:   map[string]user.ID{},
		rooms:    map[room.ID]room.Room{},
		members:  map[room.ID]map[user.ID]membership{},
		messages: map[room.ID][]message.Message{},
		byClient: map[clientKey]message.Message{},
		sessions: map[string]user.Session{},
		invites:  map[string]room.Invite{},
	}
}

// Sessions returns the ports.SessionStore over s.
func (s *Stores) Sessions() *SessionStore { return &SessionStore{s} }

// Drop removes user u's row the way an operator's DELETE would in SQL:
// its sessions and memberships go with it (ON DELETE CASCADE), nothing
// else changes. Tests use it to check that an account that vanished
// behind the server's back stops authenticating.
func (s *Stores) Drop(u user.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.users[u]; ok {
		delete(s.byName, cur.Username.String())
		delete(s.users, u)
		delete(s.hashes, u)
	}
	s.dropSessionsAndMemberships(u)
}

// dropSessionsAndMemberships ends everything u is part of; callers hold
// s.mu.
func (s *Stores) dropSessionsAndMemberships(u user.ID) {
	for id, ss := range s.sessions {
		if ss.UserID == u {
			delete(s.sessions, id)
		}
	}
	for _, ms := range s.members {
		delete(ms, u)
	}
}

// Users returns the ports.UserStore over s.
func (s *Stores) Users() *UserStore { return &UserStore{s} }

// Rooms returns the ports.RoomStore over s.
func (s *Stores) Rooms() *RoomStore { return &RoomStore{s} }

// Members returns the ports.MemberStore over s.
func (s *Stores) Members() *MemberStore { return &MemberStore{s} }

// Messages returns the ports.MessageStore over s.
func (s *Stores) Messages() *MessageStore { return &MessageStore{s} }

// Reads returns the ports.ReadStore over s.
func (s *Stores) Reads() *ReadStore { return &ReadStore{s} }

// stamp returns t as the SQL stores keep times — in UTC, to the
// microsecond — or now when t is zero.
func (s *Stores) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// locked runs f under the mutex unless ctx is already done, so a cancelled
// caller gets its context error as it would from a database.
func locked[T any](ctx context.Context, s *Stores, f func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return f()
}

func errUserNotFound() error {
	return domain.Errorf(domain.NotFound, "user_not_found", "user not found")
}
func errRoomNotFound() error {
	return domain.Errorf(domain.NotFound, "room_not_found", "room not found")
}

// UserStore implements ports.UserStore.
type UserStore struct{ s *Stores }

func (us *UserStore) Create(ctx context.Context, u user.User, hash string) (user.User, error) {
	s := us.s
	return locked(ctx, s, func() (user.User, error) {
		if _, taken := s.byName[u.Username.String()]; taken {
			return user.User{}, domain.Errorf(domain.Conflict, "username_taken", "username is taken")
		}
		s.lastUser++
		u.ID = s.lastUser
		u.CreatedAt = s.stamp(u.CreatedAt)
		s.users[u.ID] = u
		s.hashes[u.ID] = hash
		s.byName[u.Username.String()] = u.ID
		return u, nil
	})
}

func (us *UserStore) ByID(ctx context.Context, id user.ID) (user.User, error) {
	return locked(ctx, us.s, func() (user.User, error) {
		u, ok := us.s.users[id]
		if !ok {
			return user.User{}, errUserNotFound()
		}
		return u, nil
	})
}

func (us *UserStore) ByUsername(ctx context.Context, name user.Username) (user.User, error) {
	return locked(ctx, us.s, func() (user.User, error) {
		id, ok := us.s.byName[name.String()]
		if !ok {
			return user.User{}, errUserNotFound()
		}
		return us.s.users[id], nil
	})
}

func (us *UserStore) Update(ctx context.Context, u user.User) (user.User, error) {
	return locked(ctx, us.s, func() (user.User, error) {
		cur, ok := us.s.users[u.ID]
		if !ok {
			return user.User{}, errUserNotFound()
		}
		cur.DisplayName, cur.Bio, cur.AvatarKey, cur.HideReceipts = u.DisplayName, u.Bio, u.AvatarKey, u.HideReceipts
		us.s.users[u.ID] = cur
		return cur, nil
	})
}

func (us *UserStore) Credentials(ctx context.Context, name user.Username) (user.Credentials, error) {
	return locked(ctx, us.s, func() (user.Credentials, error) {
		id, ok := us.s.byName[name.String()]
		if !ok {
			return user.Credentials{}, errUserNotFound()
		}
		return us.s.credentials(id), nil
	})
}

func (us *UserStore) CredentialsByID(ctx context.Context, u user.ID) (user.Credentials, error) {
	return locked(ctx, us.s, func() (user.Credentials, error) {
		if _, ok := us.s.users[u]; !ok {
			return user.Credentials{}, errUserNotFound()
		}
		return us.s.credentials(u), nil
	})
}

// credentials returns the credentials of stored user u; callers hold s.mu.
func (s *Stores) credentials(u user.ID) user.Credentials {
	return user.Credentials{UserID: u, Username: s.users[u].Username, Hash: s.hashes[u]}
}

func (us *UserStore) SetPassword(ctx context.Context, u user.ID, hash string) error {
	_, err := locked(ctx, us.s, func() (struct{}, error) {
		if _, ok := us.s.users[u]; !ok {
			return struct{}{}, errUserNotFound()
		}
		us.s.hashes[u] = hash
		return struct{}{}, nil
	})
	return err
}

// Erase forgets the account (the memory store keeps no tombstone row: no
// foreign key needs one) and renames its author on its messages.
func (us *UserStore) Erase(ctx context.Context, u user.ID) error {
	s := us.s
	_, err := locked(ctx, s, func() (struct{}, error) {
		cur, ok := s.users[u]
		if !ok {
			return struct{}{}, errUserNotFound()
		}
		delete(s.byName, cur.Username.String())
		delete(s.users, u)
		delete(s.hashes, u)
		s.dropSessionsAndMemberships(u)
		for r, ms := range s.messages {
			for i := range ms {
				if ms[i].UserID == u {
					ms[i].Username = user.DeletedName
				}
			}
			s.messages[r] = ms
		}
		for k, m := range s.byClient {
			if k.user == u {
				m.Username = user.DeletedName
				s.byClient[k] = m
			}
		}
		return struct{}{}, nil
	})
	return err
}

// RoomStore implements ports.RoomStore.
type RoomStore struct{ s *Stores }

func (rs *RoomStore) Create(ctx context.Context, r room.Room) (room.Room, error) {
	s := rs.s
	return locked(ctx, s, func() (room.Room, error) {
		if _, ok := s.users[r.OwnerID]; !ok {
			return room.Room{}, errUserNotFound()
		}
		s.lastRoom++
		r.ID = s.lastRoom
		r.CreatedAt = s.stamp(r.CreatedAt)
		s.rooms[r.ID] = r
		s.members[r.ID] = map[user.ID]membership{r.OwnerID: {joinedAt: r.CreatedAt}}
		return r, nil
	})
}

func (rs *RoomStore) ByID(ctx context.Context, id room.ID) (room.Room, error) {
	return locked(ctx, rs.s, func() (room.Room, error) {
		r, ok := rs.s.rooms[id]
		if !ok {
			return room.Room{}, errRoomNotFound()
		}
		return r, nil
	})
}

func (rs *RoomStore) Visible(ctx context.Context, u user.ID) ([]room.Listing, error) {
	return locked(ctx, rs.s, func() ([]room.Listing, error) {
		out := []room.Listing{}
		for id, r := range rs.s.rooms {
			if m, member := rs.s.members[id][u]; !r.IsPrivate || member {
				st := room.Standing{LastSeq: int64(len(rs.s.messages[id]))}
				if member {
					st = rs.s.standing(id, u, m)
				}
				out = append(out, room.Listing{Room: r, IsMember: member, Standing: st})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out, nil
	})
}

// Update changes a room under the mutex: nothing else changes it meanwhile.
func (rs *RoomStore) Update(ctx context.Context, id room.ID, change func(r *room.Room) error) (room.Room, error) {
	s := rs.s
	return locked(ctx, s, func() (room.Room, error) {
		r, ok := s.rooms[id]
		if !ok {
			return room.Room{}, errRoomNotFound()
		}
		next := r
		if err := change(&next); err != nil {
			return room.Room{}, err
		}
		if _, member := s.members[id][next.OwnerID]; next.OwnerID != r.OwnerID && !member {
			return room.Room{}, domain.Errorf(domain.NotFound, "not_a_member", "the new owner is not a member of this room")
		}
		next.ID, next.CreatedAt = r.ID, r.CreatedAt
		s.rooms[id] = next
		return next, nil
	})
}

// Delete removes the room, its members and messages and, when the stores
// keep attachments (Attachments), its files' rows.
func (rs *RoomStore) Delete(ctx context.Context, id room.ID) ([]string, error) {
	s := rs.s
	return locked(ctx, s, func() ([]string, error) {
		if _, ok := s.rooms[id]; !ok {
			return nil, errRoomNotFound()
		}
		delete(s.rooms, id)
		delete(s.members, id)
		delete(s.messages, id)
		for code, inv := range s.invites {
			if inv.RoomID == id {
				delete(s.invites, code)
			}
		}
		for k := range s.byClient {
			if k.room == id {
				delete(s.byClient, k)
			}
		}
		if s.files == nil {
			return nil, nil
		}
		return s.files.deleteRoom(id), nil
	})
}

// MemberStore implements ports.MemberStore.
type MemberStore struct{ s *Stores }

func (ms *MemberStore) Add(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	s := ms.s
	return locked(ctx, s, func() (bool, error) {
		if _, ok := s.rooms[r]; !ok {
			return false, errRoomNotFound()
		}
		if _, ok := s.users[u]; !ok {
			return false, errUserNotFound()
		}
		if _, ok := s.members[r][u]; ok {
			return false, nil
		}
		s.members[r][u] = membership{joinedAt: s.stamp(time.Time{})}
		return true, nil
	})
}

func (ms *MemberStore) Remove(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	return locked(ctx, ms.s, func() (bool, error) {
		if _, ok := ms.s.members[r][u]; !ok {
			return false, nil
		}
		if ms.s.rooms[r].OwnerID == u {
			return false, domain.Errorf(domain.Conflict, "owner_must_hand_over", "the room's owner must hand it over first")
		}
		delete(ms.s.members[r], u)
		return true, nil
	})
}

func (ms *MemberStore) IsMember(ctx context.Context, r room.ID, u user.ID) (bool, error) {
	return locked(ctx, ms.s, func() (bool, error) { _, ok := ms.s.members[r][u]; return ok, nil })
}

func (ms *MemberStore) Memberships(ctx context.Context, r room.ID) ([]room.Membership, error) {
	return locked(ctx, ms.s, func() ([]room.Membership, error) {
		out := make([]room.Membership, 0, len(ms.s.members[r]))
		for u, m := range ms.s.members[r] {
			out = append(out, room.Membership{UserID: u, JoinedAt: m.joinedAt})
		}
		return out, nil
	})
}

func (ms *MemberStore) Members(ctx context.Context, r room.ID) ([]user.User, error) {
	return locked(ctx, ms.s, func() ([]user.User, error) {
		out := make([]user.User, 0, len(ms.s.members[r]))
		for id := range ms.s.members[r] {
			out = append(out, ms.s.users[id])
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Username.String() < out[j].Username.String() })
		return out, nil
	})
}

// ReadStore implements ports.ReadStore: the pointers live on the
// memberships, as in SQL.
type ReadStore struct{ s *Stores }

type markResult struct {
	st    room.Standing
	moved bool
}

func (rd *ReadStore) MarkRead(ctx context.Context, r room.ID, u user.ID, seq int64) (room.Standing, bool, error) {
	s := rd.s
	res, err := locked(ctx, s, func() (markResult, error) {
		m, ok := s.members[r][u]
		if !ok {
			return markResult{}, errNotAMember()
		}
		next := min(seq, int64(len(s.messages[r])))
		moved := next > m.lastRead
		if moved {
			m.lastRead = next
			s.members[r][u] = m
		}
		return markResult{s.standing(r, u, m), moved}, nil
	})
	return res.st, res.moved, err
}

func (rd *ReadStore) Standings(ctx context.Context, u user.ID) (map[room.ID]room.Standing, error) {
	s := rd.s
	return locked(ctx, s, func() (map[room.ID]room.Standing, error) {
		out := map[room.ID]room.Standing{}
		for r, ms := range s.members {
			if m, ok := ms[u]; ok {
				out[r] = s.standing(r, u, m)
			}
		}
		return out, nil
	})
}

func (rd *ReadStore) Pointers(ctx context.Context, r room.ID) (map[user.ID]int64, error) {
	return locked(ctx, rd.s, func() (map[user.ID]int64, error) {
		out := make(map[user.ID]int64, len(rd.s.members[r]))
		for u, m := range rd.s.members[r] {
			out[u] = m.lastRead
		}
		return out, nil
	})
}

// standing is where member u (whose row is m) stands in room r: the
// messages after the pointer, less u's own. Callers hold s.mu.
func (s *Stores) standing(r room.ID, u user.ID, m membership) room.Standing {
	all := s.messages[r]
	st := room.Standing{LastSeq: int64(len(all)), LastReadSeq: m.lastRead}
	// Seqs are 1..n without gaps, so the messages after seq k start at
	// index k.
	for _, msg := range all[m.lastRead:] {
		if msg.UserID != u {
			st.Unread++
		}
	}
	return st
}

func errNotAMember() error {
	return domain.Errorf(domain.NotFound, "not_a_member", "not a member of this room")
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
			if first, ok := s.byClient[key]; ok {
				if first.Content != m.Content {
					return appended{}, domain.Errorf(domain.Conflict, "client_id_reused", "client_id was already used for another message in this room")
				}
				return appended{first, false}, nil
			}
		}
		s.lastMsg++
		m.ID = s.lastMsg
		m.Seq = int64(len(s.messages[m.RoomID])) + 1
		m.CreatedAt = s.stamp(m.CreatedAt)
		s.messages[m.RoomID] = append(s.messages[m.RoomID], m)
		if m.ClientID != "" {
			s.byClient[key] = m
		}
		return appended{m, true}, nil
	})
	return a.m, a.created, err
}

func (mst *MessageStore) Before(ctx context.Context, r room.ID, before message.ID, limit int) ([]message.Message, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	return locked(ctx, mst.s, func() ([]message.Message, error) {
		all := mst.s.messages[r]
		end := len(all)
		if before > 0 {
			end = sort.Search(len(all), func(i int) bool { return all[i].ID >= before })
		}
		out := slices.Clone(all[max(end-limit, 0):end])
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
	return locked(ctx, mst.s, func() ([]message.Message, error) {
		all := mst.s.messages[r]
		// Seqs are 1..n without gaps, so seq k sits at index k-1.
		start := int(min(max(afterSeq, 0), int64(len(all))))
		return slices.Clone(all[start:min(start+limit, len(all))]), nil
	})
}

func (mst *MessageStore) LastSeqs(ctx context.Context, rooms []room.ID) (map[room.ID]int64, error) {
	return locked(ctx, mst.s, func() (map[room.ID]int64, error) {
		out := make(map[room.ID]int64, len(rooms))
		for _, r := range rooms {
			if _, ok := mst.s.rooms[r]; ok {
				out[r] = int64(len(mst.s.messages[r]))
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

// SessionStore implements ports.SessionStore.
type SessionStore struct{ s *Stores }

func (ss *SessionStore) Create(ctx context.Context, sess user.Session) error {
	s := ss.s
	_, err := locked(ctx, s, func() (struct{}, error) {
		if _, ok := s.users[sess.UserID]; !ok {
			return struct{}{}, errUserNotFound()
		}
		sess.CreatedAt, sess.ExpiresAt = s.stamp(sess.CreatedAt), sess.ExpiresAt.UTC().Truncate(time.Microsecond)
		for id, old := range s.sessions {
			if old.UserID == sess.UserID && !sess.CreatedAt.Before(old.ExpiresAt) {
				delete(s.sessions, id)
			}
		}
		s.sessions[sess.ID] = sess
		return struct{}{}, nil
	})
	return err
}

func (ss *SessionStore) ByID(ctx context.Context, id string) (user.Session, error) {
	return locked(ctx, ss.s, func() (user.Session, error) {
		sess, ok := ss.s.sessions[id]
		if !ok {
			return user.Session{}, errSessionNotFound()
		}
		return sess, nil
	})
}

func (ss *SessionStore) Delete(ctx context.Context, u user.ID, id string) (bool, error) {
	return locked(ctx, ss.s, func() (bool, error) {
		sess, ok := ss.s.sessions[id]
		if !ok || sess.UserID != u {
			return false, nil
		}
		delete(ss.s.sessions, id)
		return true, nil
	})
}

func (ss *SessionStore) DeleteAll(ctx context.Context, u user.ID, keep string) ([]user.Session, error) {
	return locked(ctx, ss.s, func() ([]user.Session, error) {
		var ended []user.Session
		for id, sess := range ss.s.sessions {
			if sess.UserID == u && id != keep {
				delete(ss.s.sessions, id)
				ended = append(ended, sess)
			}
		}
		sort.Slice(ended, func(i, j int) bool { return ended[i].ID < ended[j].ID })
		return ended, nil
	})
}

func errSessionNotFound() error {
	return domain.Errorf(domain.NotFound, "session_not_found", "session not found")
}
