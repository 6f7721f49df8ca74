// Package jobs runs the background work of file handling on River: a
// thumbnail job per image attachment and an avatar job per avatar upload.
// The same Queue type serves PostgreSQL and the embedded SQLite database.
//
// A Queue is three things:
//   - a ports.JobQueue (Enqueue) for jobs without a row of their own;
//   - the transactional insert the SQL store uses (InsertTx), so an
//     attachment row and its job commit or roll back together;
//   - the workers (Start/Stop/Run), which call an application.FileProcessor
//     and map its errors to River outcomes in one place (outcome).
//
// The stores use gorm, whose transactions are *sql.Tx, so every insert
// goes through a River client over database/sql and joins that *sql.Tx:
// riversqlite on SQLite, riverdatabasesql on PostgreSQL. River writes its
// own rows (defaults, hooks, unique jobs) and, on PostgreSQL, notifies the
// workers in the same transaction, so they wake when it commits. The
// workers run on riversqlite (SQLite) or riverpgxv5 over a pgx pool of
// their own (PostgreSQL: River's primary driver, whose listener takes the
// notifications). River's migrator creates and moves its tables forward
// when a queue opens; the project holds no SQL of River's tables, and a
// test keeps it so.
//
// jobs imports chat/domain, chat/ports, chat/application, River and pgx.
package jobs
