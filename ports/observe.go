package ports

import "time"

// What adapters report for monitoring. adapters/metrics implements these
// interfaces over Prometheus; an adapter given none reports to Unobserved.
// Each call sits on a hot path (a frame, a fan-out, a commit, a request):
// an implementation must not block, and on the per-message paths must do
// no more than atomic adds — no allocation, no lock. None of them is
// ever given a message's text, a token or a key.

// SocketKind tells the two kinds of WebSocket apart.
type SocketKind uint8

const (
	RoomSocket SocketKind = iota // GET /ws/rooms/{id}: one room
	UserStream                   // GET /ws: every room of its user
)

// SocketObserver hears of the WebSocket gateway's sockets.
type SocketObserver interface {
	// SocketOpened: a socket of kind k was upgraded and is served.
	SocketOpened(k SocketKind)
	// SocketClosed: that socket ended; slow reports that it was closed
	// because its send queue was full (1013).
	SocketClosed(k SocketKind, slow bool)
	// FrameReceived: a client frame of type typ ("message", "typing",
	// "read", "ping", …; "invalid" for one that does not decode). Any
	// other type a client makes up must be counted under one name.
	FrameReceived(typ string)
}

// DeliveryObserver hears of the hub's fan-out on this instance.
type DeliveryObserver interface {
	// Delivered: an event of kind k was queued to n local sockets.
	Delivered(k EventKind, n int)
	// MessageLatency: a message reached this instance's fan-out d after
	// it was sent (its CreatedAt, stamped before it is stored).
	MessageLatency(d time.Duration)
}

// RequestObserver hears of every REST request.
type RequestObserver interface {
	// Request: method on route — the route's template, such as
	// "/rooms/:id/messages", never the raw path — answered status after d.
	Request(method, route string, status int, d time.Duration)
}

// CommitObserver hears of the message store's group commits.
type CommitObserver interface {
	// Committed: one transaction stored a batch of n messages in d.
	Committed(n int, d time.Duration)
}

// BusObserver hears of the event bus's connection.
type BusObserver interface {
	// BusReconnected: the bus lost its subscriptions' connection and has
	// subscribed again on a new one.
	BusReconnected()
}

// Job outcomes, as JobObserver hears them.
const (
	JobCompleted = "completed" // done
	JobRetried   = "retried"   // failed; it runs again later
	JobDiscarded = "discarded" // failed its last attempt
	JobCancelled = "cancelled" // failed for good: the input is bad or gone
	JobSnoozed   = "snoozed"   // put off without counting as an attempt
)

// JobObserver hears of background jobs.
type JobObserver interface {
	// JobFinished: one attempt of a job of kind ended with outcome (one of
	// the Job outcomes above) after running d.
	JobFinished(kind, outcome string, d time.Duration)
	// QueueDepth: jobs waiting in state ("available", "scheduled",
	// "retryable") or being worked ("running"), counted now.
	QueueDepth(state string, jobs int)
}

// Unobserved observes nothing: what an adapter reports to when it is given
// no observer.
type Unobserved struct{}

var (
	_ SocketObserver   = Unobserved{}
	_ DeliveryObserver = Unobserved{}
	_ RequestObserver  = Unobserved{}
	_ CommitObserver   = Unobserved{}
	_ BusObserver      = Unobserved{}
	_ JobObserver      = Unobserved{}
)

func (Unobserved) SocketOpened(SocketKind)                    {}
func (Unobserved) SocketClosed(SocketKind, bool)              {}
func (Unobserved) FrameReceived(string)                       {}
func (Unobserved) Delivered(EventKind, int)                   {}
func (Unobserved) MessageLatency(time.Duration)               {}
func (Unobserved) Request(string, string, int, time.Duration) {}
func (Unobserved) Committed(int, time.Duration)               {}
func (Unobserved) BusReconnected()                            {}
func (Unobserved) JobFinished(string, string, time.Duration)  {}
func (Unobserved) QueueDepth(string, int)                     {}
