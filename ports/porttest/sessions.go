package porttest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/user"
	"chat/ports"
)

// SessionCache runs the contract of ports.SessionCache over two handles
// sharing one state, as two instances would.
func SessionCache(t *testing.T, newCache func(t *testing.T) (ports.SessionCache, ports.SessionCache)) {
	runPairs(t, newCache, []pairCase[ports.SessionCache]{
		{"LiveAcrossInstances", testSessionLive},
		{"EndReachesEveryInstance", testSessionEnd},
		{"EndWinsOverLive", testSessionEndWins},
		{"Expiry", testSessionExpiry},
		{"CanceledContext", testSessionCanceled},
		{"OwnEndSeenAtOnce", testSessionOwnEnd},
	})
}

// testSessionOwnEnd: a handle that holds a live session (read it from
// another instance's Live, so it may keep a copy in memory) answers Ended
// right after its own End returned, not polled. Repeated, since a copy in
// memory may trail the change by a little.
func testSessionOwnEnd(t *testing.T, a, b ports.SessionCache) {
	for i := range 200 {
		id := fmt.Sprintf("own-%d", i)
		if err := b.Live(ctxOf(t), id, 9, time.Minute); err != nil {
			t.Fatalf("Live: %v", err)
		}
		waitSession(t, "live on B, read on A", a, id, ports.SessionState{UserID: 9}, true)
		waitSession(t, "read again (A's copy)", a, id, ports.SessionState{UserID: 9}, true)
		if err := a.End(ctxOf(t), id, time.Minute); err != nil {
			t.Fatalf("End: %v", err)
		}
		got, found, err := a.Get(ctxOf(t), id)
		if err != nil || !found || !got.Ended {
			t.Fatalf("round %d: Get right after A's own End = %+v, found %v, err %v; want ended", i, got, found, err)
		}
	}
}

// waitSession polls c until Get(id) returns want (found=false: a miss).
func waitSession(t *testing.T, what string, c ports.SessionCache, id string, want ports.SessionState, wantFound bool) {
	t.Helper()
	var (
		got   ports.SessionState
		found bool
	)
	if !eventually(func() bool {
		var err error
		got, found, err = c.Get(ctxOf(t), id)
		if err != nil {
			t.Fatalf("%s: Get(%s): %v", what, id, err)
		}
		return found == wantFound && got == want
	}) {
		t.Fatalf("%s: Get(%s) = %+v, found %v; want %+v, found %v", what, id, got, found, want, wantFound)
	}
}

func testSessionLive(t *testing.T, a, b ports.SessionCache) {
	waitSession(t, "unknown on B", b, "s1", ports.SessionState{}, false) // B may now hold the miss locally
	if err := a.Live(ctxOf(t), "s1", 42, time.Minute); err != nil {
		t.Fatalf("Live: %v", err)
	}
	waitSession(t, "live on A, read on B", b, "s1", ports.SessionState{UserID: 42}, true)
	waitSession(t, "read again (B's local copy)", b, "s1", ports.SessionState{UserID: 42}, true)
	waitSession(t, "other session unknown", a, "s2", ports.SessionState{}, false)
}

func testSessionEnd(t *testing.T, a, b ports.SessionCache) {
	if err := a.Live(ctxOf(t), "s1", 7, time.Minute); err != nil {
		t.Fatalf("Live: %v", err)
	}
	waitSession(t, "live, read on B", b, "s1", ports.SessionState{UserID: 7}, true) // B caches it
	if err := a.End(ctxOf(t), "s1", time.Minute); err != nil {
		t.Fatalf("End: %v", err)
	}
	waitSession(t, "ended on A, read on B", b, "s1", ports.SessionState{Ended: true}, true)
	waitSession(t, "ended on A, read on A", a, "s1", ports.SessionState{Ended: true}, true)
	if err := b.End(ctxOf(t), "never-live", time.Minute); err != nil {
		t.Fatalf("End of an unknown session: %v", err)
	}
	waitSession(t, "unknown session ended", a, "never-live", ports.SessionState{Ended: true}, true)
}

func testSessionEndWins(t *testing.T, a, b ports.SessionCache) {
	if err := a.End(ctxOf(t), "s1", time.Minute); err != nil {
		t.Fatalf("End: %v", err)
	}
	// A lookup that read the session before the logout writes it back
	// late: the end must stand.
	if err := b.Live(ctxOf(t), "s1", 7, time.Minute); err != nil {
		t.Fatalf("Live: %v", err)
	}
	waitSession(t, "after a late Live", a, "s1", ports.SessionState{Ended: true}, true)
	waitSession(t, "after a late Live, on B", b, "s1", ports.SessionState{Ended: true}, true)
}

func testSessionExpiry(t *testing.T, a, b ports.SessionCache) {
	if err := a.Live(ctxOf(t), "live", 7, 300*time.Millisecond); err != nil {
		t.Fatalf("Live: %v", err)
	}
	if err := a.End(ctxOf(t), "ended", 300*time.Millisecond); err != nil {
		t.Fatalf("End: %v", err)
	}
	waitSession(t, "live expired", b, "live", ports.SessionState{}, false)
	waitSession(t, "end expired", b, "ended", ports.SessionState{}, false)
	// Once an end expired, the session may be cached as live again (the
	// store, which the caller asked, knows better than a lost entry).
	if err := b.Live(ctxOf(t), "ended", 7, time.Minute); err != nil {
		t.Fatalf("Live: %v", err)
	}
	waitSession(t, "live after the end expired", a, "ended", ports.SessionState{UserID: 7}, true)
}

func testSessionCanceled(t *testing.T, a, b ports.SessionCache) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Live(ctx, "s1", 7, time.Minute); err == nil {
		t.Error("Live with a canceled context succeeded")
	}
	if err := a.End(ctx, "s1", time.Minute); err == nil {
		t.Error("End with a canceled context succeeded")
	}
	if _, _, err := a.Get(ctx, "s1"); err == nil {
		t.Error("Get with a canceled context succeeded")
	}
	waitSession(t, "after canceled writes", b, "s1", ports.SessionState{}, false)
}

// Tickets runs the contract of ports.TicketStore over two handles sharing
// one state, as two instances would.
func Tickets(t *testing.T, newStore func(t *testing.T) (ports.TicketStore, ports.TicketStore)) {
	runPairs(t, newStore, []pairCase[ports.TicketStore]{
		{"TakeOnAnotherInstanceOnce", testTicketOnce},
		{"ConcurrentTakesOneWins", testTicketConcurrent},
		{"Expiry", testTicketExpiry},
		{"CanceledContext", testTicketCanceled},
	})
}

var ticketClaims = user.Claims{UserID: 42, SessionID: "S3SS10N", ExpiresAt: time.Date(2026, 7, 8, 9, 10, 11, 123456789, time.UTC)}

func testTicketOnce(t *testing.T, a, b ports.TicketStore) {
	if err := a.Put(ctxOf(t), "T1", ticketClaims, time.Minute); err != nil {
		t.Fatalf("Put: %v", err)
	}
	other := ticketClaims
	other.UserID, other.SessionID = 43, "OTHER"
	if err := a.Put(ctxOf(t), "T2", other, time.Minute); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := b.Take(ctxOf(t), "T1")
	if err != nil {
		t.Fatalf("Take on B: %v", err)
	}
	if d := cmp.Diff(ticketClaims, got); d != "" {
		t.Errorf("claims (-want +got):\n%s", d)
	}
	_, err = a.Take(ctxOf(t), "T1")
	wantKind(t, "second Take", err, domain.NotFound)
	_, err = b.Take(ctxOf(t), "unknown")
	wantKind(t, "Take of an unknown ticket", err, domain.NotFound)
	if got, err := a.Take(ctxOf(t), "T2"); err != nil || got.UserID != 43 || got.SessionID != "OTHER" {
		t.Errorf("Take(T2) = %+v, %v", got, err)
	}
}

func testTicketConcurrent(t *testing.T, a, b ports.TicketStore) {
	if err := a.Put(ctxOf(t), "T", ticketClaims, time.Minute); err != nil {
		t.Fatalf("Put: %v", err)
	}
	var won, lost atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			_, err := s.Take(ctxOf(t), "T")
			switch domain.KindOf(err) {
			case domain.NotFound:
				lost.Add(1)
			default:
				if err == nil {
					won.Add(1)
				} else {
					t.Errorf("Take: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || lost.Load() != 15 {
		t.Fatalf("%d Takes succeeded and %d found nothing; want 1 and 15", won.Load(), lost.Load())
	}
}

func testTicketExpiry(t *testing.T, a, b ports.TicketStore) {
	if err := a.Put(ctxOf(t), "T", ticketClaims, 200*time.Millisecond); err != nil {
		t.Fatalf("Put: %v", err)
	}
	time.Sleep(400 * time.Millisecond)
	_, err := b.Take(ctxOf(t), "T")
	wantKind(t, "Take of an expired ticket", err, domain.NotFound)
}

func testTicketCanceled(t *testing.T, a, b ports.TicketStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Put(ctx, "T", ticketClaims, time.Minute); err == nil {
		t.Error("Put with a canceled context succeeded")
	}
	if _, err := a.Take(ctx, "T"); err == nil {
		t.Error("Take with a canceled context succeeded")
	}
	_, err := b.Take(ctxOf(t), "T")
	wantKind(t, "Take after a canceled Put", err, domain.NotFound)
}
