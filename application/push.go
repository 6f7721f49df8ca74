package application

import (
	"context"
	"slices"
	"sync"
	"time"

	"chat/domain"
	"chat/domain/message"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// PushDeps are what Web Push notifications need. Pusher nil: push is off
// (its routes answer Unavailable and no message queues a push); mutes
// still work.
type PushDeps struct {
	Subscriptions ports.PushStore
	Mutes         ports.MuteStore
	Pusher        ports.Pusher
	// Jobs queues the notify job of a message right after its commit, and
	// the push jobs a notify job fans out to.
	Jobs ports.JobQueue
	// TTL is how long a push may wait — at the push service for a
	// browser that is offline, in the queue for retries — before it is
	// dropped (default DefaultPushTTL).
	TTL time.Duration
	// Insecure accepts plain-http endpoints (a test push service).
	Insecure bool
}

// DefaultPushTTL is how long a push stays worth delivering.
const DefaultPushTTL = time.Hour

// PushJobs is what the job workers call for push notifications. Errors of
// kind Invalid or NotFound are permanent; others are retried.
type PushJobs interface {
	// Notify finds who a stored message should reach by push — the users
	// it mentions and, in a direct conversation, its other people — less
	// the author, those with a live socket anywhere and those who muted
	// the room, and queues one push job per subscription of each.
	Notify(ctx context.Context, r room.ID, m message.ID) error
	// SendPush sends message m of room r to subscription id; a
	// subscription the push service says is gone is deleted.
	SendPush(ctx context.Context, id push.SubscriptionID, r room.ID, m message.ID) error
}

// Pushes implements push.Service and PushJobs.
type Pushes struct {
	d     Deps
	rooms *Rooms
	// direct remembers which rooms are direct conversations (a room's
	// kind never changes), so a send asks the store once per room.
	direct sync.Map // room.ID → bool
}

var (
	_ push.Service = (*Pushes)(nil)
	_ PushJobs     = (*Pushes)(nil)
)

func (p *Pushes) on() bool {
	return p.d.Push.Pusher != nil && p.d.Push.Jobs != nil && p.d.Push.Subscriptions != nil
}

func (p *Pushes) ttl() time.Duration {
	if p.d.Push.TTL > 0 {
		return p.d.Push.TTL
	}
	return DefaultPushTTL
}

func errPushOff() error {
	return domain.Errorf(domain.Unavailable, "push_unavailable", "push notifications are not configured on this server")
}

// PublicKey is the VAPID public key.
func (p *Pushes) PublicKey() (string, error) {
	if !p.on() {
		return "", errPushOff()
	}
	return p.d.Push.Pusher.PublicKey(), nil
}

// Subscribe stores the actor's subscription.
func (p *Pushes) Subscribe(ctx context.Context, actor user.ID, s push.Subscription) (push.Subscription, error) {
	if !p.on() {
		return push.Subscription{}, errPushOff()
	}
	if !s.Secure() && !p.d.Push.Insecure {
		return push.Subscription{}, domain.Errorf(domain.Invalid, "invalid_endpoint", "endpoint must be an https URL")
	}
	s.UserID, s.ID = actor, 0
	if s.CreatedAt.IsZero() {
		s.CreatedAt = p.d.Clock.Now()
	}
	return p.d.Push.Subscriptions.Save(ctx, s, push.MaxPerUser)
}

// Subscriptions lists the actor's subscriptions.
func (p *Pushes) Subscriptions(ctx context.Context, actor user.ID) ([]push.Subscription, error) {
	if !p.on() {
		return nil, errPushOff()
	}
	return p.d.Push.Subscriptions.ByUser(ctx, actor)
}

// Unsubscribe deletes one of the actor's subscriptions.
func (p *Pushes) Unsubscribe(ctx context.Context, actor user.ID, id push.SubscriptionID) error {
	if !p.on() {
		return errPushOff()
	}
	return p.d.Push.Subscriptions.Delete(ctx, actor, id)
}

// Mute sets the actor's mute of room r; members only.
func (p *Pushes) Mute(ctx context.Context, actor user.ID, r room.ID, muted bool) error {
	if p.d.Push.Mutes == nil {
		return errPushOff()
	}
	if err := p.rooms.Authorize(ctx, actor, r); err != nil {
		return err
	}
	return p.d.Push.Mutes.SetMuted(ctx, r, actor, muted)
}

// Muted reports whether the actor muted room r; members only.
func (p *Pushes) Muted(ctx context.Context, actor user.ID, r room.ID) (bool, error) {
	if p.d.Push.Mutes == nil {
		return false, errPushOff()
	}
	if err := p.rooms.Authorize(ctx, actor, r); err != nil {
		return false, err
	}
	m, err := p.d.Push.Mutes.Muted(ctx, r, []user.ID{actor})
	return m[actor], err
}

// queue queues the notify job of m, just stored, when it may push anyone:
// it mentions someone or its room is a direct conversation. It runs right
// after the commit (the group commit holds many messages, so the job
// cannot share its transaction); River's uniqueness by arguments keeps a
// message from being queued twice, and a send that found its message
// already stored (a retried client_id) queues nothing. A failure is
// logged: the message is stored, only its push is lost.
func (p *Pushes) queue(ctx context.Context, m message.Message) {
	if p == nil || !p.on() {
		return
	}
	if len(m.Mentions) == 0 {
		direct, err := p.isDirect(ctx, m.RoomID)
		if err != nil || !direct {
			if err != nil {
				p.d.Logger.WarnContext(ctx, "push: room kind", "room_id", int64(m.RoomID), "err", err)
			}
			return
		}
	}
	if err := p.d.Push.Jobs.Enqueue(ctx, ports.Job{Kind: ports.JobNotify, Room: m.RoomID, Message: m.ID}); err != nil {
		p.d.Logger.WarnContext(ctx, "push: queue notify job", "room_id", int64(m.RoomID), "message_id", int64(m.ID), "err", err)
	}
}

func (p *Pushes) isDirect(ctx context.Context, id room.ID) (bool, error) {
	if v, ok := p.direct.Load(id); ok {
		return v.(bool), nil
	}
	r, err := p.d.Rooms.ByID(ctx, id)
	if err != nil {
		return false, err
	}
	direct := r.Kind == room.Direct
	p.direct.Store(id, direct)
	return direct, nil
}

// Notify fans a message out to push jobs; see PushJobs.
func (p *Pushes) Notify(ctx context.Context, roomID room.ID, id message.ID) error {
	if !p.on() {
		return errPushOff()
	}
	m, err := p.d.Messages.Get(ctx, roomID, id)
	if domain.KindOf(err) == domain.NotFound {
		return nil // deleted with its room
	}
	if err != nil {
		return err
	}
	if m.Deleted || p.expired(m) {
		return nil
	}
	targets := slices.Clone(m.Mentions)
	direct, err := p.isDirect(ctx, roomID)
	if err != nil {
		return err
	}
	if direct {
		members, err := p.d.Members.Members(ctx, roomID)
		if err != nil {
			return err
		}
		for _, u := range members {
			targets = append(targets, u.ID)
		}
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	targets = slices.DeleteFunc(targets, func(u user.ID) bool { return u == m.UserID })
	if len(targets) == 0 {
		return nil
	}
	online, err := p.d.Presence.OnlineAmong(ctx, ports.Everyone, targets)
	if err != nil {
		return err
	}
	targets = slices.DeleteFunc(targets, func(u user.ID) bool { return online[u] })
	if len(targets) == 0 {
		return nil
	}
	muted, err := p.d.Push.Mutes.Muted(ctx, roomID, targets)
	if err != nil {
		return err
	}
	for _, u := range targets {
		if muted[u] {
			continue
		}
		subs, err := p.d.Push.Subscriptions.ByUser(ctx, u)
		if err != nil {
			return err
		}
		for _, s := range subs {
			// Unique by its arguments: a notify job that runs again
			// queues nothing twice.
			err := p.d.Push.Jobs.Enqueue(ctx, ports.Job{Kind: ports.JobPush, Room: roomID, Message: id, Subscription: s.ID})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// expired reports whether m is too old to push.
func (p *Pushes) expired(m message.Message) bool {
	return p.d.Clock.Now().Sub(m.CreatedAt) >= p.ttl()
}

// SendPush sends one push; see PushJobs.
func (p *Pushes) SendPush(ctx context.Context, id push.SubscriptionID, roomID room.ID, msgID message.ID) error {
	if !p.on() {
		return errPushOff()
	}
	s, err := p.d.Push.Subscriptions.ByID(ctx, id)
	if domain.KindOf(err) == domain.NotFound {
		return nil // unsubscribed meanwhile
	}
	if err != nil {
		return err
	}
	m, err := p.d.Messages.Get(ctx, roomID, msgID)
	if domain.KindOf(err) == domain.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Deleted {
		return nil
	}
	left := p.ttl() - p.d.Clock.Now().Sub(m.CreatedAt)
	if left <= 0 {
		// Retried past its time: a late push is noise.
		return domain.Errorf(domain.NotFound, "push_expired", "the push of message %d expired", msgID)
	}
	if member, err := p.d.Members.IsMember(ctx, roomID, s.UserID); err != nil || !member {
		return err // nil when the user left meanwhile: nothing to send
	}
	r, err := p.d.Rooms.ByID(ctx, roomID)
	if domain.KindOf(err) == domain.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	n := push.Notification{
		RoomID: roomID, RoomName: r.Name, MessageID: m.ID, Seq: m.Seq, Author: m.Username,
		Preview: push.Preview(m.Content), Direct: r.Kind == room.Direct,
		Mention: slices.Contains(m.Mentions, s.UserID), SentAt: m.CreatedAt,
	}
	err = p.d.Push.Pusher.Push(ctx, s, n, left)
	if domain.CodeOf(err) == "subscription_gone" {
		if err := p.d.Push.Subscriptions.Delete(ctx, 0, id); err != nil && domain.KindOf(err) != domain.NotFound {
			return err
		}
		return nil
	}
	return err
}
