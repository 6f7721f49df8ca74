package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"chat/ports"
)

// observed is River worker middleware that tells a ports.JobObserver how
// each attempt of a job ended and how long it ran.
type observed struct {
	river.MiddlewareDefaults
	obs ports.JobObserver
}

var _ rivertype.WorkerMiddleware = (*observed)(nil)

func (m *observed) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			m.obs.JobFinished(job.Kind, failed(job), time.Since(start))
			panic(p) // River's own recovery makes it a failed attempt
		}
		m.obs.JobFinished(job.Kind, outcomeOf(job, err), time.Since(start))
	}()
	return doInner(ctx)
}

// outcomeOf is what River makes of an attempt of job that returned err.
func outcomeOf(job *rivertype.JobRow, err error) string {
	var cancel *rivertype.JobCancelError
	var snooze *rivertype.JobSnoozeError
	switch {
	case err == nil:
		return ports.JobCompleted
	case errors.As(err, &cancel):
		return ports.JobCancelled
	case errors.As(err, &snooze):
		return ports.JobSnoozed
	}
	return failed(job)
}

// failed is the outcome of a failed attempt: retried, unless it was the
// last one River allows.
func failed(job *rivertype.JobRow) string {
	if job.Attempt >= job.MaxAttempts {
		return ports.JobDiscarded
	}
	return ports.JobRetried
}

// depthStates are the states whose jobs QueueDepth reports: waiting
// (available now, scheduled for later, retryable after a failure) and
// running.
var depthStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStateRunning,
}

// WatchDepth counts the jobs in each of depthStates every interval, with
// River's own count query, and reports them to obs until ctx ends; it
// returns nil then. A count that fails is skipped (the last one stands)
// and logged at most once a minute. Each count is bounded by interval.
func (q *Queue) WatchDepth(ctx context.Context, interval time.Duration, obs ports.JobObserver, log *slog.Logger) error {
	exec := q.ins.Driver().GetExecutor()
	t := time.NewTicker(interval)
	defer t.Stop()
	var warned time.Time
	for {
		if err := q.countDepth(ctx, exec, interval, obs); err != nil && ctx.Err() == nil && time.Since(warned) > time.Minute {
			warned = time.Now()
			log.WarnContext(ctx, "jobs: count the queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (q *Queue) countDepth(ctx context.Context, exec riverdriver.Executor, timeout time.Duration, obs ports.JobObserver) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, st := range depthStates {
		n, err := exec.JobCountByState(ctx, &riverdriver.JobCountByStateParams{State: st})
		if err != nil {
			return unavailable("count "+string(st)+" jobs", err)
		}
		obs.QueueDepth(string(st), n)
	}
	return nil
}
