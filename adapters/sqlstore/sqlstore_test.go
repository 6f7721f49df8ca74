package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"chat/adapters/sqlstore"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/user"
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
				db := open(t, d.name, d.dsn(t))
				if err := db.Migrate(context.Background(), "up"); err != nil {
					t.Fatalf("Migrate up: %v", err)
				}
				return porttest.StoreSet{Users: db.Users(), Accounts: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.Messages(), Sessions: db.Sessions(), Reads: db.Reads(), Invites: db.Invites()}
			})
		})
	}
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
			}{{"up", 6}, {"up", 6}, {"down", 0}, {"down", 0}, {"up", 6}} {
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
