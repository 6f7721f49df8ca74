package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", as gorm's postgres driver uses
	_ "github.com/mattn/go-sqlite3"  // database/sql driver "sqlite3", as gorm's sqlite driver uses
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/user"
	"chat/ports"
	"chat/test/services"
)

// call is one call the workers made to the processor.
type call struct {
	kind string
	id   int64
	key  string
}

// fakeProcessor records calls and answers with the errors a test scripts
// per attachment id (consumed in order; then nil).
type fakeProcessor struct {
	mu     sync.Mutex
	script map[attachment.ID][]error
	calls  chan call
}

func newFakeProcessor() *fakeProcessor {
	return &fakeProcessor{script: map[attachment.ID][]error{}, calls: make(chan call, 100)}
}

func (p *fakeProcessor) fail(id attachment.ID, errs ...error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script[id] = errs
}

func (p *fakeProcessor) ProcessThumbnail(ctx context.Context, id attachment.ID) error {
	p.mu.Lock()
	var err error
	if s := p.script[id]; len(s) > 0 {
		err, p.script[id] = s[0], s[1:]
	}
	p.mu.Unlock()
	p.calls <- call{kind: ports.JobThumbnail, id: int64(id)}
	return err
}

func (p *fakeProcessor) ProcessAvatar(ctx context.Context, u user.ID, key string) error {
	p.calls <- call{kind: ports.JobAvatar, id: int64(u), key: key}
	return nil
}

func (p *fakeProcessor) DeliverScheduled(ctx context.Context, id message.ScheduledID, at time.Time) error {
	p.calls <- call{kind: ports.JobSend, id: int64(id), key: at.UTC().Format(time.RFC3339Nano)}
	return nil
}

func (p *fakeProcessor) PurgeBlobs(ctx context.Context, keys []string) error {
	p.calls <- call{kind: ports.JobPurge, key: strings.Join(keys, ",")}
	return nil
}

func (p *fakeProcessor) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-p.calls:
		return c
	case <-time.After(15 * time.Second):
		t.Fatal("no job ran")
		return call{}
	}
}

// fastRetry retries after 10 ms instead of River's backoff of seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(10 * time.Millisecond) }

var testOptions = Options{Workers: 2, RetryPolicy: fastRetry{}, PollInterval: 50 * time.Millisecond}

// backend connects to a fresh database and gives the test the *sql.DB a
// gorm store would use, with its placeholder style, and a way to open
// queues on that database.
type backend struct {
	name    string
	arg     string // placeholder of the first argument
	connect func(t *testing.T) (queue func(Processor, Options) *Queue, db *sql.DB)
}

// open connects and opens one queue; proc nil makes it insert-only.
func (b backend) open(t *testing.T, proc *fakeProcessor) (*Queue, *sql.DB) {
	t.Helper()
	queue, db := b.connect(t)
	if proc == nil {
		return queue(nil, testOptions), db
	}
	return queue(proc, testOptions), db
}

func backends() []backend {
	return []backend{
		{name: "postgres", arg: "$1", connect: func(t *testing.T) (func(Processor, Options) *Queue, *sql.DB) {
			url := services.Postgres(t)
			ctx := context.Background()
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return func(proc Processor, opts Options) *Queue {
				q, err := NewPostgres(ctx, pool, db, proc, nil, opts)
				if err != nil {
					t.Fatal(err)
				}
				return q
			}, db
		}},
		{name: "sqlite", arg: "?", connect: func(t *testing.T) (func(Processor, Options) *Queue, *sql.DB) {
			path := filepath.Join(t.TempDir(), "chat.db")
			db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return func(proc Processor, opts Options) *Queue {
				q, err := NewSQLite(context.Background(), db, proc, nil, opts)
				if err != nil {
					t.Fatal(err)
				}
				return q
			}, db
		}},
	}
}

// started opens a queue with workers and stops it when the test ends.
func started(t *testing.T, b backend, proc *fakeProcessor) (*Queue, *sql.DB) {
	t.Helper()
	q, db := b.open(t, proc)
	startQueue(t, q)
	return q, db
}

func startQueue(t *testing.T, q *Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

// insertWithRow inserts a row of a table of the caller's and a thumbnail
// job in one transaction, then commits or rolls back.
func insertWithRow(t *testing.T, b backend, q *Queue, db *sql.DB, id attachment.ID, commit bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS files_t (id BIGINT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO files_t (id) VALUES (`+b.arg+`)`, int64(id)); err != nil {
		t.Fatal(err)
	}
	if err := q.InsertTx(ctx, tx, ports.Job{Kind: ports.JobThumbnail, AttachmentID: id}); err != nil {
		t.Fatalf("InsertTx: %v", err)
	}
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// countJobs counts the jobs River holds, in every state, as River lists
// them.
func countJobs(t *testing.T, q *Queue) int {
	t.Helper()
	res, err := q.ins.JobList(context.Background(), river.NewJobListParams().First(10_000))
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	return len(res.Jobs)
}

// waitEvent waits for River to report a job of kind in the given state.
func waitEvent(t *testing.T, events <-chan *river.Event) *river.Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(15 * time.Second):
		t.Fatal("no job event")
		return nil
	}
}

func TestJobsCommittedInsertRuns(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			proc := newFakeProcessor()
			q, db := started(t, b, proc)
			insertWithRow(t, b, q, db, 7, true)
			if got := proc.next(t); got != (call{kind: ports.JobThumbnail, id: 7}) {
				t.Errorf("ran %+v, want the thumbnail of 7", got)
			}
		})
	}
}

// A job committed by an insert-only queue (chatd's stores, over
// database/sql) notifies the PostgreSQL workers when its transaction
// commits, on the topic River's listener takes (<schema>.river_insert), so
// they wake at once instead of at their next poll. The test listens on
// that topic itself: River's own workers start listening at a moment the
// test cannot see.
func TestJobsCommittedInsertNotifiesPostgresWorkers(t *testing.T) {
	b := backends()[0]
	queue, db := b.connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `LISTEN "`+schema+`.river_insert"`); err != nil {
		t.Fatal(err)
	}
	insertWithRow(t, b, queue(nil, testOptions), db, 31, true)
	err = conn.Raw(func(driverConn any) error {
		n, err := driverConn.(*stdlib.Conn).Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var payload struct{ Queue string }
		if err := json.Unmarshal([]byte(n.Payload), &payload); err != nil || payload.Queue != queueName {
			t.Errorf("notification %q, want one for queue %q", n.Payload, queueName)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("no insert notification after the commit: %v", err)
	}
}

func TestJobsRolledBackInsertLeavesNoJob(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			q, db := b.open(t, nil)
			insertWithRow(t, b, q, db, 8, false)
			if n := countJobs(t, q); n != 0 {
				t.Errorf("%d jobs after a rollback, want 0", n)
			}
			insertWithRow(t, b, q, db, 9, true)
			if n := countJobs(t, q); n != 1 {
				t.Errorf("%d jobs after a commit, want 1", n)
			}
		})
	}
}

func TestJobsPermanentErrorCancels(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, kind := range []domain.Kind{domain.Invalid, domain.NotFound, domain.Unsupported} {
				proc := newFakeProcessor()
				q, _ := started(t, b, proc)
				events, stop := q.subscribe(river.EventKindJobCancelled, river.EventKindJobCompleted, river.EventKindJobFailed)
				proc.fail(13, domain.Errorf(kind, "invalid_image", "bad image"))
				if err := q.Enqueue(context.Background(), ports.Job{Kind: ports.JobThumbnail, AttachmentID: 13}); err != nil {
					t.Fatal(err)
				}
				e := waitEvent(t, events)
				stop()
				if e.Kind != river.EventKindJobCancelled || e.Job.State != rivertype.JobStateCancelled || e.Job.Attempt != 1 {
					t.Errorf("%v: event %s, state %s after %d attempts; want cancelled after 1", kind, e.Kind, e.Job.State, e.Job.Attempt)
				}
				proc.next(t)
			}
		})
	}
}

func TestJobsTransientErrorRetries(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			proc := newFakeProcessor()
			q, _ := started(t, b, proc)
			events, stop := q.subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled)
			defer stop()
			proc.fail(21, errors.New("connection reset"), domain.Errorf(domain.Unavailable, "", "database down"))
			if err := q.Enqueue(context.Background(), ports.Job{Kind: ports.JobThumbnail, AttachmentID: 21}); err != nil {
				t.Fatal(err)
			}
			e := waitEvent(t, events)
			if e.Kind != river.EventKindJobCompleted || e.Job.Attempt != 3 || e.Job.MaxAttempts != MaxAttempts {
				t.Errorf("event %s after %d of %d attempts; want completed on the 3rd of %d", e.Kind, e.Job.Attempt, e.Job.MaxAttempts, MaxAttempts)
			}
			for range 3 {
				proc.next(t)
			}
		})
	}
}

func TestJobsAvatarEnqueue(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			proc := newFakeProcessor()
			q, _ := started(t, b, proc)
			if err := q.Enqueue(context.Background(), ports.Job{Kind: ports.JobAvatar, UserID: 5, BlobKey: "o/5/abc"}); err != nil {
				t.Fatal(err)
			}
			if got := proc.next(t); got != (call{kind: ports.JobAvatar, id: 5, key: "o/5/abc"}) {
				t.Errorf("ran %+v", got)
			}
		})
	}
}

func TestJobsRejectsMalformedJobs(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			q, _ := b.open(t, nil)
			for _, j := range []ports.Job{
				{Kind: "resize"}, {Kind: ports.JobThumbnail}, {Kind: ports.JobAvatar, UserID: 1}, {Kind: ports.JobAvatar, BlobKey: "o/1/x"},
			} {
				err := q.Enqueue(context.Background(), j)
				if domain.KindOf(err) != domain.Invalid || !strings.Contains(domain.CodeOf(err), "invalid_job") {
					t.Errorf("Enqueue(%+v) = %v, want Invalid invalid_job", j, err)
				}
			}
			if n := countJobs(t, q); n != 0 {
				t.Errorf("%d jobs stored, want 0", n)
			}
			// An insert-only queue starts and stops as a no-op.
			if err := q.Start(context.Background()); err != nil {
				t.Errorf("Start: %v", err)
			}
			if err := q.Stop(context.Background()); err != nil {
				t.Errorf("Stop: %v", err)
			}
		})
	}
}

func TestJobsOutcome(t *testing.T) {
	var cancel *rivertype.JobCancelError
	for _, tc := range []struct {
		err        error
		wantCancel bool
	}{
		{domain.Errorf(domain.Invalid, "", "x"), true},
		{domain.Errorf(domain.NotFound, "", "x"), true},
		{domain.Errorf(domain.Unsupported, "", "x"), true},
		{domain.Errorf(domain.Unavailable, "", "x"), false},
		{domain.Errorf(domain.Internal, "", "x"), false},
		{context.DeadlineExceeded, false},
		{errors.New("disk full"), false},
	} {
		got := outcome(tc.err)
		if errors.As(got, &cancel) != tc.wantCancel || !errors.Is(got, tc.err) {
			t.Errorf("outcome(%v) = %v, want cancel=%v wrapping the error", tc.err, got, tc.wantCancel)
		}
	}
	if outcome(nil) != nil {
		t.Error("outcome(nil) != nil")
	}
}

// A scheduled message's job waits for its time: it is not run before
// RunAt, and runs (with the time it was scheduled for) after it. The purge
// job of a deleted message's files runs with its keys.
func TestJobsScheduledSendAndPurge(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			proc := newFakeProcessor()
			q, _ := started(t, b, proc)
			ctx := context.Background()
			at := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Microsecond)
			if err := q.Enqueue(ctx, ports.Job{Kind: ports.JobSend, Scheduled: 9, RunAt: at}); err != nil {
				t.Fatal(err)
			}
			if err := q.Enqueue(ctx, ports.Job{Kind: ports.JobPurge, BlobKeys: []string{"f/a", "t/a"}}); err != nil {
				t.Fatal(err)
			}
			if got := proc.next(t); got != (call{kind: ports.JobPurge, key: "f/a,t/a"}) {
				t.Fatalf("first job %+v, want the purge (the send is scheduled later)", got)
			}
			got := proc.next(t)
			if got != (call{kind: ports.JobSend, id: 9, key: at.Format(time.RFC3339Nano)}) {
				t.Fatalf("ran %+v, want the send of 9 at %v", got, at)
			}
			if now := time.Now(); now.Before(at) {
				t.Errorf("the send ran at %v, before its time %v", now, at)
			}
		})
	}
}

func TestJobsArgsRefuseIncompleteMessageJobs(t *testing.T) {
	for _, j := range []ports.Job{
		{Kind: ports.JobSend, Scheduled: 1},
		{Kind: ports.JobSend, RunAt: time.Now()},
		{Kind: ports.JobPurge},
		{Kind: ports.JobPurge, BlobKeys: make([]string, purgeMax+1)},
	} {
		if _, err := argsOf(j); domain.KindOf(err) != domain.Invalid {
			t.Errorf("argsOf(%+v) = %v, want Invalid", j, err)
		}
	}
}
