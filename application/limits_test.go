package application_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chat/adapters/auth"
	"chat/adapters/blob"
	"chat/adapters/images"
	"chat/adapters/memory"
	"chat/application"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// limitsFixture is two instances of the application (two Apps over the
// same stores and the same limiter, as two chatd processes share a
// database and Redis) with test-sized limits.
type limitsFixture struct {
	t    *testing.T
	a, b *application.App
	st   *memory.Stores
	lim  *memory.Limiter
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLimitsFixture(t *testing.T, limits application.Limits, port ports.Limiter) *limitsFixture {
	t.Helper()
	f := &limitsFixture{t: t, st: memory.NewStores(), lim: memory.NewLimiter(nil), logs: &syncBuffer{}}
	if port == nil {
		port = f.lim
	}
	shared := memoryDeps(t, f.st) // one bus and one token key for both instances
	newApp := func() *application.App {
		d := memoryDeps(t, f.st)
		d.Bus, d.Tokens = shared.Bus, shared.Tokens
		d.Logger, d.Limiter, d.Limits = slog.New(slog.NewJSONHandler(f.logs, nil)), port, limits
		return mustNew(t, d)
	}
	f.a, f.b = newApp(), newApp()
	return f
}

// from returns a context whose requests come from addr.
func from(addr string) context.Context {
	return domain.WithClientAddr(context.Background(), domain.NewClientAddr(netip.MustParseAddr(addr)))
}

func (f *limitsFixture) register(name string) user.User {
	f.t.Helper()
	u, err := f.a.Users.Register(from("192.0.2.200"), user.Registration{Username: name, Password: "password1"})
	if err != nil {
		f.t.Fatalf("register %s: %v", name, err)
	}
	return u
}

// wantLimited checks a rate-limit refusal: TooMany "rate_limited" with a
// wait no longer than limit (nothing here depends on how long calls took).
func wantLimited(t *testing.T, err error, limit time.Duration) {
	t.Helper()
	wantKind(t, err, domain.TooMany, "rate_limited")
	if d := domain.RetryAfterOf(err); d <= 0 || d > limit {
		t.Errorf("RetryAfter = %v, want within (0, %v]", d, limit)
	}
}

func TestSendLimitIsPerUserAcrossInstances(t *testing.T) {
	f := newLimitsFixture(t, application.Limits{Send: ports.Rate{Burst: 3, Per: time.Hour}}, nil)
	ctx := context.Background()
	alice, bob := f.register("alice"), f.register("bob")
	r, err := f.a.Rooms.Create(ctx, alice.ID, room.Spec{Name: "general"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.b.Rooms.Join(ctx, bob.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	// Three sends spread over both instances use alice's burst.
	for i, app := range []*application.App{f.a, f.b, f.a} {
		if _, err := app.Messages.Send(ctx, alice.ID, r.ID, fmt.Sprintf("m%d", i), ""); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	for _, app := range []*application.App{f.a, f.b} {
		_, err := app.Messages.Send(ctx, alice.ID, r.ID, "one too many", "")
		wantLimited(t, err, time.Hour/3)
	}
	// Bob's bucket is his own; a refused send was not stored.
	if _, err := f.b.Messages.Send(ctx, bob.ID, r.ID, "hi", ""); err != nil {
		t.Errorf("bob's send: %v", err)
	}
	page, err := f.a.Messages.History(ctx, alice.ID, r.ID, message.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 4 {
		t.Errorf("stored %d messages, want 4 (3 of alice's, 1 of bob's)", len(page))
	}
}

func TestJoinLimit(t *testing.T) {
	f := newLimitsFixture(t, application.Limits{Join: ports.Rate{Burst: 2, Per: time.Hour}}, nil)
	ctx := context.Background()
	owner, bob := f.register("owner"), f.register("bob")
	var rooms []room.Room
	for i := range 3 {
		r, err := f.a.Rooms.Create(ctx, owner.ID, room.Spec{Name: fmt.Sprintf("r%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, r)
	}
	for _, r := range rooms[:2] {
		if err := f.b.Rooms.Join(ctx, bob.ID, r.ID); err != nil {
			t.Fatalf("join %d: %v", r.ID, err)
		}
	}
	wantLimited(t, f.a.Rooms.Join(ctx, bob.ID, rooms[2].ID), time.Hour/2)
}

func TestRegisterLimitIsPerAddress(t *testing.T) {
	f := newLimitsFixture(t, application.Limits{Register: ports.Rate{Burst: 2, Per: time.Hour}}, nil)
	reg := func(ctx context.Context, name string) error {
		_, err := f.a.Users.Register(ctx, user.Registration{Username: name, Password: "password1"})
		return err
	}
	for _, name := range []string{"u1", "u2"} {
		if err := reg(from("198.51.100.7"), name+"x"); err != nil {
			t.Fatalf("register %s: %v", name, err)
		}
	}
	// Invalid input is refused before the limit and costs nothing.
	_, err := f.a.Users.Register(from("198.51.100.7"), user.Registration{Username: "u3x", Password: "short"})
	wantKind(t, err, domain.Invalid, "invalid_password")
	wantLimited(t, reg(from("198.51.100.7"), "u3x"), time.Hour/2)
	// The same IPv6 /64 is one address; another address is not limited.
	if err := reg(from("2001:db8:1:2::1"), "v6a"); err != nil {
		t.Fatal(err)
	}
	if err := reg(from("2001:db8:1:2::2"), "v6b"); err != nil {
		t.Fatal(err)
	}
	wantLimited(t, reg(from("2001:db8:1:2:ffff::9"), "v6c"), time.Hour/2)
	if err := reg(from("203.0.113.9"), "u4x"); err != nil {
		t.Errorf("register from another address: %v", err)
	}
}

func TestLoginLimitIsPerAddress(t *testing.T) {
	f := newLimitsFixture(t, application.Limits{Login: ports.Rate{Burst: 3, Per: time.Hour}}, nil)
	f.register("alice")
	for i := range 3 {
		if _, err := f.b.Users.Login(from("198.51.100.7"), fmt.Sprintf("user%d", i), "password1"); domain.KindOf(err) != domain.Unauthenticated {
			t.Fatalf("login %d: %v, want invalid_credentials", i+1, err)
		}
	}
	// Even the right password waits once the address used its attempts.
	_, err := f.a.Users.Login(from("198.51.100.7"), "alice", "password1")
	wantLimited(t, err, time.Hour/3)
	if _, err := f.a.Users.Login(from("203.0.113.9"), "alice", "password1"); err != nil {
		t.Errorf("login from another address: %v", err)
	}
}

// TestLoginBackoff: failures delay the next attempt of that username from
// that address; guessing spread over many addresses delays the username
// from new addresses — but never from an address the user logged in from,
// so an attacker cannot lock the user out. A username that does not exist
// gets the same treatment, so the answers do not tell.
func TestLoginBackoff(t *testing.T) {
	f := newLimitsFixture(t, application.Limits{
		LoginFailures:     ports.Backoff{Free: 2, Base: time.Hour, Max: 4 * time.Hour, Forget: 24 * time.Hour},
		LoginUserFailures: ports.Backoff{Free: 5, Base: time.Minute, Max: time.Hour, Forget: 24 * time.Hour},
		KnownAddress:      24 * time.Hour,
	}, nil)
	f.register("alice")
	login := func(addr, name, password string) error {
		_, err := f.a.Users.Login(from(addr), name, password)
		return err
	}
	const home, attacker = "192.0.2.10", "198.51.100.66"
	if err := login(home, "alice", "password1"); err != nil { // home becomes a known address
		t.Fatal(err)
	}

	for i := range 3 {
		wantKind(t, login(attacker, "alice", fmt.Sprintf("guess%d", i)), domain.Unauthenticated, "invalid_credentials")
	}
	// The third failure from the attacker's address holds that pair back,
	// even for the right password.
	wantLimited(t, login(attacker, "alice", "password1"), time.Hour)
	wantLimited(t, login(attacker, "alice", "guess"), time.Hour)
	// Alice logs in from anywhere else: a new address (3 failures of the
	// username are within its 5 free ones) and home.
	if err := login("203.0.113.5", "alice", "password1"); err != nil {
		t.Fatalf("login from a new address while one address is backed off: %v", err)
	}

	// Guessing spread over many addresses, each within its pair's free
	// failures, backs the username off for addresses alice never used
	// (3 + 3 failures: one beyond the username's 5 free ones)…
	for i := range 3 {
		wantKind(t, login(fmt.Sprintf("198.51.100.%d", i+1), "alice", "guess"), domain.Unauthenticated, "invalid_credentials")
	}
	wantLimited(t, login("203.0.113.77", "alice", "password1"), time.Hour)
	// …but not from her known addresses.
	for _, addr := range []string{home, "203.0.113.5"} {
		if err := login(addr, "alice", "password1"); err != nil {
			t.Errorf("login from known address %s under a distributed attack: %v", addr, err)
		}
	}

	// A username nobody has: the same backoff.
	for i := range 3 {
		wantKind(t, login(attacker, "ghost", fmt.Sprintf("guess%d", i)), domain.Unauthenticated, "invalid_credentials")
	}
	wantLimited(t, login(attacker, "ghost", "guess"), time.Hour)
}

func TestLoginSuccessForgetsThePairsFailures(t *testing.T) {
	f := newLimitsFixture(t, application.Limits{
		LoginFailures: ports.Backoff{Free: 2, Base: time.Hour, Max: time.Hour, Forget: 24 * time.Hour},
	}, nil)
	f.register("alice")
	ctx := from("192.0.2.10")
	for range 2 {
		if _, err := f.a.Users.Login(ctx, "alice", "typo-password"); domain.KindOf(err) != domain.Unauthenticated {
			t.Fatal(err)
		}
	}
	if _, err := f.a.Users.Login(ctx, "alice", "password1"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := f.a.Users.Login(ctx, "alice", "typo-password"); domain.KindOf(err) != domain.Unauthenticated {
			t.Fatalf("typo %d after a success: %v, want invalid_credentials (the count started again)", i+1, err)
		}
	}
}

func TestUploadLimitCountsFilesAndAvatars(t *testing.T) {
	f := newLimitsFixture(t, application.Limits{Upload: ports.Rate{Burst: 2, Per: time.Hour}}, nil)
	ctx := context.Background()
	alice := f.register("alice")
	r, err := f.a.Rooms.Create(ctx, alice.ID, room.Spec{Name: "files"})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	queue := &memory.JobQueue{}
	bus := memory.NewBus()
	t.Cleanup(func() { bus.Close() })
	files := application.NewFiles(application.FilesDeps{
		Rooms: f.a.Rooms, Users: f.st.Users(), Cache: memory.NewCache(), Attachments: memory.NewAttachments(queue),
		Blobs: blobs, Images: images.New(), Jobs: queue, Bus: bus, DetectType: http.DetectContentType,
		Limiter: f.lim, Limits: application.Limits{Upload: ports.Rate{Burst: 2, Per: time.Hour}},
	})
	for i := range 2 {
		if _, err := files.Upload(ctx, alice.ID, r.ID, "notes.txt", "", strings.NewReader("hello"), 5); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	wantLimited(t, files.UploadAvatar(ctx, alice.ID, strings.NewReader("not read"), 8), time.Hour/2)
	_, err = files.Upload(ctx, alice.ID, r.ID, "more.txt", "", strings.NewReader("hello"), 5)
	wantLimited(t, err, time.Hour/2)
	as, err := files.List(ctx, alice.ID, r.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 {
		t.Errorf("%d files stored, want the 2 allowed", len(as))
	}
}

// downLimiter is a limiter whose backing store is away.
type downLimiter struct{ calls atomic.Int64 }

func (d *downLimiter) err() error {
	d.calls.Add(1)
	return domain.Errorf(domain.Unavailable, "", "redis: connection refused")
}

func (d *downLimiter) Take(context.Context, string, ports.Rate) (time.Duration, error) {
	return 0, d.err()
}

func (d *downLimiter) Backoff(context.Context, string) (ports.BackoffState, error) {
	return ports.BackoffState{}, d.err()
}

func (d *downLimiter) Fail(context.Context, string, ports.Backoff) (time.Duration, error) {
	return 0, d.err()
}

func (d *downLimiter) Succeed(context.Context, string, time.Duration) error { return d.err() }

// TestLimitsFailOpen: with the limiter's store away, requests go through
// (a rate limit is not worth an outage) and the failure is logged at warn,
// not once per request.
func TestLimitsFailOpen(t *testing.T) {
	down := &downLimiter{}
	limits := application.DefaultLimits()
	limits.Send = ports.Rate{Burst: 1, Per: time.Hour}
	f := newLimitsFixture(t, limits, down)
	ctx := context.Background()
	alice := f.register("alice")
	r, err := f.a.Rooms.Create(ctx, alice.ID, room.Spec{Name: "general"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := f.a.Messages.Send(ctx, alice.ID, r.ID, fmt.Sprintf("m%d", i), ""); err != nil {
			t.Fatalf("send %d with the limiter away: %v", i+1, err)
		}
	}
	if _, err := f.a.Users.Login(from("192.0.2.1"), "alice", "wrong-password"); domain.KindOf(err) != domain.Unauthenticated {
		t.Fatalf("login with the limiter away: %v, want invalid_credentials", err)
	}
	if _, err := f.a.Users.Login(from("192.0.2.1"), "alice", "password1"); err != nil {
		t.Fatalf("login with the limiter away: %v", err)
	}
	if down.calls.Load() < 5 {
		t.Fatalf("the limiter was asked %d times, want every limited call to ask", down.calls.Load())
	}
	if n := strings.Count(f.logs.String(), `"level":"WARN","msg":"rate limits unavailable`); n != 1 {
		t.Errorf("%d fail-open warnings logged, want 1 per interval:\n%s", n, f.logs.String())
	}
}

// countingHasher wraps the real argon2id hasher and records how many
// hashes and compares run at once. While held, calls wait inside the
// hasher until released, so the test sees the bound without any timing.
type countingHasher struct {
	real     ports.PasswordHasher
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	held     atomic.Bool
	release  chan struct{}
}

func (c *countingHasher) enter() func() {
	n := c.inFlight.Add(1)
	for {
		m := c.maxSeen.Load()
		if n <= m || c.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if c.held.Load() {
		<-c.release
	}
	return func() { c.inFlight.Add(-1) }
}

func (c *countingHasher) Hash(p string) (string, error) {
	defer c.enter()()
	return c.real.Hash(p)
}

func (c *countingHasher) Compare(p, h string) (bool, error) {
	defer c.enter()()
	return c.real.Compare(p, h)
}

// TestPasswordHashingIsBounded floods logins and registrations: never more
// than Limits.Hashes hashes run at once, HashQueue more wait, and the rest
// are refused at once with Unavailable "busy" and a Retry-After — memory
// stays bounded whatever arrives.
func TestPasswordHashingIsBounded(t *testing.T) {
	const bound, queue, flood = 3, 5, 40
	hasher := &countingHasher{real: &auth.Passwords{Params: auth.TestParams}, release: make(chan struct{})}
	d := memoryDeps(t, memory.NewStores())
	d.Passwords = hasher
	d.Limits = application.Limits{Hashes: bound, HashQueue: queue, HashWait: time.Minute}
	app := mustNew(t, d)
	ctx := context.Background()
	if _, err := app.Users.Register(ctx, user.Registration{Username: "alice", Password: "password1"}); err != nil {
		t.Fatal(err)
	}
	hasher.maxSeen.Store(0)
	hasher.held.Store(true)

	var (
		wg              sync.WaitGroup
		busy, completed atomic.Int64
		unexpected      = make(chan error, flood)
	)
	for i := range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 3 {
			case 0:
				_, err = app.Users.Login(ctx, "alice", "wrong-password")
			case 1:
				_, err = app.Users.Login(ctx, fmt.Sprintf("nobody%d", i), "password1")
			default:
				_, err = app.Users.Register(ctx, user.Registration{Username: fmt.Sprintf("user%d", i), Password: "password1"})
			}
			switch {
			case domain.KindOf(err) == domain.Unavailable && domain.CodeOf(err) == "busy":
				if domain.RetryAfterOf(err) <= 0 {
					unexpected <- fmt.Errorf("busy without a Retry-After: %v", err)
				}
				busy.Add(1)
			case err == nil || domain.KindOf(err) == domain.Unauthenticated:
				completed.Add(1)
			default:
				unexpected <- err
			}
		}()
	}
	// bound calls hash (held), queue wait for a slot, the rest are refused.
	if !pollUntil(func() bool { return hasher.inFlight.Load() == bound && busy.Load() == flood-bound-queue }) {
		t.Fatalf("in flight %d, refused %d; want %d hashing and %d refused", hasher.inFlight.Load(), busy.Load(), bound, flood-bound-queue)
	}
	hasher.held.Store(false)
	close(hasher.release)
	wg.Wait()
	close(unexpected)
	for err := range unexpected {
		t.Errorf("unexpected answer: %v", err)
	}
	if got := hasher.maxSeen.Load(); got > bound {
		t.Errorf("%d hashes ran at once, want at most %d", got, bound)
	}
	if got := completed.Load(); got != bound+queue {
		t.Errorf("%d requests were answered after hashing, want the %d that ran or waited", got, bound+queue)
	}
}

// pollUntil polls cond for up to 10 s; only an unmet condition fails.
func pollUntil(cond func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
