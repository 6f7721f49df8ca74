package application

import (
	"context"
	"time"

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
}

var _ message.Service = (*Messages)(nil)

// Send validates, stores, and only after the commit publishes a message.
func (s *Messages) Send(ctx context.Context, actor user.ID, roomID room.ID, content, clientID string) (message.Message, error) {
	m, _, err := s.SendOnce(ctx, actor, roomID, content, clientID)
	return m, err
}

// SendOnce is Send, reporting whether the message was stored by this call.
func (s *Messages) SendOnce(ctx context.Context, actor user.ID, roomID room.ID, content, clientID string) (message.Message, bool, error) {
	c, err := message.NewContent(content)
	if err != nil {
		return message.Message{}, false, err
	}
	if err := message.ValidateClientID(clientID); err != nil {
		return message.Message{}, false, err
	}
	if err := s.rooms.authorizeLive(ctx, actor, roomID); err != nil {
		return message.Message{}, false, err
	}
	// One bucket per user, whichever socket, instance or REST call sends.
	if err := s.lim.take(ctx, userKey("send", actor), s.lim.cfg.Send, "messages"); err != nil {
		return message.Message{}, false, err
	}
	u, err := s.users.Profile(ctx, actor)
	if err != nil {
		return message.Message{}, false, err
	}
	m, created, err := s.d.Messages.Append(ctx, message.Message{
		RoomID: roomID, UserID: actor, Username: u.Username.String(),
		Content: c.String(), ClientID: clientID,
		// Microseconds: what PostgreSQL keeps, so live and replayed copies match.
		CreatedAt: s.d.Clock.Now().UTC().Truncate(time.Microsecond),
	})
	if err != nil {
		return message.Message{}, false, err
	}
	if created {
		// A retried send (created=false) was published the first time; a
		// client that missed it gets it by resuming with after_seq.
		publish(ctx, s.d, messageEvent(m))
	}
	return m, created, nil
}

// History returns one page of a room's messages.
func (s *Messages) History(ctx context.Context, actor user.ID, roomID room.ID, p message.Page) ([]message.Message, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, err
	}
	if !p.Forward && p.Before == 0 { // the newest page: what opening a room asks for
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
	return s.d.Messages.Before(ctx, roomID, p.Before, p.Limit)
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
