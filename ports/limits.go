package ports

import (
	"context"
	"time"
)

// Rate is a token bucket: up to Burst events at once, refilled at Burst
// per Per (Rate{Burst: 100, Per: 10 * time.Second} allows a burst of 100,
// then 10 a second). A Rate with Burst ≤ 0 or Per ≤ 0 is no limit.
type Rate struct {
	Burst int
	Per   time.Duration
}

// Unlimited reports whether r limits nothing.
func (r Rate) Unlimited() bool { return r.Burst <= 0 || r.Per <= 0 }

// Backoff says how failures under one key delay the next attempt: the
// first Free failures cost nothing; each later one holds the next attempt
// back Base, doubled per failure beyond the first delayed one, at most
// Max. Failures are forgotten Forget after the last one.
type Backoff struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// Delay is the wait after the n-th failure in a row under b.
func (b Backoff) Delay(n int) time.Duration {
	if n <= b.Free || b.Base <= 0 {
		return 0
	}
	d := b.Base
	for i := b.Free + 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// BackoffState is what a Limiter knows of a backoff key.
type BackoffState struct {
	Wait      time.Duration // until the next attempt may go; 0: now
	Failures  int           // remembered failures since the last success
	Succeeded bool          // a success was recorded within its remember period
}

// Limiter keeps rate and failure counters shared by every instance, so a
// limit holds however requests are spread over sockets and servers.
// Keys are chosen by the application ("send:u:42"); adapters may prefix
// them but never interpret them. Every method returns Unavailable when the
// shared state cannot be reached within the adapter's short deadline,
// never blocking longer: the caller decides what a missing answer means.
type Limiter interface {
	// Take charges one event to key's bucket under r: 0 when it is allowed,
	// else how long until it would be (nothing is charged then). Calls with
	// one key must use one Rate.
	Take(ctx context.Context, key string, r Rate) (retryAfter time.Duration, err error)
	// Backoff reports key's state without changing it.
	Backoff(ctx context.Context, key string) (BackoffState, error)
	// Fail records a failed attempt under b and returns how long the next
	// attempt must wait (b.Delay of the failures remembered, this one
	// included).
	Fail(ctx context.Context, key string, b Backoff) (wait time.Duration, err error)
	// Succeed forgets key's failures and remembers the success for
	// remember (BackoffState.Succeeded); remember ≤ 0 forgets key entirely.
	Succeed(ctx context.Context, key string, remember time.Duration) error
}
