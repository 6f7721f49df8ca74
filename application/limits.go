package application

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

// Limits are the rate limits, login backoffs and the bound on password
// hashing the application enforces. Rates are per user (Send, Join,
// Upload) or per client address (Register, Login), counted by the Limiter
// port, so one limit holds across REST, every socket of a user and every
// instance. A zero Rate is no limit. DefaultLimits are values a busy human
// never meets.
type Limits struct {
	Send     ports.Rate // messages per user (REST and sockets)
	Join     ports.Rate // room joins per user
	Read     ports.Rate // read-pointer moves per user over REST (sockets have their frame rate)
	Upload   ports.Rate // room files and avatars per user
	Search   ports.Rate // searches per user
	Admin    ports.Rate // administrators' requests (/admin) per administrator
	Register ports.Rate // registrations per client address
	Login    ports.Rate // login attempts per client address, whatever the outcome

	// LoginFailures delays the next login for one username from one
	// address after failures there. It is the harsh part, and only that
	// address suffers it: the user can still log in from anywhere else.
	LoginFailures ports.Backoff
	// LoginUserFailures delays the next login for one username after
	// failures from any address, to slow guessing spread over many
	// addresses. It is milder, and addresses the user logged in from
	// within KnownAddress skip it, so an attacker cannot use it to lock
	// the user out.
	LoginUserFailures ports.Backoff
	KnownAddress      time.Duration

	// Hashes bounds the password hashes and compares running at once
	// (argon2id takes ~19 MiB each): 0 is 2 × GOMAXPROCS. Up to HashQueue
	// more wait for a slot (0: 4 × Hashes), each at most HashWait (0: 5 s);
	// beyond, a request is refused at once with Unavailable "busy".
	Hashes    int
	HashQueue int
	HashWait  time.Duration
}

// DefaultLimits returns the limits chatd runs with unless configured.
func DefaultLimits() Limits {
	return Limits{
		Send:              ports.Rate{Burst: 100, Per: 10 * time.Second},
		Join:              ports.Rate{Burst: 30, Per: time.Minute},
		Read:              ports.Rate{Burst: 60, Per: 10 * time.Second},
		Upload:            ports.Rate{Burst: 30, Per: time.Minute},
		Search:            ports.Rate{Burst: 60, Per: time.Minute},
		Admin:             ports.Rate{Burst: 120, Per: time.Minute},
		Register:          ports.Rate{Burst: 30, Per: time.Hour},
		Login:             ports.Rate{Burst: 60, Per: time.Minute},
		LoginFailures:     ports.Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour},
		LoginUserFailures: ports.Backoff{Free: 20, Base: time.Second, Max: 5 * time.Minute, Forget: time.Hour},
		KnownAddress:      30 * 24 * time.Hour,
	}
}

// limiter applies Limits through the Limiter port. A nil port limits
// nothing. When the port fails (Redis away), requests go through: a rate
// limit is not worth an outage, and the failure is logged at warn, at most
// once per failOpenLogEvery.
type limiter struct {
	port   ports.Limiter
	cfg    Limits
	log    *slog.Logger
	warned atomic.Int64 // unix ns of the last fail-open warning
}

const failOpenLogEvery = 10 * time.Second

func newLimiter(port ports.Limiter, cfg Limits, log *slog.Logger) *limiter {
	return &limiter{port: port, cfg: cfg, log: log}
}

// take charges one event to key under r; TooMany "rate_limited" with the
// wait when refused. what names the events for the client ("messages").
func (l *limiter) take(ctx context.Context, key string, r ports.Rate, what string) error {
	if l.port == nil || r.Unlimited() {
		return nil
	}
	wait, err := l.port.Take(ctx, key, r)
	if err != nil {
		l.failOpen(ctx, "take", err)
		return nil
	}
	if wait > 0 {
		return domain.Limited(wait, "too many %s; try again in %d s", what, seconds(wait))
	}
	return nil
}

func (l *limiter) failOpen(ctx context.Context, op string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	now := time.Now().UnixNano()
	last := l.warned.Load()
	if now-last < int64(failOpenLogEvery) || !l.warned.CompareAndSwap(last, now) {
		return
	}
	l.log.WarnContext(ctx, "rate limits unavailable: letting requests through", "op", op, "err", err)
}

// seconds rounds d up to whole seconds, at least 1: what clients are told.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// userKey is the limit key of one user's events of a kind ("send:u:42").
func userKey(kind string, id user.ID) string {
	return kind + ":u:" + strconv.FormatInt(int64(id), 10)
}

// addrKey is the limit key of one client address's events of a kind
// ("login:a:192.0.2.1"), from the address the driving adapter put in ctx.
func addrKey(ctx context.Context, kind string) string {
	return kind + ":a:" + domain.ClientAddrOf(ctx).Key()
}

// loginGuard is the login backoff of one (username, address).
type loginGuard struct {
	l          *limiter
	pair, name string // backoff keys: (username, address) and username
}

func (l *limiter) loginGuard(username, addr string) loginGuard {
	return loginGuard{l: l, pair: "login:ua:" + username + "|" + addr, name: "login:u:" + username}
}

// check refuses an attempt that comes before the backoff allows it: the
// pair's always, the username's unless the address is one the user
// logged in from recently.
func (g loginGuard) check(ctx context.Context) error {
	if g.l.port == nil {
		return nil
	}
	pair, err := g.l.port.Backoff(ctx, g.pair)
	if err != nil {
		g.l.failOpen(ctx, "backoff", err)
		return nil
	}
	if pair.Wait > 0 {
		return domain.Limited(pair.Wait, "too many failed logins; try again in %d s", seconds(pair.Wait))
	}
	if pair.Succeeded {
		return nil
	}
	name, err := g.l.port.Backoff(ctx, g.name)
	if err != nil {
		g.l.failOpen(ctx, "backoff", err)
		return nil
	}
	if name.Wait > 0 {
		return domain.Limited(name.Wait, "too many failed logins for this account; try again in %d s", seconds(name.Wait))
	}
	return nil
}

func (g loginGuard) failed(ctx context.Context) {
	if g.l.port == nil {
		return
	}
	if _, err := g.l.port.Fail(ctx, g.pair, g.l.cfg.LoginFailures); err != nil {
		g.l.failOpen(ctx, "fail", err)
	}
	if _, err := g.l.port.Fail(ctx, g.name, g.l.cfg.LoginUserFailures); err != nil {
		g.l.failOpen(ctx, "fail", err)
	}
}

// succeeded forgets the pair's failures and remembers the address as the
// user's. The username's failures stay: they were someone else's.
func (g loginGuard) succeeded(ctx context.Context) {
	if g.l.port == nil {
		return
	}
	if err := g.l.port.Succeed(ctx, g.pair, g.l.cfg.KnownAddress); err != nil {
		g.l.failOpen(ctx, "succeed", err)
	}
}

// hashGate bounds the password hashes and compares running at once, so
// memory stays bounded (argon2id takes ~19 MiB per call) whatever arrives:
// up to cap(slots) run, up to queue more wait at most wait for a slot, the
// rest are refused at once.
type hashGate struct {
	h       ports.PasswordHasher
	slots   chan struct{}
	queue   int64
	waiting atomic.Int64
	wait    time.Duration
}

var errHashBusy = &domain.Error{Kind: domain.Unavailable, Code: "busy",
	Msg: "the server is busy checking passwords; try again in a moment", RetryAfter: time.Second}

func newHashGate(h ports.PasswordHasher, cfg Limits) *hashGate {
	n := cfg.Hashes
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	q := cfg.HashQueue
	if q <= 0 {
		q = 4 * n
	}
	w := cfg.HashWait
	if w <= 0 {
		w = 5 * time.Second
	}
	return &hashGate{h: h, slots: make(chan struct{}, n), queue: int64(q), wait: w}
}

func (g *hashGate) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		return errHashBusy
	}
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return errHashBusy
	case <-ctx.Done():
		return domain.Wrap(domain.Unavailable, "busy", "the request ended while waiting to check the password", ctx.Err())
	}
}

func (g *hashGate) release() { <-g.slots }

// Hash hashes password within the bound.
func (g *hashGate) Hash(ctx context.Context, password string) (string, error) {
	if err := g.acquire(ctx); err != nil {
		return "", err
	}
	defer g.release()
	h, err := g.h.Hash(password)
	if err != nil {
		return "", domain.Wrap(domain.Internal, "", "hash password", err)
	}
	return h, nil
}

// Compare checks password against hash within the bound.
func (g *hashGate) Compare(ctx context.Context, password, hash string) (bool, error) {
	if err := g.acquire(ctx); err != nil {
		return false, err
	}
	defer g.release()
	ok, err := g.h.Compare(password, hash)
	if err != nil {
		return false, domain.Wrap(domain.Internal, "", "compare password", err)
	}
	return ok, nil
}
