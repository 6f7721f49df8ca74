package memory

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/push"
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
	mu        sync.Mutex
	now       func() time.Time
	users     map[user.ID]user.User
	hashes    map[user.ID]string // password hashes, apart from the users as in SQL's reads
	byName    map[string]user.ID
	rooms     map[room.ID]room.Room
	direct    map[string]room.ID // direct conversations by key
	members   map[room.ID]map[user.ID]membership
	logs      map[room.ID]*roomLog // each room's stream of messages and changes
	byID      map[message.ID]*storedMessage
	byClient  map[clientKey]message.ID
	sessions  map[string]user.Session
	invites   map[string]room.Invite // by code
	scheduled map[message.ScheduledID]message.Scheduled
	lastUser  user.ID
	lastRoom  room.ID
	lastMsg   message.ID
	lastSched message.ScheduledID
	files     *AttachmentStore // rows deleted with their room; nil: none kept here
	pushSubs  map[push.SubscriptionID]push.Subscription
	lastPush  push.SubscriptionID
}

// membership is one member's row: when the member joined and the
// member's read pointer, which starts at 0 and goes with the membership.
type membership struct {
	joinedAt time.Time
	lastRead int64
	muted    bool // no pushes from the room (MuteStore)
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
		now:       time.Now,
		users:     map[user.ID]user.User{},
		hashes:    map[user.ID]string{},
		byName:    map[string]user.ID{},
		rooms:     map[room.ID]room.Room{},
		direct:    map[string]room.ID{},
		members:   map[room.ID]map[user.ID]membership{},
		logs:      map[room.ID]*roomLog{},
		byID:      map[message.ID]*storedMessage{},
		byClient:  map[clientKey]message.ID{},
		sessions:  map[string]user.Session{},
		invites:   map[string]room.Invite{},
		scheduled: map[message.ScheduledID]message.Scheduled{},
		pushSubs:  map[push.SubscriptionID]push.Subscription{},
	}
}

// Sessions returns the ports.SessionStore over s.
func (s *Stores) Sessions() *SessionStore { return &SessionStore{s} }

// Drop removes user u's row the way an operator's DELETE would in SQL:
// its sessions, memberships and scheduled messages go with it (ON DELETE
// CASCADE), nothing else changes. Tests use it to check that an account that vanished
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
	s.dropScheduled(u)
}

// dropScheduled deletes u's scheduled messages; callers hold s.mu.
func (s *Stores) dropScheduled(u user.ID) {
	for id, sc := range s.scheduled {
		if sc.UserID == u {
			delete(s.scheduled, id)
		}
	}
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
	for id, sub := range s.pushSubs {
		if sub.UserID == u {
			delete(s.pushSubs, id)
		}
	}
}

// Users returns the ports.UserStore over s.
func (s *Stores) Users() *UserStore { return &UserStore{s} }

// Rooms returns the ports.RoomStore over s.
func (s *Stores) Rooms() *RoomStore { return &RoomStore{s} }

// Members returns the ports.MemberStore over s.
func (s *Stores) Members() *MemberStore { return &MemberStore{s} }

// Messages returns the ports.MessageStore over s. The purge jobs of
// deleted messages' files go to the queue the files' store was made with
// (Attachments): files are only ever attached through it.
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
// foreign key needs one), renames its author on its messages and changes,
// and drops its scheduled messages.
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
		for _, sm := range s.byID {
			if sm.m.UserID == u {
				sm.m.Username = user.DeletedName
			}
		}
		for _, log := range s.logs {
			for i := range log.changes {
				if log.changes[i].UserID == u {
					log.changes[i].Username = user.DeletedName
				}
			}
		}
		s.dropScheduled(u)
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
				st := room.Standing{LastSeq: rs.s.log(id).lastSeq}
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
		next.ID, next.CreatedAt, next.Kind = r.ID, r.CreatedAt, r.Kind
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
		for _, sm := range s.log(id).msgs {
			delete(s.byID, sm.m.ID)
		}
		delete(s.logs, id)
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
		for key, r := range s.direct {
			if r == id {
				delete(s.direct, key)
			}
		}
		for sid, sc := range s.scheduled {
			if sc.RoomID == id {
				delete(s.scheduled, sid)
			}
		}
		if s.files == nil {
			return nil, nil
		}
		return s.files.deleteRoom(id), nil
	})
}

type opened struct {
	r       room.Room
	created bool
}

// OpenDirect finds or creates the conversation under the mutex: one
// caller at a time, so exactly one creates it.
func (rs *RoomStore) OpenDirect(ctx context.Context, key string, r room.Room, members []user.ID) (room.Room, bool, error) {
	s := rs.s
	o, err := locked(ctx, s, func() (opened, error) {
		if id, ok := s.direct[key]; ok {
			return opened{s.rooms[id], false}, nil
		}
		all := append([]user.ID{r.OwnerID}, members...)
		for _, u := range all {
			if _, ok := s.users[u]; !ok {
				return opened{}, errUserNotFound()
			}
		}
		s.lastRoom++
		r.ID = s.lastRoom
		r.CreatedAt = s.stamp(r.CreatedAt)
		s.rooms[r.ID] = r
		s.members[r.ID] = map[user.ID]membership{}
		for _, u := range all {
			s.members[r.ID][u] = membership{joinedAt: r.CreatedAt}
		}
		s.direct[key] = r.ID
		return opened{r, true}, nil
	})
	return o.r, o.created, err
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
		next := min(seq, s.log(r).lastSeq)
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
// messages after the pointer, less u's own, and those of them that
// mention u and are not deleted. Callers hold s.mu.
func (s *Stores) standing(r room.ID, u user.ID, m membership) room.Standing {
	log := s.log(r)
	st := room.Standing{LastSeq: log.lastSeq, LastReadSeq: m.lastRead}
	for _, sm := range log.msgs[log.firstAfter(m.lastRead):] {
		if sm.m.UserID == u {
			continue
		}
		st.Unread++
		if !sm.m.Deleted && slices.Contains(sm.m.Mentions, u) {
			st.Mentions++
		}
	}
	return st
}

func errNotAMember() error {
	return domain.Errorf(domain.NotFound, "not_a_member", "not a member of this room")
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

func (ms *MemberStore) RoomsOf(ctx context.Context, u user.ID) ([]room.ID, error) {
	return locked(ctx, ms.s, func() ([]room.ID, error) {
		var out []room.ID
		for r, m := range ms.s.members {
			if _, ok := m[u]; ok {
				out = append(out, r)
			}
		}
		slices.Sort(out)
		return out, nil
	})
}

var _ ports.RoleStore = (*UserStore)(nil)

func (us *UserStore) SetAdmin(ctx context.Context, u user.ID, admin bool) (user.User, error) {
	return us.set(ctx, u, func(x *user.User) { x.Admin = admin })
}

func (us *UserStore) Suspend(ctx context.Context, u user.ID, sus user.Suspension) (user.User, error) {
	if sus.Active() {
		sus.At = sus.At.UTC().Truncate(time.Microsecond)
	}
	return us.set(ctx, u, func(x *user.User) { x.Suspension = sus })
}

func (us *UserStore) set(ctx context.Context, u user.ID, change func(*user.User)) (user.User, error) {
	return locked(ctx, us.s, func() (user.User, error) {
		cur, ok := us.s.users[u]
		if !ok {
			return user.User{}, errUserNotFound()
		}
		change(&cur)
		us.s.users[u] = cur
		return cur, nil
	})
}

func (us *UserStore) List(ctx context.Context, q user.ListQuery) ([]user.User, error) {
	return locked(ctx, us.s, func() ([]user.User, error) {
		search := asciiLower(q.Search)
		var out []user.User
		for _, u := range us.s.users {
			if u.ID <= q.After {
				continue
			}
			if search != "" && !strings.Contains(u.Username.String(), search) && !strings.Contains(asciiLower(u.DisplayName), search) {
				continue
			}
			out = append(out, u)
		}
		slices.SortFunc(out, func(a, b user.User) int { return cmp.Compare(a.ID, b.ID) })
		if len(out) > q.Limit {
			out = out[:q.Limit]
		}
		return out, nil
	})
}

// asciiLower folds ASCII letters only, as SQLite's LOWER does.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
