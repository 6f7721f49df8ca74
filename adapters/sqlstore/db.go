package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite3"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"chat/domain"
	"chat/migrations"
	"chat/ports"
)

// Dialects Open accepts.
const (
	Postgres = "postgres" // dsn: a postgres:// URL or key=value string
	SQLite   = "sqlite"   // dsn: a file path (not ":memory:")
)

// sqliteParams makes every SQLite connection wait up to 5 s for a lock
// instead of failing with SQLITE_BUSY, enforce foreign keys, use the WAL
// (readers beside one writer) with the fsync level WAL makes safe, and begin
// transactions IMMEDIATE so a transaction that will write takes the write
// lock up front instead of failing when it upgrades.
const sqliteParams = "_busy_timeout=5000&_foreign_keys=on&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"

// DB is an open database and the stores over it. It is safe for
// concurrent use.
type DB struct {
	dialect string
	dsn     string        // as the driver takes it (SQLite: with sqliteParams)
	write   *gorm.DB      // every statement that changes data
	read    *gorm.DB      // plain reads; the same as write on PostgreSQL
	appends *batcher      // group commit of MessageStore.Append
	hot     *hotStmts     // prepared statements of the hot reads (hot.go)
	timeout time.Duration // the longest an append's caller waits
	newest  newestPages
	indexed bool // appends write the search index and Search reads it (WithSearchIndex)
	// backlogBatch: messages per transaction of IndexBacklog;
	// searchWalk: messages a search checks itself before it asks the
	// index (search.go)
	backlogBatch, searchWalk int
	obs                      ports.CommitObserver
}

// Option tunes Open.
type Option func(*options)

type options struct {
	logger   *slog.Logger
	maxConns int
	timeout  time.Duration
	noIndex  bool
	observer ports.CommitObserver
}

// WithObserver reports each group commit of MessageStore.Append (its
// messages and its time) to o; without it nobody hears of them.
func WithObserver(o ports.CommitObserver) Option { return func(opts *options) { opts.observer = o } }

// WithTimeout bounds each wait for PostgreSQL (dial, and every read or
// write of a connection: see openPostgres) and how long an append's caller
// waits for its answer; default DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLogger logs slow statements (over 200 ms) and failed ones at warn
// level, with their SQL but never their arguments (message bodies, password
// hashes). Without it gorm logs nothing.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMaxConns bounds the connections of the pool (PostgreSQL) or of the
// read pool (SQLite, whose write pool always has one). Default 16 and 4.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithSearchIndex(false) runs without the search index: appends do not
// index their messages, and the SearchStore answers Unavailable
// "search_off". Edits and deletions still keep the index current (they
// are rare, and not what the switch measures), so erased text never
// stays behind and a later start with the index on (the default) has
// only the messages appended meanwhile to index: Migrate records where
// they start, IndexBacklog indexes them.
func WithSearchIndex(on bool) Option { return func(o *options) { o.noIndex = !on } }

// Open connects to the database and checks that it answers. It does not
// migrate; call Migrate.
func Open(ctx context.Context, dialect, dsn string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		o.timeout = DefaultTimeout
	}
	if o.observer == nil {
		o.observer = ports.Unobserved{}
	}
	db := &DB{dialect: dialect, dsn: dsn, timeout: o.timeout, obs: o.observer, indexed: !o.noIndex, backlogBatch: backlogBatch, searchWalk: searchWalk}
	var err error
	switch dialect {
	case Postgres:
		conn, err := openPostgres(dsn, o.timeout)
		if err != nil {
			return nil, domain.Wrap(domain.Invalid, "invalid_dsn", "invalid PostgreSQL URL", errors.New("the URL does not parse")) // pgx's error repeats the URL, password included
		}
		if db.write, err = openPool(postgres.New(postgres.Config{Conn: conn}), o, o.maxConns, 16); err != nil {
			return nil, err
		}
		db.read = db.write
	case SQLite:
		if dsn == "" || strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory") {
			return nil, domain.Errorf(domain.Invalid, "invalid_dsn", "sqlite needs a file path: its read and write pools must share the database")
		}
		if err := privateFiles(dsn); err != nil {
			return nil, err
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		db.dsn = dsn + sep + sqliteParams
		// The writer connects first (gorm's sqlite dialect queries the
		// version on open), so it is the one that switches a new file to WAL.
		if db.write, err = openPool(sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: db.dsn}), o, 1, 1); err != nil {
			return nil, err
		}
		if db.read, err = openPool(sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: db.dsn + "&_query_only=true"}), o, o.maxConns, 4); err != nil {
			db.Close()
			return nil, err
		}
	default:
		return nil, domain.Errorf(domain.Invalid, "invalid_dialect", "unknown SQL dialect %q (want %q or %q)", dialect, Postgres, SQLite)
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if dialect == SQLite {
		if err := db.checkFTS5(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	db.appends = newBatcher(db, committers[dialect])
	db.hot = newHotStmts(dialect, db.read.DB)
	return db, nil
}

// privateFiles makes the SQLite database at dsn readable by its owner only
// (0600), whatever the umask and whether or not its directory existed:
// it holds password hashes and every message. The file is created before
// SQLite opens it, and an existing one (with its -wal and -shm, which
// SQLite creates with the database file's mode) is narrowed.
func privateFiles(dsn string) error {
	name, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return domain.Wrap(domain.Internal, "", "create the database file", err)
	}
	if err := f.Close(); err != nil {
		return domain.Wrap(domain.Internal, "", "create the database file", err)
	}
	for _, p := range []string{name, name + "-wal", name + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return domain.Wrap(domain.Internal, "", "make the database file private", err)
		}
	}
	return nil
}

// openPool opens one gorm pool; each needs its own *gorm.Config, which
// gorm.Open takes over.
func openPool(d gorm.Dialector, o options, maxConns, def int) (*gorm.DB, error) {
	cfg := &gorm.Config{
		Logger: logger.Discard,
		// Each store call is one statement or an explicit transaction;
		// gorm's implicit transaction per write would only add round trips.
		SkipDefaultTransaction: true,
		// Open pings with the caller's context instead.
		DisableAutomaticPing: true,
		NowFunc:              func() time.Time { return stamp(time.Time{}) },
	}
	if o.logger != nil {
		cfg.Logger = logger.NewSlogLogger(o.logger, logger.Config{
			SlowThreshold:             200 * time.Millisecond,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
			LogLevel:                  logger.Warn,
		})
	}
	g, err := gorm.Open(d, cfg)
	if err != nil {
		return nil, fail("open database", err)
	}
	s, err := g.DB()
	if err != nil {
		return nil, fail("open database", err)
	}
	if maxConns <= 0 {
		maxConns = def
	}
	s.SetMaxOpenConns(maxConns)
	s.SetMaxIdleConns(maxConns)
	return g, nil
}

// Dialect returns Postgres or SQLite.
func (db *DB) Dialect() string { return db.dialect }

// Ping checks that the database answers; the readiness probe calls it.
func (db *DB) Ping(ctx context.Context) error {
	for _, g := range db.pools() {
		s, err := g.DB()
		if err != nil {
			return fail("ping database", err)
		}
		if err := s.PingContext(ctx); err != nil {
			return fail("ping database", err)
		}
	}
	return nil
}

// Close waits for the appends already queued to commit, then closes the
// pools. Appends after Close fail with Unavailable.
func (db *DB) Close() error {
	db.appends.close()
	if db.hot != nil {
		db.hot.close()
	}
	var errs []error
	for _, g := range db.pools() {
		if s, err := g.DB(); err == nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

func (db *DB) pools() []*gorm.DB {
	switch {
	case db.read == nil && db.write == nil:
		return nil
	case db.read == nil || db.read == db.write:
		return []*gorm.DB{db.write}
	default:
		return []*gorm.DB{db.write, db.read}
	}
}

// Users returns the ports.UserStore.
func (db *DB) Users() *UserStore { return &UserStore{db} }

// Rooms returns the ports.RoomStore.
func (db *DB) Rooms() *RoomStore { return &RoomStore{db} }

// Members returns the ports.MemberStore.
func (db *DB) Members() *MemberStore { return &MemberStore{db} }

// Messages returns the ports.MessageStore without a job inserter: its
// Delete refuses (Internal) a message whose files need a purge job. The
// server uses MessagesWithJobs.
func (db *DB) Messages() *MessageStore { return &MessageStore{db: db} }

// Reads returns the ports.ReadStore.
func (db *DB) Reads() *ReadStore { return &ReadStore{db} }

// Migrate applies every migration of the dialect ("up") or reverts them
// all ("down"). Already being there is not an error. A cancelled ctx stops
// after the migration in progress.
func (db *DB) Migrate(ctx context.Context, direction string) error {
	var step func(*migrate.Migrate) error
	switch direction {
	case "up":
		step = (*migrate.Migrate).Up
	case "down":
		step = (*migrate.Migrate).Down
	default:
		return domain.Errorf(domain.Invalid, "invalid_direction", "migrate direction must be up or down, not %q", direction)
	}
	m, closer, err := db.migrator(ctx)
	if err != nil {
		return err
	}
	defer closer.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true
		case <-done:
		}
	}()
	if err := step(m); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return domain.Wrap(domain.Internal, "", "migrate "+direction, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if direction == "up" && !db.indexed {
		return db.markUnindexed(ctx)
	}
	return nil
}

// Version returns the schema version applied (0 for an empty database) and
// whether a failed migration left it dirty.
func (db *DB) Version(ctx context.Context) (version uint, dirty bool, err error) {
	m, closer, err := db.migrator(ctx)
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	v, dirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, domain.Wrap(domain.Internal, "", "read schema version", err)
	}
	return v, dirty, nil
}

// migrator opens its own connection for golang-migrate, which closes the
// *sql.DB it is given: the stores' pools stay untouched. Going through
// WithInstance rather than a migrate URL takes the DSN as the driver does
// (PostgreSQL key=value strings, SQLite paths with any characters).
func (db *DB) migrator(ctx context.Context) (*migrate.Migrate, io.Closer, error) {
	src, err := iofs.New(migrations.FS, db.dialect)
	if err != nil {
		return nil, nil, domain.Wrap(domain.Internal, "", "read embedded migrations", err)
	}
	driverName := map[string]string{Postgres: "pgx/v5", SQLite: "sqlite3"}[db.dialect]
	conn, err := sql.Open(driverName, db.dsn)
	if err != nil {
		return nil, nil, fail("open migration connection", err)
	}
	if err := conn.PingContext(ctx); err != nil {
		conn.Close()
		return nil, nil, fail("open migration connection", err)
	}
	var drv database.Driver
	if db.dialect == Postgres {
		drv, err = migratepgx.WithInstance(conn, &migratepgx.Config{})
	} else {
		drv, err = migratesqlite.WithInstance(conn, &migratesqlite.Config{})
	}
	if err != nil {
		conn.Close()
		return nil, nil, domain.Wrap(domain.Internal, "", "prepare migrations", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, db.dialect, drv)
	if err != nil {
		drv.Close()
		return nil, nil, domain.Wrap(domain.Internal, "", "prepare migrations", err)
	}
	return m, migrateCloser{m}, nil
}

type migrateCloser struct{ m *migrate.Migrate }

func (c migrateCloser) Close() error {
	srcErr, dbErr := c.m.Close()
	return errors.Join(srcErr, dbErr)
}
