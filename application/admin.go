package application

import (
	"context"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// Administration is every use case of administrators: the accounts (and
// the operator's commands), any room and any message.
type Administration interface {
	user.Admin
	room.Moderation
	message.Moderation
}

// Admin implements Administration. Whoever calls with an actor must be a
// live administrator — the store's word, read on every call rather than
// the profile cache's, so a revoked role or a suspension takes effect at
// once — within the administrators' rate (Limits.Admin); everyone else is
// refused with Forbidden "not_admin" before anything else is looked at.
// What an administrator does to a room, a member or a message has the
// very effects of the owner's or the author's doing it: the same store
// calls and the same events.
type Admin struct {
	d        Deps
	users    *Users
	rooms    *Rooms
	sessions *Sessions
}

var _ Administration = (*Admin)(nil)

var (
	errNotAdmin    = domain.Errorf(domain.Forbidden, "not_admin", "only an administrator may do this")
	errNoUser      = domain.Errorf(domain.NotFound, "user_not_found", "user not found")
	errAdminOff    = domain.Errorf(domain.Unavailable, "admin_unavailable", "administration is not configured")
	errSuspendSelf = domain.Errorf(domain.Invalid, "suspend_self", "an administrator cannot suspend their own account")
	errSuspended   = domain.Errorf(domain.Forbidden, "account_suspended", "this account is suspended")
	// errSuspendedToken refuses a token of a suspended account (whose
	// sessions were ended, unless one started as it was suspended).
	errSuspendedToken = domain.Errorf(domain.Unauthenticated, "account_suspended", "this account is suspended")
)

// Authorize refuses anyone but a live administrator, uncharged.
func (a *Admin) Authorize(ctx context.Context, actor user.ID) error {
	_, err := a.admin(ctx, actor)
	return err
}

// admin returns the actor's account when it is a live administrator.
func (a *Admin) admin(ctx context.Context, actor user.ID) (user.User, error) {
	if a.d.Roles == nil {
		return user.User{}, errAdminOff
	}
	u, err := a.d.Users.ByID(ctx, actor)
	switch {
	case domain.KindOf(err) == domain.NotFound:
		return user.User{}, errNotAdmin
	case err != nil:
		return user.User{}, err
	case !u.Admin || u.Suspended():
		return user.User{}, errNotAdmin
	}
	return u, nil
}

// authorize returns the actor's account when it is a live administrator
// within its rate.
func (a *Admin) authorize(ctx context.Context, actor user.ID) (user.User, error) {
	u, err := a.admin(ctx, actor)
	if err != nil {
		return user.User{}, err
	}
	if err := a.users.lim.take(ctx, userKey("admin", actor), a.users.lim.cfg.Admin, "administrator requests"); err != nil {
		return user.User{}, err
	}
	return u, nil
}

// named finds the account of username; NotFound "user_not_found".
func (a *Admin) named(ctx context.Context, username string) (user.User, error) {
	name, err := user.NewUsername(username)
	if err != nil {
		return user.User{}, errNoUser
	}
	return found(a.d.Users.ByUsername(ctx, name))
}

// found maps a store's NotFound to "user_not_found".
func found(u user.User, err error) (user.User, error) {
	if domain.KindOf(err) == domain.NotFound {
		return user.User{}, errNoUser
	}
	return u, err
}

// SetAdmin grants or revokes the role (the operator's command).
func (a *Admin) SetAdmin(ctx context.Context, username string, admin bool) (user.User, error) {
	if a.d.Roles == nil {
		return user.User{}, errAdminOff
	}
	u, err := a.named(ctx, username)
	if err != nil {
		return user.User{}, err
	}
	u, err = found(a.d.Roles.SetAdmin(ctx, u.ID, admin))
	if err != nil {
		return user.User{}, err
	}
	a.users.invalidate(ctx, u.ID)
	return u, nil
}

// CreateUser registers an account for the operator: the same checks as a
// registration, without its rate (the operator is not a client).
func (a *Admin) CreateUser(ctx context.Context, username, password string, admin bool) (user.User, error) {
	name, err := user.NewUsername(username)
	if err != nil {
		return user.User{}, err
	}
	if err := user.ValidatePassword(password); err != nil {
		return user.User{}, err
	}
	hash, err := a.users.passwords.Hash(ctx, password)
	if err != nil {
		return user.User{}, err
	}
	u, err := user.New(name, "", a.d.Clock.Now())
	if err != nil {
		return user.User{}, err
	}
	u.Admin = admin
	u, err = a.d.Users.Create(ctx, u, hash)
	if domain.KindOf(err) == domain.Conflict {
		return user.User{}, domain.Errorf(domain.Conflict, "username_taken", "username %q is taken", name.String())
	}
	return u, err
}

// ResetPassword sets a new password and ends every session of the
// account, as a password change does for the other sessions.
func (a *Admin) ResetPassword(ctx context.Context, username, password string) error {
	if err := user.ValidatePassword(password); err != nil {
		return err
	}
	u, err := a.named(ctx, username)
	if err != nil {
		return err
	}
	return a.sessions.replacePassword(ctx, u.ID, password, "")
}

// Users lists accounts. The query is checked after the actor, so nobody
// but an administrator learns anything, not even what a page may be.
func (a *Admin) Users(ctx context.Context, actor user.ID, q user.ListQuery) ([]user.User, error) {
	if _, err := a.authorize(ctx, actor); err != nil {
		return nil, err
	}
	q, err := user.NewListQuery(q.Search, q.After, q.Limit)
	if err != nil {
		return nil, err
	}
	return a.d.Roles.List(ctx, q)
}

// Account returns one account as stored.
func (a *Admin) Account(ctx context.Context, actor, id user.ID) (user.User, error) {
	if _, err := a.authorize(ctx, actor); err != nil {
		return user.User{}, err
	}
	return found(a.d.Users.ByID(ctx, id))
}

// Suspend records the suspension, then ends every session of the account:
// the session cache refuses its tokens on every instance and every socket
// of it closes (CloseSuspended). A login racing the suspension may start a
// session after the sessions were ended: its token is refused all the
// same, as the profile the session check reads is suspended.
func (a *Admin) Suspend(ctx context.Context, actor, id user.ID, reason string) (user.User, error) {
	if _, err := a.authorize(ctx, actor); err != nil {
		return user.User{}, err
	}
	if id == actor {
		return user.User{}, errSuspendSelf
	}
	sus, err := user.NewSuspension(reason, a.d.Clock.Now())
	if err != nil {
		return user.User{}, err
	}
	u, err := found(a.d.Users.ByID(ctx, id))
	if err != nil {
		return user.User{}, err
	}
	if !u.Suspended() {
		if u, err = found(a.d.Roles.Suspend(ctx, id, sus)); err != nil {
			return user.User{}, err
		}
		a.users.invalidate(ctx, id)
	}
	ended, err := a.d.Sessions.DeleteAll(ctx, id, "")
	if err != nil {
		return user.User{}, err
	}
	return u, a.sessions.end(ctx, id, ended, nil, true)
}

// Unsuspend lifts the suspension; the account signs in again.
func (a *Admin) Unsuspend(ctx context.Context, actor, id user.ID) (user.User, error) {
	if _, err := a.authorize(ctx, actor); err != nil {
		return user.User{}, err
	}
	u, err := found(a.d.Users.ByID(ctx, id))
	if err != nil || !u.Suspended() {
		return u, err
	}
	if u, err = found(a.d.Roles.Suspend(ctx, id, user.Suspension{})); err != nil {
		return user.User{}, err
	}
	a.users.invalidate(ctx, id)
	return u, nil
}

// DeleteMessage deletes a message of any room: the store's Delete (the
// tombstone, the room's next seq, the files' purge job in its
// transaction), then the change event, as the author's delete.
func (a *Admin) DeleteMessage(ctx context.Context, actor user.ID, roomID room.ID, id message.ID) (message.Change, error) {
	u, err := a.authorize(ctx, actor)
	if err != nil {
		return message.Change{}, err
	}
	if _, err := a.rooms.roomByID(ctx, roomID); err != nil {
		return message.Change{}, err
	}
	ch, err := a.d.Messages.Delete(ctx, message.Change{
		Kind: message.Deleted, RoomID: roomID, MessageID: id, UserID: actor, Username: u.Username.String(), At: a.d.Clock.Now(),
	}, func(message.Message) error { return nil })
	if err != nil {
		return message.Change{}, err
	}
	publish(ctx, a.d, changeEvent(ch))
	return ch, nil
}

// DeleteRoom deletes any room as its owner's Delete does.
func (a *Admin) DeleteRoom(ctx context.Context, actor user.ID, id room.ID) error {
	if _, err := a.authorize(ctx, actor); err != nil {
		return err
	}
	return a.rooms.delete(ctx, id)
}

// RemoveMember removes a member of any room; the owner hands the room to
// its heir first, as when an owner leaves (alone, the room is deleted).
// Direct conversations keep their people: delete the conversation instead.
func (a *Admin) RemoveMember(ctx context.Context, actor user.ID, id room.ID, u user.ID) error {
	if _, err := a.authorize(ctx, actor); err != nil {
		return err
	}
	for range handOverTries {
		r, err := a.rooms.roomByID(ctx, id)
		if err != nil {
			return err
		}
		if r.Kind == room.Direct {
			return room.ErrDirect()
		}
		if r.OwnerID == u {
			deleted, err := a.rooms.handOver(ctx, id, u)
			if err != nil || deleted {
				return err
			}
		}
		err = a.rooms.remove(ctx, id, u, ports.Removed, "that user is not a member of this room")
		if domain.CodeOf(err) != "owner_must_hand_over" {
			return err
		}
		// The room was handed to u meanwhile: hand it on.
	}
	return errRoomBusy
}
