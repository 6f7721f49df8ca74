package application

import (
	"context"
	"log/slog"
	"time"

	"chat/domain/message"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// Deps are the driven ports the application is built from.
type Deps struct {
	Users     ports.UserStore
	Accounts  ports.AccountStore // the user store's credentials and erase side
	Roles     ports.RoleStore    // the administrators' side; nil: administration is off (Unavailable)
	Rooms     ports.RoomStore
	Members   ports.MemberStore
	Messages  ports.MessageStore
	Scheduled ports.ScheduledStore // messages to send later, with their jobs
	Reads     ports.ReadStore      // read pointers and unread counts
	Search    ports.SearchStore    // nil: search is off (Unavailable)
	Invites   ports.InviteStore
	Bus       ports.Bus
	Presence  ports.Presence
	Cache     ports.ProfileCache
	Tokens    ports.TokenIssuer
	Passwords ports.PasswordHasher
	// Sessions is the truth about sign-ins; SessionCache spares it a query
	// per request; Tickets keeps one-time WebSocket tickets.
	Sessions     ports.SessionStore
	SessionCache ports.SessionCache
	Tickets      ports.TicketStore
	// Blobs deletes what an erased account or a deleted room leaves on
	// disk (avatars, files). Nil: those blobs stay, and are logged.
	Blobs  ports.BlobStore
	Clock  ports.Clock  // nil: the system clock
	Logger *slog.Logger // nil: discard
	// Limiter counts the rate limits and login backoffs of Limits; nil
	// limits nothing. Hashing is bounded by Limits either way.
	Limiter ports.Limiter
	Limits  Limits
	// Push is Web Push notifications (push.go); the zero value: off.
	Push PushDeps
}

// App bundles the use cases a driving adapter may call.
type App struct {
	Users    user.Service
	Sessions user.Sessions
	Rooms    room.Service
	Invites  room.Invites
	Messages message.Service
	// Admin is what administrators (and the operator's commands) do.
	Admin Administration
	// Jobs is what the job workers call for messages: scheduled sends and
	// the removal of deleted messages' files.
	Jobs MessageJobs
	// Push serves Web Push subscriptions and room mutes; PushJobs is what
	// the job workers call to send the pushes.
	Push     push.Service
	PushJobs PushJobs
}

// MessageJobs is what the job workers call for messages. Errors of kind
// Invalid or NotFound are permanent; others are retried.
type MessageJobs interface {
	DeliverScheduled(ctx context.Context, id message.ScheduledID, at time.Time) error
	PurgeBlobs(ctx context.Context, keys []string) error
}

// New wires the use cases. It fails when the application cannot keep its
// promises: when the dummy hash of the login timing guard cannot be made.
func New(d Deps) (*App, error) {
	if d.Clock == nil {
		d.Clock = systemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	lim := newLimiter(d.Limiter, d.Limits, d.Logger)
	users, err := newUsers(d, lim)
	if err != nil {
		return nil, err
	}
	rooms := &Rooms{d: d, users: users, live: newLiveMembers(), lim: lim}
	pushes := &Pushes{d: d, rooms: rooms}
	msgs := &Messages{d: d, users: users, rooms: rooms, lim: lim, push: pushes}
	sessions := &Sessions{d: d, users: users, rooms: rooms}
	admin := &Admin{d: d, users: users, rooms: rooms, sessions: sessions}
	return &App{Users: users, Sessions: sessions, Rooms: rooms, Invites: &Invites{d: d, rooms: rooms}, Messages: msgs, Admin: admin, Jobs: msgs,
		Push: pushes, PushJobs: pushes}, nil
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// publish sends an event after its data is stored. A failure is logged, not
// returned: the data is committed, and clients that missed the live event
// get it when they resume with after_seq.
func publish(ctx context.Context, d Deps, e ports.Event) { publishOn(ctx, d.Bus, d.Logger, e) }

// publishOn is the one way events leave the application: published after
// their data is stored, a failure logged and never returned.
func publishOn(ctx context.Context, bus ports.Bus, log *slog.Logger, e ports.Event) {
	if err := bus.Publish(ctx, e); err != nil {
		log.WarnContext(ctx, "publish event", "room_id", int64(e.RoomID), "kind", int(e.Kind()), "err", err)
	}
}
