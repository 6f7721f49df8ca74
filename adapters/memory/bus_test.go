package memory_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"chat/adapters/memory"
	"chat/domain"
	"chat/domain/room"
	"chat/ports"
	"chat/ports/porttest"
)

func TestBus(t *testing.T) {
	porttest.Bus(t, func(t *testing.T) (ports.Bus, ports.Bus) {
		b := memory.NewBus()
		t.Cleanup(func() { b.Close() })
		return b, b
	})
}

func TestBusCloseStopsEveryGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := memory.NewBus()
	ctx := context.Background()
	got := make(chan ports.Event, 1)
	for r := range 5 {
		if _, err := b.Subscribe(ctx, room.ID(r+1), func(e ports.Event) { got <- e }); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
	}
	if err := b.Publish(ctx, ports.Event{RoomID: 1, Payload: ports.Typing{UserID: 1}}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	<-got
	b.Close()
	if err := b.Publish(ctx, ports.Event{RoomID: 1}); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Publish after Close: err = %v, want kind Unavailable", err)
	}
	if _, err := b.Subscribe(ctx, 1, func(ports.Event) {}); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Subscribe after Close: err = %v, want kind Unavailable", err)
	}
}

// TestBusCloseFromDeliver shows that a subscription may close itself from
// its own deliver without deadlock.
func TestBusCloseFromDeliver(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := memory.NewBus()
	ctx := context.Background()
	closed := make(chan error, 1)
	var sub ports.Subscription
	ready := make(chan struct{})
	sub, err := b.Subscribe(ctx, 1, func(ports.Event) {
		<-ready
		closed <- sub.Close()
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	close(ready)
	for range 3 {
		if err := b.Publish(ctx, ports.Event{RoomID: 1, Payload: ports.Typing{UserID: 1}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close from deliver: %v", err)
	}
}
