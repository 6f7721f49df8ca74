package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/ports"
)

// jobOutcomes records what the queue reports.
type jobOutcomes struct {
	mu       sync.Mutex
	outcomes map[string]int // "kind outcome"
	depth    map[string]int
}

func newJobOutcomes() *jobOutcomes {
	return &jobOutcomes{outcomes: map[string]int{}, depth: map[string]int{}}
}

func (o *jobOutcomes) JobFinished(kind, outcome string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes[kind+" "+outcome]++
}

func (o *jobOutcomes) QueueDepth(state string, jobs int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.depth[state] = jobs
}

func TestJobOutcomesObserved(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			obs := newJobOutcomes()
			proc := newFakeProcessor()
			queue, _ := b.connect(t)
			opts := testOptions
			opts.Observer = obs
			q := queue(proc, opts)
			startQueue(t, q)
			events, stop := q.subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled)
			defer stop()
			proc.fail(41, errors.New("connection reset"), domain.Errorf(domain.Unavailable, "", "database down"))
			proc.fail(42, domain.Errorf(domain.Invalid, "invalid_image", "bad image"))
			for _, id := range []int64{41, 42} {
				if err := q.Enqueue(context.Background(), ports.Job{Kind: ports.JobThumbnail, AttachmentID: attachment.ID(id)}); err != nil {
					t.Fatal(err)
				}
			}
			waitEvent(t, events)
			waitEvent(t, events)
			// River reports the event after the middleware returned.
			obs.mu.Lock()
			defer obs.mu.Unlock()
			want := map[string]int{"thumbnail retried": 2, "thumbnail completed": 1, "thumbnail cancelled": 1}
			if diff := cmp.Diff(want, obs.outcomes); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueueDepthObserved(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			obs := newJobOutcomes()
			q, _ := b.open(t, nil)
			later := time.Now().Add(time.Hour)
			for id := range 3 {
				if err := q.Enqueue(context.Background(), ports.Job{Kind: ports.JobSend, Scheduled: message.ScheduledID(id + 1), RunAt: later}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- q.WatchDepth(ctx, 20*time.Millisecond, obs, slog.New(slog.DiscardHandler)) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("WatchDepth: %v", err)
				}
			}()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				obs.mu.Lock()
				got := map[string]int{}
				for k, v := range obs.depth {
					got[k] = v
				}
				obs.mu.Unlock()
				want := map[string]int{"available": 0, "scheduled": 3, "retryable": 0, "running": 0}
				diff := cmp.Diff(want, got)
				if diff == "" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("queue depth (-want +got):\n%s", diff)
				}
			}
		})
	}
}
