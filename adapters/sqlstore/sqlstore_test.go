package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"chat/adapters/sqlstore"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/user"
	"chat/ports"
	"chat/ports/porttest"
	"chat/test/services"
)

// dialects opens a fresh, empty database of each dialect.
var dialects = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{sqlstore.Postgres, func(t *testing.T) string { return services.Postgres(t) }},
	{sqlstore.SQLite, func(t *testing.T) string { return filepath.Join(t.TempDir(), "chat.db") }},
}

func open(t *testing.T, dialect, dsn string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dialect, dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestStores(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			porttest.Stores(t, func(t *testing.T) porttest.StoreSet {
				return storeSet(t, openMigrated(t, d.name, d.dsn(t)))
			})
		})
	}
}

func TestSearch(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			porttest.Search(t, func(t *testing.T) porttest.SearchSet {
				db := openMigrated(t, d.name, d.dsn(t))
				return porttest.SearchSet{StoreSet: storeSet(t, db), Search: db.Search()}
			})
		})
	}
}

// openMigrated opens a database (closed when t ends) and migrates it up.
func openMigrated(t *testing.T, dialect, dsn string) *sqlstore.DB {
	t.Helper()
	db := open(t, dialect, dsn)
	if err := db.Migrate(context.Background(), "up"); err != nil {
		t.Fatalf("Migrate up: %v", err)
	}
	return db
}

// storeSet is db's stores, with a job table for those that commit jobs.
func storeSet(t *testing.T, db *sqlstore.DB) porttest.StoreSet {
	jobs := newJobTable(t, db)
	return porttest.StoreSet{
		Users: db.Users(), Accounts: db.Users(), Roles: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.MessagesWithJobs(jobs),
		Sessions: db.Sessions(), Reads: db.Reads(), Invites: db.Invites(), Files: db.Attachments(jobs), Scheduled: db.Scheduled(jobs),
		Jobs: jobs.take,
	}
}

// jobTable is a sqlstore.JobInserter for the contract suites: it writes
// each job into a table of its own in the caller's transaction, so a job
// exists exactly when the transaction that inserted it commits, as with
// River, whatever kinds of job River knows.
type jobTable struct {
	db      *sql.DB
	dialect string
	seen    int64
}

func newJobTable(t *testing.T, db *sqlstore.DB) *jobTable {
	t.Helper()
	sqlDB, err := db.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	ddl := `CREATE TABLE test_jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL)`
	if db.Dialect() == sqlstore.Postgres {
		ddl = `CREATE TABLE test_jobs (id bigserial PRIMARY KEY, job text NOT NULL)`
	}
	if _, err := sqlDB.Exec(ddl); err != nil {
		t.Fatalf("create the job table: %v", err)
	}
	return &jobTable{db: sqlDB, dialect: db.Dialect()}
}

func (j *jobTable) InsertTx(ctx context.Context, tx *sql.Tx, job ports.Job) error {
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	q := `INSERT INTO test_jobs (job) VALUES (?)`
	if j.dialect == sqlstore.Postgres {
		q = `INSERT INTO test_jobs (job) VALUES ($1)`
	}
	_, err = tx.ExecContext(ctx, q, string(b))
	return err
}

// take returns the jobs committed since its last call, in order.
func (j *jobTable) take(t *testing.T) []ports.Job {
	t.Helper()
	q := `SELECT id, job FROM test_jobs WHERE id > ? ORDER BY id`
	if j.dialect == sqlstore.Postgres {
		q = `SELECT id, job FROM test_jobs WHERE id > $1 ORDER BY id`
	}
	rows, err := j.db.Query(q, j.seen)
	if err != nil {
		t.Fatalf("read jobs: %v", err)
	}
	defer rows.Close()
	var out []ports.Job
	for rows.Next() {
		var body string
		var job ports.Job
		if err := rows.Scan(&j.seen, &body); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(body), &job); err != nil {
			t.Fatal(err)
		}
		out = append(out, job)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrateUpDownUp(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, d.name, d.dsn(t))
			version := func(want uint) {
				t.Helper()
				v, dirty, err := db.Version(ctx)
				if err != nil || v != want || dirty {
					t.Fatalf("Version = %d, dirty %v, %v; want %d, clean", v, dirty, err, want)
				}
			}
			version(0)
			for _, step := range []struct {
				dir  string
				want uint
			}{{"up", 11}, {"up", 11}, {"down", 0}, {"down", 0}, {"up", 11}} {
				if err := db.Migrate(ctx, step.dir); err != nil {
					t.Fatalf("Migrate %s: %v", step.dir, err)
				}
				version(step.want)
			}
			// The stores work on the re-created schema, and the pools
			// survived the migrations' own connections closing.
			if err := db.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Rooms().Visible(ctx, 1); err != nil {
				t.Fatalf("Visible after up/down/up: %v", err)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, dialect, dsn string
	}{
		{"unknown dialect", "mysql", "whatever"},
		{"sqlite in memory", sqlstore.SQLite, ":memory:"},
		{"sqlite without a path", sqlstore.SQLite, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqlstore.Open(context.Background(), tc.dialect, tc.dsn)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if k := domain.KindOf(err); k != domain.Invalid {
				t.Errorf("kind = %v, want invalid (err: %v)", k, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			db := open(t, d.name, d.dsn(t))
			err := db.Migrate(context.Background(), "sideways")
			if k := domain.KindOf(err); k != domain.Invalid {
				t.Errorf("Migrate(sideways): kind %v, want invalid (err: %v)", k, err)
			}
			if err := db.Migrate(context.Background(), "up"); err != nil {
				t.Fatal(err)
			}
			// A cancelled caller gets its context error back, not Internal.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err = db.Rooms().Visible(ctx, 1)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Visible(cancelled ctx) = %v, want context.Canceled", err)
			}
			_, _, err = db.Messages().Append(ctx, message.Message{RoomID: 1, UserID: 1, Content: "x"})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Append(cancelled ctx) = %v, want context.Canceled", err)
			}
		})
	}
}

// TestSQLiteFilesArePrivate: the database and its WAL files are 0600
// whether the directory existed or not, and an older file is narrowed.
func TestSQLiteFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"new file in an existing directory", func(*testing.T, string) {}},
		{"existing world-readable files", func(t *testing.T, path string) {
			for _, p := range []string{path, path + "-wal"} {
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, 0o644); err != nil { // whatever the umask
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chat.db")
			tc.setup(t, path)
			db := open(t, sqlstore.SQLite, path)
			if err := db.Migrate(ctx, "up"); err != nil {
				t.Fatal(err)
			}
			name, _ := user.NewUsername("alice")
			if _, err := db.Users().Create(ctx, user.User{Username: name}, "x"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(p), err)
				}
				if mode := fi.Mode().Perm(); mode != 0o600 {
					t.Errorf("%s has mode %o, want 600", filepath.Base(p), mode)
				}
			}
		})
	}
}
