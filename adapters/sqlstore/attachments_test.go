package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"chat/adapters/jobs"
	"chat/adapters/sqlstore"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
	"chat/ports/porttest"
)

// attachmentDB is a migrated database with an insert-only River queue on
// it, a user and two rooms, and a River client that lists the jobs.
type attachmentDB struct {
	db          *sqlstore.DB
	queue       *jobs.Queue
	river       *river.Client[*sql.Tx]
	user        user.ID
	room, other room.ID
	seen        int // jobs already returned by jobs()
}

func openAttachmentDB(t *testing.T, dialect, dsn string) *attachmentDB {
	t.Helper()
	ctx := context.Background()
	db := open(t, dialect, dsn)
	if err := db.Migrate(ctx, "up"); err != nil {
		t.Fatalf("Migrate up: %v", err)
	}
	sqlDB, err := db.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	var (
		q      *jobs.Queue
		driver riverdriver.Driver[*sql.Tx]
	)
	if dialect == sqlstore.Postgres {
		pool, perr := pgxpool.New(ctx, dsn)
		if perr != nil {
			t.Fatal(perr)
		}
		t.Cleanup(pool.Close)
		q, err = jobs.NewPostgres(ctx, pool, sqlDB, nil, nil, jobs.Options{})
		driver = riverdatabasesql.New(sqlDB)
	} else {
		q, err = jobs.NewSQLite(ctx, sqlDB, nil, nil, jobs.Options{})
		driver = riversqlite.New(sqlDB)
	}
	if err != nil {
		t.Fatalf("job queue: %v", err)
	}
	lister, err := river.NewClient(driver, &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := user.NewUsername("sharer")
	u, err := db.Users().Create(ctx, user.User{Username: name, CreatedAt: time.Now()}, "x")
	if err != nil {
		t.Fatal(err)
	}
	a := &attachmentDB{db: db, queue: q, river: lister, user: u.ID}
	for _, r := range []*room.ID{&a.room, &a.other} {
		created, err := db.Rooms().Create(ctx, room.Room{Name: "files", OwnerID: u.ID, CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		*r = created.ID
	}
	return a
}

// jobs returns the jobs River holds that earlier calls did not return.
func (a *attachmentDB) jobs(t *testing.T) []ports.Job {
	t.Helper()
	res, err := a.river.JobList(context.Background(), river.NewJobListParams().First(10_000))
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	var all []ports.Job
	for _, j := range res.Jobs {
		var args struct {
			AttachmentID int64  `json:"attachment_id"`
			UserID       int64  `json:"user_id"`
			BlobKey      string `json:"blob_key"`
		}
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			t.Fatalf("job args %q: %v", j.EncodedArgs, err)
		}
		all = append(all, ports.Job{Kind: j.Kind, AttachmentID: attachment.ID(args.AttachmentID), UserID: user.ID(args.UserID), BlobKey: args.BlobKey})
	}
	out := all[a.seen:]
	a.seen = len(all)
	return out
}

func TestAttachmentStore(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			porttest.AttachmentStore(t, func(t *testing.T) porttest.AttachmentFixture {
				a := openAttachmentDB(t, d.name, d.dsn(t))
				return porttest.AttachmentFixture{
					Store: a.db.Attachments(a.queue), Room: a.room, OtherRoom: a.other, User: a.user, Jobs: a.jobs,
					Rooms: a.db.Rooms(),
				}
			})
		})
	}
}

// failingInserter inserts the job for real, then fails: the transaction
// must roll back both the job and the row.
type failingInserter struct {
	real sqlstore.JobInserter
	err  error
}

func (f failingInserter) InsertTx(ctx context.Context, tx *sql.Tx, j ports.Job) error {
	if err := f.real.InsertTx(ctx, tx, j); err != nil {
		return err
	}
	return f.err
}

// TestAttachmentRowAndJobCommitTogether shows that no attachment is left
// without its job and no job without its row, whichever insert fails.
func TestAttachmentRowAndJobCommitTogether(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := openAttachmentDB(t, d.name, d.dsn(t))
			queueDown := domain.Errorf(domain.Unavailable, "", "queue down")
			row := func(r room.ID, key string) attachment.Attachment {
				return attachment.Attachment{
					RoomID: r, UserID: a.user, Filename: "cat.png", ContentType: "image/png", Size: 10,
					BlobKey: key, ThumbnailStatus: attachment.ThumbnailPending,
				}
			}
			thumb := &ports.Job{Kind: ports.JobThumbnail}
			if _, err := a.db.Attachments(a.queue).Create(ctx, row(a.room, "f/aa/first"), thumb); err != nil {
				t.Fatal(err)
			}
			a.jobs(t) // the first row's job

			for _, tc := range []struct {
				name  string
				store *sqlstore.AttachmentStore
				row   attachment.Attachment
				job   *ports.Job
				kind  domain.Kind
			}{
				{"the row fails: no such room", a.db.Attachments(a.queue), row(987654, "f/aa/x1"), thumb, domain.NotFound},
				{"the row fails: blob key taken", a.db.Attachments(a.queue), row(a.room, "f/aa/first"), thumb, domain.Conflict},
				{"the job fails after inserting", a.db.Attachments(failingInserter{a.queue, queueDown}), row(a.room, "f/aa/x2"), thumb, domain.Unavailable},
				{"the job is invalid", a.db.Attachments(a.queue), row(a.room, "f/aa/x3"), &ports.Job{Kind: "sideways"}, domain.Invalid},
				{"no inserter for a job", a.db.Attachments(nil), row(a.room, "f/aa/x4"), thumb, domain.Internal},
			} {
				_, err := tc.store.Create(ctx, tc.row, tc.job)
				if k := domain.KindOf(err); err == nil || k != tc.kind {
					t.Errorf("%s: Create = %v (kind %v), want kind %v", tc.name, err, k, tc.kind)
				}
				if jobs := a.jobs(t); len(jobs) != 0 {
					t.Errorf("%s: jobs left behind: %v", tc.name, jobs)
				}
			}
			list, err := a.db.Attachments(nil).List(ctx, a.room, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].BlobKey != "f/aa/first" {
				t.Errorf("rows after the failed creates: %+v, want only the first", list)
			}
		})
	}
}

// TestAttachmentStoreCancelled checks that a cancelled caller gets its
// context error, not Internal.
func TestAttachmentStoreCancelled(t *testing.T) {
	a := openAttachmentDB(t, sqlstore.SQLite, dialects[1].dsn(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.db.Attachments(a.queue).List(ctx, a.room, 0, 10)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("List(cancelled ctx) = %v, want context.Canceled", err)
	}
}
