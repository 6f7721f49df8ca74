package application

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"chat/domain"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// Sessions, and what a request pays for them.
//
// Every access token names its session (the sid claim), and a session is
// a row of the SessionStore. Authenticate honours a token only while its
// row exists, but asks the store once per session per instance and
// sessionCheckTTL at most: the SessionCache (Redis with client-side
// caching in scale-out, a map in process) answers the other requests from
// this instance's memory. Ending a session deletes its row and records the
// end in the cache, which Redis pushes to every instance's copy at once;
// its sockets are told through the bus. A row that vanishes behind the
// server's back (an operator's DELETE) is noticed within sessionCheckTTL.
const (
	sessionCheckTTL = time.Minute
	// TicketTTL is how long a WebSocket ticket may wait to be used.
	TicketTTL = 30 * time.Second
	ticketMax = 128 // longest ticket looked up; ours are 26 characters
)

var (
	errSessionEnded = domain.Errorf(domain.Unauthenticated, "session_ended", "this session has ended: sign in again")
	errBadTicket    = domain.Errorf(domain.Unauthenticated, "invalid_ticket", "the ticket is unknown, expired or already used")
	errWrongPass    = domain.Errorf(domain.Forbidden, "wrong_password", "the current password is not correct")
)

// Sessions implements user.Sessions: logout, password change, account
// deletion and WebSocket tickets.
type Sessions struct {
	d     Deps
	users *Users
	rooms *Rooms
}

var _ user.Sessions = (*Sessions)(nil)

// startSession records a new session of u and issues its token. The
// session is cached as live here at once, so the first request needs no
// store lookup.
func (s *Users) startSession(ctx context.Context, u user.ID) (user.Token, error) {
	sid := rand.Text()
	tok, ttl, err := s.d.Tokens.Issue(ctx, u, sid)
	if err != nil {
		return user.Token{}, domain.Wrap(domain.Internal, "", "issue token", err)
	}
	now := s.d.Clock.Now()
	if err := s.d.Sessions.Create(ctx, user.Session{ID: sid, UserID: u, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return user.Token{}, err
	}
	if err := s.d.SessionCache.Live(ctx, sid, u, sessionCheckTTL); err != nil {
		s.d.Logger.WarnContext(ctx, "session cache live", "user_id", int64(u), "err", err)
	}
	return user.Token{AccessToken: tok, ExpiresIn: ttl}, nil
}

// check verifies that c's session lasts and its user still exists and is
// not suspended.
func (s *Users) check(ctx context.Context, c user.Claims) error {
	if err := s.checkSession(ctx, c); err != nil {
		return err
	}
	p, err := s.Profile(ctx, c.UserID)
	if err != nil {
		if domain.KindOf(err) == domain.NotFound {
			return domain.Errorf(domain.Unauthenticated, "invalid_token", "invalid token")
		}
		return err
	}
	if p.Suspended() {
		return errSuspendedToken
	}
	return nil
}

// checkSession answers from the cache when it can; a miss asks the store
// and caches the answer, an end included (so a revoked token replayed in a
// loop costs one query, not one per request).
func (s *Users) checkSession(ctx context.Context, c user.Claims) error {
	if c.SessionID == "" {
		return errSessionEnded
	}
	st, found, err := s.d.SessionCache.Get(ctx, c.SessionID)
	switch {
	case err == nil && found:
		if st.Ended || st.UserID != c.UserID {
			return errSessionEnded
		}
		return nil
	case err != nil && !errors.Is(err, context.Canceled):
		s.d.Logger.WarnContext(ctx, "session cache get", "user_id", int64(c.UserID), "err", err)
	}
	sess, err := s.d.Sessions.ByID(ctx, c.SessionID)
	if domain.KindOf(err) == domain.NotFound || err == nil && sess.UserID != c.UserID {
		s.endCached(ctx, c.SessionID, c.ExpiresAt)
		return errSessionEnded
	}
	if err != nil {
		return err
	}
	if err := s.d.SessionCache.Live(ctx, c.SessionID, c.UserID, sessionCheckTTL); err != nil && !errors.Is(err, context.Canceled) {
		s.d.Logger.WarnContext(ctx, "session cache live", "user_id", int64(c.UserID), "err", err)
	}
	return nil
}

// endCached records a session's end in the cache until its token would
// have expired anyway. A failure is logged: the row is gone, and the
// instances that cached the session as live drop it within
// sessionCheckTTL.
func (s *Users) endCached(ctx context.Context, sid string, expires time.Time) {
	ttl := max(expires.Sub(s.d.Clock.Now()), time.Second)
	if err := s.d.SessionCache.End(context.WithoutCancel(ctx), sid, ttl); err != nil {
		s.d.Logger.ErrorContext(ctx, "session cache end", "err", err)
	}
}

// Check verifies that c's session lasts and its user still exists.
func (s *Sessions) Check(ctx context.Context, c user.Claims) error {
	if !s.d.Clock.Now().Before(c.ExpiresAt) {
		return domain.Errorf(domain.Unauthenticated, "token_expired", "token expired")
	}
	return s.users.check(ctx, c)
}

// Logout ends c's session.
func (s *Sessions) Logout(ctx context.Context, c user.Claims) error {
	if _, err := s.d.Sessions.Delete(ctx, c.UserID, c.SessionID); err != nil {
		return err
	}
	return s.end(ctx, c.UserID, []user.Session{{ID: c.SessionID, UserID: c.UserID, ExpiresAt: c.ExpiresAt}}, nil, false)
}

// LogoutAll ends every session of the actor.
func (s *Sessions) LogoutAll(ctx context.Context, actor user.ID) error {
	ended, err := s.d.Sessions.DeleteAll(ctx, actor, "")
	if err != nil {
		return err
	}
	return s.end(ctx, actor, ended, nil, false)
}

// end makes ended sessions of u end everywhere: the cache refuses their
// tokens on every instance, and every instance closes their sockets (4401,
// or for a suspension the suspension's code) in each room of rooms (nil:
// the rooms u is a member of).
func (s *Sessions) end(ctx context.Context, u user.ID, ended []user.Session, rooms []room.ID, suspended bool) error {
	if len(ended) == 0 {
		return nil
	}
	for _, sess := range ended {
		s.users.endCached(ctx, sess.ID, sess.ExpiresAt)
	}
	if rooms == nil {
		var err error
		if rooms, err = s.memberRooms(ctx, u); err != nil {
			// The sessions are over; their sockets still close when their
			// tokens expire, and on the next session check (ws gateway).
			s.d.Logger.WarnContext(ctx, "list rooms to close ended sessions' sockets", "user_id", int64(u), "err", err)
			return nil
		}
	}
	// Everyone reaches the user's streams; each room, its room sockets.
	for _, r := range append(rooms[:len(rooms):len(rooms)], ports.Everyone) {
		for _, sess := range ended {
			publish(ctx, s.d, ports.Event{RoomID: r, Payload: ports.SessionEnded{UserID: u, Session: sess.ID, Suspended: suspended}})
		}
	}
	return nil
}

// memberRooms lists the rooms u belongs to.
func (s *Sessions) memberRooms(ctx context.Context, u user.ID) ([]room.ID, error) {
	ls, err := s.d.Rooms.Visible(ctx, u)
	if err != nil {
		return nil, err
	}
	ids := make([]room.ID, 0, len(ls))
	for _, l := range ls {
		if l.IsMember {
			ids = append(ids, l.ID)
		}
	}
	return ids, nil
}

// verifyPassword checks u's password against the credentials in the
// account store.
func (s *Sessions) verifyPassword(ctx context.Context, u user.ID, password string) error {
	c, err := s.d.Accounts.CredentialsByID(ctx, u)
	if err != nil {
		return err
	}
	// A stolen token must not make a password oracle: the same backoff as
	// a login, and the same bound on hashing.
	guard := s.users.lim.loginGuard(c.Username.String(), domain.ClientAddrOf(ctx).Key())
	if err := guard.check(ctx); err != nil {
		return err
	}
	ok, err := s.users.passwords.Compare(ctx, password, c.Hash)
	if err != nil {
		return err
	}
	if !ok {
		guard.failed(ctx)
		return errWrongPass
	}
	guard.succeeded(ctx)
	return nil
}

// ChangePassword sets a new password and ends every other session.
func (s *Sessions) ChangePassword(ctx context.Context, c user.Claims, current, next string) error {
	if err := user.ValidatePassword(next); err != nil {
		return err
	}
	if err := s.verifyPassword(ctx, c.UserID, current); err != nil {
		return err
	}
	return s.replacePassword(ctx, c.UserID, next, c.SessionID)
}

// replacePassword stores next (validated) as u's password and ends every
// session of u but keep ("": all of them) everywhere.
func (s *Sessions) replacePassword(ctx context.Context, u user.ID, next, keep string) error {
	hash, err := s.users.passwords.Hash(ctx, next)
	if err != nil {
		return err
	}
	if err := s.d.Accounts.SetPassword(ctx, u, hash); err != nil {
		return err
	}
	ended, err := s.d.Sessions.DeleteAll(ctx, u, keep)
	if err != nil {
		return err
	}
	return s.end(ctx, u, ended, nil, false)
}

// DeleteAccount ends the actor's sessions (their sockets close with 4401),
// hands over or deletes the rooms the actor owns, erases the account and
// its avatar, and tells every room the actor was in. A failure after the
// sessions ended leaves the account signed out but intact: signing in
// again and retrying finishes the job.
func (s *Sessions) DeleteAccount(ctx context.Context, actor user.ID, password string) error {
	if err := s.verifyPassword(ctx, actor, password); err != nil {
		return err
	}
	acct, err := s.d.Users.ByID(ctx, actor)
	if err != nil {
		return err
	}
	ls, err := s.d.Rooms.Visible(ctx, actor)
	if err != nil {
		return err
	}
	var rooms, owned []room.ID
	for _, l := range ls {
		if l.IsMember {
			rooms = append(rooms, l.ID)
		}
		if l.OwnerID == actor {
			owned = append(owned, l.ID)
		}
	}
	ended, err := s.d.Sessions.DeleteAll(ctx, actor, "")
	if err != nil {
		return err
	}
	if err := s.end(ctx, actor, ended, rooms, false); err != nil {
		return err
	}
	for _, r := range owned {
		if _, err := s.rooms.handOver(ctx, r, actor); err != nil {
			return err
		}
	}
	if err := s.d.Accounts.Erase(ctx, actor); err != nil {
		return err
	}
	s.users.invalidate(ctx, actor)
	if acct.AvatarKey != "" {
		s.rooms.deleteBlobs(ctx, acct.AvatarKey)
	}
	for _, r := range rooms {
		s.rooms.live.forget(r, actor)
		publish(ctx, s.d, memberRemovedEvent(r, actor, acct.Username.String(), ports.AccountDeleted))
	}
	return nil
}

// IssueTicket stores a one-time ticket standing for c.
func (s *Sessions) IssueTicket(ctx context.Context, c user.Claims) (user.Ticket, error) {
	t := rand.Text()
	if err := s.d.Tickets.Put(ctx, t, c, TicketTTL); err != nil {
		return user.Ticket{}, err
	}
	return user.Ticket{Value: t, ExpiresIn: TicketTTL}, nil
}

// RedeemTicket uses a ticket up and re-checks what it stands for: a ticket
// never outlives its session or its token.
func (s *Sessions) RedeemTicket(ctx context.Context, ticket string) (user.Claims, error) {
	if ticket == "" || len(ticket) > ticketMax {
		return user.Claims{}, errBadTicket
	}
	c, err := s.d.Tickets.Take(ctx, ticket)
	if domain.KindOf(err) == domain.NotFound {
		return user.Claims{}, errBadTicket
	}
	if err != nil {
		return user.Claims{}, err
	}
	if err := s.Check(ctx, c); err != nil {
		return user.Claims{}, err
	}
	return c, nil
}
