package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"chat/application"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// MaxAttempts is how often a job runs before River discards it.
const MaxAttempts = 5

// queueName is River's queue for these jobs.
const queueName = river.QueueDefault

// ThumbnailArgs is the thumbnail job of one attachment.
type ThumbnailArgs struct {
	AttachmentID int64 `json:"attachment_id"`
}

func (ThumbnailArgs) Kind() string { return ports.JobThumbnail }

func (ThumbnailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts, Queue: queueName}
}

// AvatarArgs is the avatar job of one uploaded original.
type AvatarArgs struct {
	UserID  int64  `json:"user_id"`
	BlobKey string `json:"blob_key"`
}

func (AvatarArgs) Kind() string { return ports.JobAvatar }

func (AvatarArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts, Queue: queueName}
}

// SendArgs is the job that delivers a scheduled message at its time. At
// is the send time it was scheduled for: a message rescheduled since has
// another job, and this one does nothing.
type SendArgs struct {
	ScheduledID int64     `json:"scheduled_id"`
	At          time.Time `json:"at"`
}

func (SendArgs) Kind() string { return ports.JobSend }

func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts * 4, Queue: queueName}
}

// PurgeArgs removes the blobs of a deleted message's files.
type PurgeArgs struct {
	BlobKeys []string `json:"blob_keys"`
}

func (PurgeArgs) Kind() string { return ports.JobPurge }

func (PurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts * 4, Queue: queueName}
}

// NotifyArgs finds who a stored message is pushed to (application
// PushJobs.Notify). Unique by its arguments: a message is queued once.
type NotifyArgs struct {
	RoomID    int64 `json:"room_id"`
	MessageID int64 `json:"message_id"`
}

func (NotifyArgs) Kind() string { return ports.JobNotify }

func (NotifyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts, Queue: queueName, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PushArgs sends one message to one push subscription. Unique by its
// arguments: a subscription gets a message once. Its retries back off
// (River's default) until the push's TTL ends it.
type PushArgs struct {
	SubscriptionID int64 `json:"subscription_id"`
	RoomID         int64 `json:"room_id"`
	MessageID      int64 `json:"message_id"`
}

func (PushArgs) Kind() string { return ports.JobPush }

func (PushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts * 2, Queue: queueName, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// purgeMax bounds the keys of one purge job (a message has at most 10
// files, each with a thumbnail).
const purgeMax = 64

// Processor is what the workers call: the application's file and message
// jobs, and its push jobs when it implements application.PushJobs.
type Processor interface {
	application.FileProcessor
	application.MessageJobs
}

// argsOf translates a port job into River's arguments, with its
// scheduled time (zero: now).
func argsOf(j ports.Job) (river.JobArgs, error) {
	switch j.Kind {
	case ports.JobSend:
		if j.Scheduled > 0 && !j.RunAt.IsZero() {
			return SendArgs{ScheduledID: int64(j.Scheduled), At: j.RunAt.UTC()}, nil
		}
	case ports.JobPurge:
		if len(j.BlobKeys) > 0 && len(j.BlobKeys) <= purgeMax {
			return PurgeArgs{BlobKeys: j.BlobKeys}, nil
		}
	case ports.JobThumbnail:
		if j.AttachmentID > 0 {
			return ThumbnailArgs{AttachmentID: int64(j.AttachmentID)}, nil
		}
	case ports.JobAvatar:
		if j.UserID > 0 && j.BlobKey != "" {
			return AvatarArgs{UserID: int64(j.UserID), BlobKey: j.BlobKey}, nil
		}
	case ports.JobNotify:
		if j.Room > 0 && j.Message > 0 {
			return NotifyArgs{RoomID: int64(j.Room), MessageID: int64(j.Message)}, nil
		}
	case ports.JobPush:
		if j.Room > 0 && j.Message > 0 && j.Subscription > 0 {
			return PushArgs{SubscriptionID: int64(j.Subscription), RoomID: int64(j.Room), MessageID: int64(j.Message)}, nil
		}
	}
	return nil, domain.Errorf(domain.Invalid, "invalid_job", "invalid %q job", j.Kind)
}

// outcome is the one rule from the application's errors to River's
// outcomes: a permanent failure (the input is bad or gone) cancels the job;
// anything else is returned and River retries it with backoff.
func outcome(err error) error {
	if err == nil {
		return nil
	}
	switch domain.KindOf(err) {
	case domain.Invalid, domain.NotFound, domain.Unsupported:
		return river.JobCancel(err)
	}
	return err
}

// insertOpts schedules j for its RunAt. River takes each option from the
// insert's options when set there, else from the args' InsertOpts.
func insertOpts(j ports.Job) *river.InsertOpts {
	if j.RunAt.IsZero() {
		return nil
	}
	return &river.InsertOpts{ScheduledAt: j.RunAt}
}

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	p application.MessageJobs
}

func (w *sendWorker) Work(ctx context.Context, j *river.Job[SendArgs]) error {
	return outcome(w.p.DeliverScheduled(ctx, message.ScheduledID(j.Args.ScheduledID), j.Args.At))
}

type purgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	p application.MessageJobs
}

func (w *purgeWorker) Work(ctx context.Context, j *river.Job[PurgeArgs]) error {
	return outcome(w.p.PurgeBlobs(ctx, j.Args.BlobKeys))
}

type notifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	p application.PushJobs
}

func (w *notifyWorker) Work(ctx context.Context, j *river.Job[NotifyArgs]) error {
	return outcome(w.p.Notify(ctx, room.ID(j.Args.RoomID), message.ID(j.Args.MessageID)))
}

type pushWorker struct {
	river.WorkerDefaults[PushArgs]
	p application.PushJobs
}

func (w *pushWorker) Work(ctx context.Context, j *river.Job[PushArgs]) error {
	return outcome(w.p.SendPush(ctx, push.SubscriptionID(j.Args.SubscriptionID), room.ID(j.Args.RoomID), message.ID(j.Args.MessageID)))
}

type thumbnailWorker struct {
	river.WorkerDefaults[ThumbnailArgs]
	p Processor
}

func (w *thumbnailWorker) Work(ctx context.Context, j *river.Job[ThumbnailArgs]) error {
	return outcome(w.p.ProcessThumbnail(ctx, attachment.ID(j.Args.AttachmentID)))
}

type avatarWorker struct {
	river.WorkerDefaults[AvatarArgs]
	p Processor
}

func (w *avatarWorker) Work(ctx context.Context, j *river.Job[AvatarArgs]) error {
	return outcome(w.p.ProcessAvatar(ctx, user.ID(j.Args.UserID), j.Args.BlobKey))
}

// Options tune a Queue.
type Options struct {
	// Workers is how many jobs run at once; 0 means one per CPU (image work
	// is CPU-bound).
	Workers int
	// RetryPolicy decides when a failed job runs again; nil is River's
	// exponential backoff.
	RetryPolicy river.ClientRetryPolicy
	// PollInterval is how often idle workers look for jobs they were not
	// notified of; 0 is River's default (1 s).
	PollInterval time.Duration
	// Observer hears how each attempt of a job ends (metrics); nil:
	// nobody.
	Observer ports.JobObserver
}

// A Queue is also the transactional insert the SQL stores take
// (sqlstore.JobInserter): cmd/chatd hands one to them, so the compiler
// checks it there.
var _ ports.JobQueue = (*Queue)(nil)

// Queue is River on one database. Built with a nil processor it only
// inserts (chatd serve with WORKERS=0); Start and Run then do nothing.
//
// Every insert goes through River's client over database/sql (ins), whose
// transactions are the *sql.Tx gorm's stores hold: riversqlite on SQLite,
// riverdatabasesql on PostgreSQL. River writes the row with its own
// defaults, hooks and unique-job rules, and on PostgreSQL notifies the
// workers in the same transaction, so they wake when it commits.
type Queue struct {
	ins       *river.Client[*sql.Tx]
	start     func(ctx context.Context) error
	stop      func(ctx context.Context) error
	subscribe func(kinds ...river.EventKind) (<-chan *river.Event, func())
	working   bool
}

// config builds River's configuration; proc nil means insert-only.
func config(proc Processor, logger *slog.Logger, opts Options) *river.Config {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := &river.Config{
		Logger:            logger,
		MaxAttempts:       MaxAttempts,
		RetryPolicy:       opts.RetryPolicy,
		FetchPollInterval: opts.PollInterval,
	}
	if opts.PollInterval > 0 && opts.PollInterval < river.FetchCooldownDefault {
		cfg.FetchCooldown = opts.PollInterval
	}
	if proc != nil {
		n := opts.Workers
		if n <= 0 {
			n = runtime.NumCPU()
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &thumbnailWorker{p: proc})
		river.AddWorker(workers, &avatarWorker{p: proc})
		river.AddWorker(workers, &sendWorker{p: proc})
		river.AddWorker(workers, &purgeWorker{p: proc})
		if p, ok := proc.(application.PushJobs); ok {
			river.AddWorker(workers, &notifyWorker{p: p})
			river.AddWorker(workers, &pushWorker{p: p})
		}
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{queueName: {MaxWorkers: n}}
		if opts.Observer != nil {
			cfg.Middleware = []rivertype.Middleware{&observed{obs: opts.Observer}}
		}
	}
	return cfg
}

// works makes q run its jobs on c.
func (q *Queue) works(c interface {
	Start(context.Context) error
	Stop(context.Context) error
	Subscribe(...river.EventKind) (<-chan *river.Event, func())
}) {
	q.start, q.stop, q.subscribe, q.working = c.Start, c.Stop, c.Subscribe, true
}

// NewPostgres migrates River's tables (under an advisory lock, so
// instances starting together take turns) and returns a queue on the
// database: it inserts over db, the store's database/sql pool, so an
// attachment's job joins the row's transaction; with a processor its
// workers run on pool.
//
// The workers stay on riverpgxv5, River's primary PostgreSQL driver: its
// LISTEN connection takes the insert notifications, and fetching and
// completing jobs on a pool of their own keeps long image work from
// holding connections the requests' queries need. Only the inserts, which
// must share the stores' *sql.Tx, go through riverdatabasesql; both
// drivers read and write the same tables, migrated once by River.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, db *sql.DB, proc Processor, logger *slog.Logger, opts Options) (*Queue, error) {
	driver := riverpgxv5.New(pool)
	if err := migratePostgres(ctx, pool, driver); err != nil {
		return nil, err
	}
	ins, err := river.NewClient(riverdatabasesql.New(db), config(nil, logger, opts))
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	q := &Queue{ins: ins}
	if proc != nil {
		c, err := river.NewClient(driver, config(proc, logger, opts))
		if err != nil {
			return nil, fmt.Errorf("river client: %w", err)
		}
		q.works(c)
	}
	return q, nil
}

// migrateLockKey is the advisory lock taken while River's schema migrates.
const migrateLockKey = 0x63686174_6a6f6273 // "chatjobs"

func migratePostgres(ctx context.Context, pool *pgxpool.Pool, driver *riverpgxv5.Driver) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return unavailable("connect to PostgreSQL", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLockKey)); err != nil {
		return unavailable("lock River migrations", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLockKey))
	}()
	return migrate(ctx, driver)
}

// migrate brings River's tables up to the version River ships: an
// existing database moves forward, a new one is created.
func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate River's tables: %w", err)
	}
	return nil
}

// NewSQLite migrates River's tables and returns a queue on db: one
// riversqlite client inserts (in the stores' transactions) and works.
// SQLite allows one writer at a time: open db with a busy timeout (for
// example _busy_timeout=5000 with mattn/go-sqlite3) and WAL journal mode.
func NewSQLite(ctx context.Context, db *sql.DB, proc Processor, logger *slog.Logger, opts Options) (*Queue, error) {
	driver := riversqlite.New(db)
	if err := migrate(ctx, driver); err != nil {
		return nil, err
	}
	c, err := river.NewClient(driver, config(proc, logger, opts))
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	q := &Queue{ins: c}
	if proc != nil {
		q.works(c)
	}
	return q, nil
}

func unavailable(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return domain.Wrap(domain.Unavailable, "", what, err)
}

// Enqueue inserts j on its own.
func (q *Queue) Enqueue(ctx context.Context, j ports.Job) error {
	args, err := argsOf(j)
	if err != nil {
		return err
	}
	if _, err := q.ins.Insert(ctx, args, insertOpts(j)); err != nil {
		return unavailable("enqueue "+j.Kind+" job", err)
	}
	return nil
}

// InsertTx inserts j in tx: it runs only if tx commits.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, j ports.Job) error {
	args, err := argsOf(j)
	if err != nil {
		return err
	}
	if _, err := q.ins.InsertTx(ctx, tx, args, insertOpts(j)); err != nil {
		return unavailable("insert "+j.Kind+" job", err)
	}
	return nil
}

// Start starts the workers in the background; a no-op for an insert-only
// queue. Cancelling ctx cancels running jobs; Stop ends them gracefully.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	return q.start(ctx)
}

// Stop waits for running jobs to finish, until ctx ends.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	return q.stop(ctx)
}

// Run starts the workers, waits for ctx to end, then stops them, giving
// running jobs up to grace to finish. It fits an errgroup in chatd.
func (q *Queue) Run(ctx context.Context, grace time.Duration) error {
	if !q.working {
		<-ctx.Done()
		return nil
	}
	// Cancelling Start's context would cancel running jobs at once; they
	// get the grace period instead.
	if err := q.start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job workers: %w", err)
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	return q.stop(stopCtx)
}
