package jobs

import (
	"context"
	"testing"

	"chat/domain/message"
	"chat/domain/push"
	"chat/domain/room"
	"chat/ports"
)

// pushProcessor is a fakeProcessor that also runs push jobs.
type pushProcessor struct {
	*fakeProcessor
}

func (p pushProcessor) Notify(ctx context.Context, r room.ID, m message.ID) error {
	p.calls <- call{kind: ports.JobNotify, id: int64(m)}
	return nil
}

func (p pushProcessor) SendPush(ctx context.Context, s push.SubscriptionID, r room.ID, m message.ID) error {
	p.calls <- call{kind: ports.JobPush, id: int64(s)}
	return nil
}

// TestPushJobsOncePerArguments: a message's notify job, and its push to
// one subscription, are queued once however often they are inserted.
func TestPushJobsOncePerArguments(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			q, _ := b.open(t, nil)
			ctx := context.Background()
			for range 2 {
				for _, j := range []ports.Job{
					{Kind: ports.JobNotify, Room: 3, Message: 30},
					{Kind: ports.JobPush, Room: 3, Message: 30, Subscription: 7},
					{Kind: ports.JobPush, Room: 3, Message: 30, Subscription: 8},
				} {
					if err := q.Enqueue(ctx, j); err != nil {
						t.Fatalf("Enqueue(%+v): %v", j, err)
					}
				}
			}
			if n := countJobs(t, q); n != 3 {
				t.Errorf("%d jobs, want 3", n)
			}
			if err := q.Enqueue(ctx, ports.Job{Kind: ports.JobPush, Room: 3, Message: 30}); err == nil {
				t.Error("a push job without a subscription was queued")
			}
		})
	}
}

func TestPushJobsRun(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			proc := pushProcessor{newFakeProcessor()}
			queue, _ := b.connect(t)
			q := queue(proc, testOptions)
			startQueue(t, q)
			ctx := context.Background()
			if err := q.Enqueue(ctx, ports.Job{Kind: ports.JobNotify, Room: 3, Message: 31}); err != nil {
				t.Fatal(err)
			}
			if got := proc.next(t); got != (call{kind: ports.JobNotify, id: 31}) {
				t.Errorf("ran %+v, want the notify of 31", got)
			}
			if err := q.Enqueue(ctx, ports.Job{Kind: ports.JobPush, Room: 3, Message: 31, Subscription: 9}); err != nil {
				t.Fatal(err)
			}
			if got := proc.next(t); got != (call{kind: ports.JobPush, id: 9}) {
				t.Errorf("ran %+v, want the push to 9", got)
			}
		})
	}
}
