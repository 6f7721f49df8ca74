package memory

import (
	"testing"
	"time"
)

func TestExpiring(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newExpiring[string, int]()
	e.put(now, "a", 1, now.Add(time.Minute))
	if v, ok := e.get(now, "a"); !ok || v != 1 {
		t.Fatalf("get(a) = %d, %v; want 1, true", v, ok)
	}
	if _, ok := e.get(now.Add(time.Minute), "a"); ok {
		t.Errorf("get(a) at its expiry: found")
	}
	if v, ok := e.take(now, "a"); !ok || v != 1 {
		t.Fatalf("take(a) = %d, %v; want 1, true", v, ok)
	}
	if _, ok := e.get(now, "a"); ok {
		t.Errorf("get(a) after take: found")
	}
}

// TestExpiringSweeps: expired entries that are never read again are
// dropped within sweepEvery writes, so the map does not grow without
// bound; live ones stay.
func TestExpiringSweeps(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newExpiring[int, struct{}]()
	e.put(now, -1, struct{}{}, now.Add(time.Hour))
	for i := range sweepEvery {
		e.put(now, i, struct{}{}, now.Add(time.Second))
	}
	later := now.Add(time.Minute)
	for i := range sweepEvery {
		e.put(later, sweepEvery+i, struct{}{}, later.Add(time.Second))
	}
	if n := len(e.m); n > sweepEvery+1 {
		t.Errorf("%d entries after %d expired and %d live writes; want at most %d", n, sweepEvery, sweepEvery, sweepEvery+1)
	}
	if _, ok := e.get(later, -1); !ok {
		t.Errorf("the live entry was swept")
	}
}
