// Package sqlstore implements the store ports (users and accounts, sessions,
// rooms and direct conversations, membership and read pointers, messages
// with their changes, reactions, mentions and files, scheduled messages,
// attachments) with gorm and database/sql, on PostgreSQL (pgx) or SQLite
// (mattn/go-sqlite3), and applies the schema in chat/migrations with
// golang-migrate.
//
//	db, err := sqlstore.Open(ctx, sqlstore.Postgres, cfg.DatabaseURL) // cmd/chatd reads the environment
//	err = db.Migrate(ctx, "up")
//	deps := application.Deps{Users: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.MessagesWithJobs(queue)}
//
// One implementation serves both dialects: the SQL it sends is the subset
// both understand (ON CONFLICT DO NOTHING, UPDATE ... RETURNING). Driver
// errors are translated here into chat/domain kinds; nothing above this
// package sees a gorm, pgx or sqlite3 error. Row structs with gorm tags stay
// in this package; callers get domain types, times in UTC.
//
// SQLite allows one writer at a time, so Open gives it two pools over the
// same file: a single-connection write pool whose transactions begin
// IMMEDIATE (writers queue in Go instead of failing with SQLITE_BUSY), and a
// read-only pool for the reads, which WAL lets run beside the writer.
//
// An attachment and the job that processes it commit together: Create
// inserts the row, then hands its *sql.Tx to a JobInserter (River's
// transactional insert, chat/adapters/jobs) before committing. So do a
// deleted message and the job that purges its files (MessagesWithJobs),
// and a scheduled message and the job that sends it (Scheduled). SQLDB gives
// the job queue the write pool, so on SQLite River's writes queue behind the
// stores' single writer.
//
// The search index (search.go, migration 000008) is written by the same
// transactions that write a message's text: PostgreSQL's message_search
// (pg_trgm and a tsvector), SQLite's contentless FTS5 table, which needs
// the build tag sqlite_fts5 (Open refuses a SQLite without FTS5).
// SearchStore walks the rooms' newest messages first and asks the index
// for what the walk did not find; IndexBacklog indexes, in short
// batches, the messages written before the index existed or while it was
// off (WithSearchIndex).
//
// sqlstore imports chat/domain packages, chat/ports, chat/adapters/textindex
// (what a search means), chat/migrations, gorm, the two drivers and
// golang-migrate; never chat/application.
package sqlstore
