package application

import (
	"context"
	"errors"
	"strconv"
	"time"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// Messages implements message.Service.
type Messages struct {
	d     Deps
	users *Users
	rooms *Rooms
	lim   *limiter
	push  *Pushes // queues the pushes of stored messages
}

var _ message.Service = (*Messages)(nil)

// now is the clock in microseconds: what PostgreSQL keeps, so live and
// replayed copies of a time match.
func (s *Messages) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// Send validates, stores, and only after the commit publishes a message.
func (s *Messages) Send(ctx context.Context, actor user.ID, roomID room.ID, content, clientID string) (message.Message, error) {
	m, _, err := s.SendOnce(ctx, actor, roomID, content, clientID)
	return m, err
}

// SendOnce is Send, reporting whether the message was stored by this call.
func (s *Messages) SendOnce(ctx context.Context, actor user.ID, roomID room.ID, content, clientID string) (message.Message, bool, error) {
	m, created, _, err := s.Compose(ctx, actor, roomID, message.Draft{Content: content, ClientID: clientID})
	return m, created, err
}

// Compose sends a message with its reply, files and mentions, or schedules
// it when d.SendAt is set.
func (s *Messages) Compose(ctx context.Context, actor user.ID, roomID room.ID, d message.Draft) (message.Message, bool, message.Scheduled, error) {
	c, err := message.NewContent(d.Content)
	if err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	if err := message.ValidateClientID(d.ClientID); err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	if err := checkDraft(d); err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	if !d.SendAt.IsZero() {
		sc, err := s.schedule(ctx, actor, roomID, c, d)
		return message.Message{}, false, sc, err
	}
	if err := s.rooms.authorizeLive(ctx, actor, roomID); err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	// One bucket per user, whichever socket, instance or REST call sends.
	if err := s.chargeSend(ctx, actor); err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	m, created, err := s.store(ctx, actor, roomID, c.String(), d.ClientID, d.ReplyTo, d.Files)
	return m, created, message.Scheduled{}, err
}

func checkDraft(d message.Draft) error {
	switch {
	case d.ReplyTo < 0:
		return domain.Errorf(domain.Invalid, "invalid_reply_to", "reply_to must be a message id")
	case len(d.Files) > message.FilesMax:
		return domain.Errorf(domain.Invalid, "too_many_files", "a message holds at most %d files", message.FilesMax)
	case !d.SendAt.IsZero() && len(d.Files) > 0:
		return domain.Errorf(domain.Invalid, "invalid_send_at", "files cannot be scheduled: send them now")
	}
	seen := make(map[attachment.ID]bool, len(d.Files))
	for _, f := range d.Files {
		if f <= 0 || seen[f] {
			return domain.Errorf(domain.Invalid, "invalid_file_ids", "file_ids must be distinct file ids")
		}
		seen[f] = true
	}
	return nil
}

func (s *Messages) chargeSend(ctx context.Context, actor user.ID) error {
	return s.lim.take(ctx, userKey("send", actor), s.lim.cfg.Send, "messages")
}

// store appends a message of the actor, resolved mentions included, and
// publishes it when this call stored it.
func (s *Messages) store(ctx context.Context, actor user.ID, roomID room.ID, content, clientID string, replyTo message.ID, files []attachment.ID) (message.Message, bool, error) {
	u, err := s.users.Profile(ctx, actor)
	if err != nil {
		return message.Message{}, false, err
	}
	mentions, err := s.mentions(ctx, actor, roomID, content)
	if err != nil {
		return message.Message{}, false, err
	}
	m := message.Message{
		RoomID: roomID, UserID: actor, Username: u.Username.String(),
		Content: content, ClientID: clientID, CreatedAt: s.now(), Mentions: mentions,
	}
	if replyTo > 0 {
		m.ReplyTo = &message.Quote{ID: replyTo}
	}
	for _, f := range files {
		m.Files = append(m.Files, attachment.Attachment{ID: f})
	}
	m, created, err := s.d.Messages.Append(ctx, m)
	if err != nil {
		return message.Message{}, false, err
	}
	if created {
		// A retried send (created=false) was published the first time; a
		// client that missed it gets it by resuming with after_seq.
		publish(ctx, s.d, messageEvent(m))
		s.push.queue(ctx, m)
	}
	return m, created, nil
}

// mentions resolves the @names of content into the room's members other
// than the author. A name that is nobody, or nobody in the room, is text.
func (s *Messages) mentions(ctx context.Context, author user.ID, roomID room.ID, content string) ([]user.ID, error) {
	var out []user.ID
	for _, n := range message.MentionNames(content) {
		name, err := user.NewUsername(n)
		if err != nil {
			continue
		}
		u, err := s.d.Users.ByUsername(ctx, name)
		if domain.KindOf(err) == domain.NotFound || err == nil && u.ID == author {
			continue
		}
		if err != nil {
			return nil, err
		}
		member, err := s.d.Members.IsMember(ctx, roomID, u.ID)
		if err != nil {
			return nil, err
		}
		if member {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// History returns one page of a room's messages.
func (s *Messages) History(ctx context.Context, actor user.ID, roomID room.ID, p message.Page) ([]message.Message, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, err
	}
	if !p.Forward && p.Before == 0 && p.Around == 0 { // the newest page: what opening a room asks for
		ms, member, err := s.d.Messages.NewestIfMember(ctx, roomID, actor, p.Limit)
		if err != nil || member {
			return ms, err
		}
		// Not a member (or no such room): Authorize gives the refusal.
	}
	if err := s.rooms.Authorize(ctx, actor, roomID); err != nil {
		return nil, err
	}
	if p.Forward {
		return s.d.Messages.After(ctx, roomID, p.AfterSeq, p.Limit)
	}
	if p.Around > 0 {
		return s.around(ctx, roomID, p.Around, p.Limit)
	}
	return s.d.Messages.Before(ctx, roomID, p.Before, p.Limit)
}

// around is the page of a room around message id, newest first: the
// message with about half of limit older messages and the rest newer, the
// other side filling in where one side has fewer.
func (s *Messages) around(ctx context.Context, roomID room.ID, id message.ID, limit int) ([]message.Message, error) {
	m, err := s.d.Messages.Get(ctx, roomID, id)
	if err != nil {
		return nil, err
	}
	var older, newer []message.Message
	if limit > 1 {
		if older, err = s.d.Messages.Before(ctx, roomID, id, limit-1); err != nil {
			return nil, err
		}
		if newer, err = s.d.Messages.After(ctx, roomID, m.Seq, limit-1); err != nil {
			return nil, err
		}
	}
	k := min(len(older), limit/2)
	j := min(len(newer), limit-1-k)
	k = min(len(older), limit-1-j)
	page := make([]message.Message, 0, j+1+k)
	for i := j - 1; i >= 0; i-- {
		page = append(page, newer[i])
	}
	page = append(page, m)
	return append(page, older[:k]...), nil
}

// Search finds messages in the actor's rooms (or in one of them).
func (s *Messages) Search(ctx context.Context, actor user.ID, q message.SearchQuery) ([]message.Hit, error) {
	if s.d.Search == nil {
		return nil, domain.Errorf(domain.Unavailable, "search_off", "search is turned off on this server")
	}
	if err := s.lim.take(ctx, userKey("search", actor), s.lim.cfg.Search, "searches"); err != nil {
		return nil, err
	}
	var rooms []room.ID
	if q.RoomID != 0 {
		if err := s.rooms.Authorize(ctx, actor, q.RoomID); err != nil {
			return nil, err
		}
		rooms = []room.ID{q.RoomID}
	} else {
		var err error
		if rooms, err = s.d.Members.RoomsOf(ctx, actor); err != nil {
			return nil, err
		}
	}
	if len(rooms) == 0 {
		return nil, nil
	}
	return s.d.Search.Search(ctx, rooms, q)
}

// Entries returns the room's stream after afterSeq: what sockets replay.
func (s *Messages) Entries(ctx context.Context, actor user.ID, roomID room.ID, afterSeq int64, limit int) ([]message.Entry, error) {
	p, err := message.Page{AfterSeq: afterSeq, Forward: true, Limit: limit}.Normalize()
	if err != nil {
		return nil, err
	}
	if err := s.rooms.Authorize(ctx, actor, roomID); err != nil {
		return nil, err
	}
	return s.d.Messages.Entries(ctx, roomID, p.AfterSeq, p.Limit)
}

// Get returns one message of a room the actor belongs to.
func (s *Messages) Get(ctx context.Context, actor user.ID, roomID room.ID, id message.ID) (message.Message, error) {
	if err := s.rooms.Authorize(ctx, actor, roomID); err != nil {
		return message.Message{}, err
	}
	return s.d.Messages.Get(ctx, roomID, id)
}

// Versions lists an edited message's earlier texts, to the room's members.
func (s *Messages) Versions(ctx context.Context, actor user.ID, roomID room.ID, id message.ID) ([]message.Version, error) {
	if err := s.rooms.Authorize(ctx, actor, roomID); err != nil {
		return nil, err
	}
	return s.d.Messages.Versions(ctx, roomID, id)
}

var (
	errNotAuthor   = domain.Errorf(domain.Forbidden, "not_author", "only the author can edit a message")
	errNotAllowed  = domain.Errorf(domain.Forbidden, "not_allowed", "only the author or the room's owner can delete a message")
	errEditClosed  = domain.Errorf(domain.Forbidden, "edit_window_closed", "this message can no longer be edited")
	errNoScheduled = domain.Errorf(domain.NotFound, "scheduled_not_found", "no such scheduled message")
)

// changer checks that the actor may change messages of the room now (a
// member, within the message rate) and returns the actor's profile and
// the room, whose owner and edit window the change's check reads.
func (s *Messages) changer(ctx context.Context, actor user.ID, roomID room.ID) (user.User, room.Room, error) {
	if err := s.rooms.authorizeLive(ctx, actor, roomID); err != nil {
		return user.User{}, room.Room{}, err
	}
	if err := s.chargeSend(ctx, actor); err != nil {
		return user.User{}, room.Room{}, err
	}
	u, err := s.users.Profile(ctx, actor)
	if err != nil {
		return user.User{}, room.Room{}, err
	}
	r, err := s.rooms.roomByID(ctx, roomID)
	return u, r, err
}

// Edit replaces the text of the actor's own message.
func (s *Messages) Edit(ctx context.Context, actor user.ID, roomID room.ID, id message.ID, content string) (message.Change, error) {
	c, err := message.NewContent(content)
	if err != nil {
		return message.Change{}, err
	}
	u, r, err := s.changer(ctx, actor, roomID)
	if err != nil {
		return message.Change{}, err
	}
	mentions, err := s.mentions(ctx, actor, roomID, c.String())
	if err != nil {
		return message.Change{}, err
	}
	now := s.now()
	ch, err := s.d.Messages.Edit(ctx, message.Change{
		Kind: message.Edited, RoomID: roomID, MessageID: id, UserID: actor, Username: u.Username.String(),
		At: now, Content: c.String(), Mentions: mentions,
	}, func(m message.Message) error {
		if m.UserID != actor {
			return errNotAuthor
		}
		if r.EditWindow > 0 && now.Sub(m.CreatedAt) > r.EditWindow {
			return errEditClosed
		}
		return nil
	})
	if err != nil {
		return message.Change{}, err
	}
	publish(ctx, s.d, changeEvent(ch))
	return ch, nil
}

// Delete deletes a message, for its author or the room's owner (not in a
// direct conversation, where only authors delete). The store erases the
// text and queues the files' removal in the deletion's transaction.
func (s *Messages) Delete(ctx context.Context, actor user.ID, roomID room.ID, id message.ID) (message.Change, error) {
	u, r, err := s.changer(ctx, actor, roomID)
	if err != nil {
		return message.Change{}, err
	}
	ch, err := s.d.Messages.Delete(ctx, message.Change{
		Kind: message.Deleted, RoomID: roomID, MessageID: id, UserID: actor, Username: u.Username.String(), At: s.now(),
	}, func(m message.Message) error {
		if m.UserID != actor && (r.Kind == room.Direct || r.OwnerID != actor) {
			return errNotAllowed
		}
		return nil
	})
	if err != nil {
		return message.Change{}, err
	}
	publish(ctx, s.d, changeEvent(ch))
	return ch, nil
}

// React adds or removes the actor's emoji on a message.
func (s *Messages) React(ctx context.Context, actor user.ID, roomID room.ID, id message.ID, emoji string, add bool) (message.Change, bool, error) {
	e, err := message.NewEmoji(emoji)
	if err != nil {
		return message.Change{}, false, err
	}
	u, _, err := s.changer(ctx, actor, roomID)
	if err != nil {
		return message.Change{}, false, err
	}
	kind := message.ReactionRemoved
	if add {
		kind = message.ReactionAdded
	}
	ch, changed, err := s.d.Messages.React(ctx, message.Change{
		Kind: kind, RoomID: roomID, MessageID: id, UserID: actor, Username: u.Username.String(), At: s.now(), Emoji: e,
	}, message.ReactionsMax)
	if err != nil || !changed {
		return ch, false, err
	}
	publish(ctx, s.d, changeEvent(ch))
	return ch, true, nil
}

// schedule stores a message to be sent at d.SendAt, with its job.
func (s *Messages) schedule(ctx context.Context, actor user.ID, roomID room.ID, c message.Content, d message.Draft) (message.Scheduled, error) {
	now := s.now()
	if err := message.CheckSendAt(d.SendAt, now); err != nil {
		return message.Scheduled{}, err
	}
	if err := s.rooms.Authorize(ctx, actor, roomID); err != nil {
		return message.Scheduled{}, err
	}
	if err := s.chargeSend(ctx, actor); err != nil {
		return message.Scheduled{}, err
	}
	if d.ReplyTo > 0 {
		if _, err := s.d.Messages.Get(ctx, roomID, d.ReplyTo); err != nil {
			return message.Scheduled{}, err
		}
	}
	return s.d.Scheduled.Create(ctx, message.Scheduled{
		RoomID: roomID, UserID: actor, Content: c.String(), ReplyTo: d.ReplyTo,
		SendAt: d.SendAt.UTC().Truncate(time.Microsecond), CreatedAt: now,
	}, message.ScheduledMax)
}

// Scheduled lists the actor's pending messages.
func (s *Messages) Scheduled(ctx context.Context, actor user.ID) ([]message.Scheduled, error) {
	return s.d.Scheduled.List(ctx, actor)
}

// Reschedule changes the text and/or time of the actor's pending message.
func (s *Messages) Reschedule(ctx context.Context, actor user.ID, id message.ScheduledID, content *string, sendAt *time.Time) (message.Scheduled, error) {
	var text string
	if content != nil {
		c, err := message.NewContent(*content)
		if err != nil {
			return message.Scheduled{}, err
		}
		text = c.String()
	}
	now := s.now()
	if sendAt != nil {
		if err := message.CheckSendAt(*sendAt, now); err != nil {
			return message.Scheduled{}, err
		}
	}
	sc, err := s.d.Scheduled.Update(ctx, actor, id, func(sc *message.Scheduled) error {
		if content != nil {
			sc.Content = text
		}
		if sendAt != nil {
			sc.SendAt = sendAt.UTC().Truncate(time.Microsecond)
		}
		return nil
	})
	return sc, asNoScheduled(err)
}

// Unschedule cancels the actor's pending message.
func (s *Messages) Unschedule(ctx context.Context, actor user.ID, id message.ScheduledID) error {
	ok, err := s.d.Scheduled.Delete(ctx, actor, id)
	if err != nil {
		return err
	}
	if !ok {
		return errNoScheduled
	}
	return nil
}

func asNoScheduled(err error) error {
	if domain.KindOf(err) == domain.NotFound {
		return errNoScheduled
	}
	return err
}

// DeliverScheduled sends pending message id, scheduled for at, as its
// author: the job of its send time calls it. It stores the message with
// the client id ScheduledClient+id, so a job that runs again (a crash, a
// retry) finds the stored copy instead of sending twice, then forgets the
// pending row. A message that is gone (delivered, cancelled), rescheduled
// (another job has its new time) or whose author left the room is not
// sent, and that is no error.
func (s *Messages) DeliverScheduled(ctx context.Context, id message.ScheduledID, at time.Time) error {
	sc, err := s.d.Scheduled.ByID(ctx, id)
	if domain.KindOf(err) == domain.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if !sc.SendAt.Equal(at.UTC().Truncate(time.Microsecond)) {
		return nil
	}
	member, err := s.d.Members.IsMember(ctx, sc.RoomID, sc.UserID)
	if err != nil {
		return err
	}
	if member {
		_, _, err = s.store(ctx, sc.UserID, sc.RoomID, sc.Content, message.ScheduledClient+strconv.FormatInt(int64(id), 10), sc.ReplyTo, nil)
		switch {
		case domain.KindOf(err) == domain.NotFound:
			// The author's account or the room went meanwhile: nothing to send.
			s.d.Logger.InfoContext(ctx, "scheduled message dropped", "scheduled_id", int64(id), "err", err)
		case err != nil:
			return err
		}
	}
	if _, err := s.d.Scheduled.Delete(ctx, 0, id); err != nil {
		return err
	}
	return nil
}

// PurgeBlobs deletes blobs nothing references any more (a deleted
// message's files): the purge job calls it, and retries it on failure.
func (s *Messages) PurgeBlobs(ctx context.Context, keys []string) error {
	if s.d.Blobs == nil {
		return domain.Errorf(domain.Unavailable, "", "no blob store to purge %d blobs", len(keys))
	}
	var errs []error
	for _, k := range keys {
		if err := s.d.Blobs.Delete(ctx, k); err != nil && domain.KindOf(err) != domain.NotFound {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Typing announces that the actor is typing; nothing is stored.
func (s *Messages) Typing(ctx context.Context, actor user.ID, roomID room.ID) error {
	if err := s.rooms.authorizeLive(ctx, actor, roomID); err != nil {
		return err
	}
	u, err := s.users.Profile(ctx, actor)
	if err != nil {
		return err
	}
	publish(ctx, s.d, typingEvent(roomID, u))
	return nil
}
