package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"chat/adapters/memory"
	"chat/domain"
	"chat/ports"
	"chat/ports/porttest"
)

func TestLimiter(t *testing.T) {
	porttest.Limiter(t, func(t *testing.T) (ports.Limiter, ports.Limiter) {
		l := memory.NewLimiter(nil)
		return l, l
	})
}

// TestLimiterForgetsIdleKeys fills the limiter with one-off keys (every
// client address seen once) and checks that they do not stay once their
// buckets are full again.
func TestLimiterForgetsIdleKeys(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := memory.NewLimiter(clock.Now)
	ctx := context.Background()
	r := ports.Rate{Burst: 10, Per: time.Minute}
	bo := ports.Backoff{Free: 1, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	for i := range 5000 {
		if _, err := l.Take(ctx, fmt.Sprintf("register:a:10.0.%d.%d", i/256, i%256), r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Fail(ctx, "login:ua:alice|10.0.0.1", bo); err != nil {
		t.Fatal(err)
	}
	if err := l.Succeed(ctx, "login:ua:bob|10.0.0.2", 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour) // every bucket refilled, the failure forgotten, the success still remembered
	for i := range 5000 {
		if _, err := l.Take(ctx, fmt.Sprintf("send:u:%d", i%10), r); err != nil {
			t.Fatal(err)
		}
	}
	if n := l.Len(); n > 12 {
		t.Errorf("%d keys held after the idle ones expired, want the 10 live buckets and the remembered success", n)
	}
	st, err := l.Backoff(ctx, "login:ua:bob|10.0.0.2")
	if err != nil || !st.Succeeded {
		t.Errorf("the remembered success was swept: %+v, %v", st, err)
	}
}

func TestLimiterCanceledContext(t *testing.T) {
	l := memory.NewLimiter(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Take(ctx, "k", ports.Rate{Burst: 1, Per: time.Second}); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Take with a canceled context: %v, want Unavailable", err)
	}
}
