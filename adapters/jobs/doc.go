// Package jobs runs the background work of file handling on River: a
// thumbnail job per image attachment and an avatar job per avatar upload.
// The same Queue type serves PostgreSQL (riverpgxv5 over a pgx pool) and
// the embedded SQLite database (riversqlite over database/sql).
//
// A Queue is three things:
//   - a ports.JobQueue (Enqueue) for jobs without a row of their own;
//   - the transactional insert the SQL store uses (InsertTx), so an
//     attachment row and its job commit or roll back together;
//   - the workers (Start/Stop/Run), which call an application.FileProcessor
//     and map its errors to River outcomes in one place (outcome).
//
// The stores use gorm, whose transactions are *sql.Tx. On SQLite River
// inserts through that *sql.Tx itself. On PostgreSQL River's database/sql
// driver (riverdatabasesql) is not published for v0.49.0, so InsertTx
// writes the river_job row with one INSERT in the caller's transaction and
// notifies the workers on commit (pg_notify), exactly what River's drivers
// do; the tests prove the workers pick such jobs up.
//
// jobs imports chat/domain, chat/ports, chat/application, River and pgx.
package jobs
