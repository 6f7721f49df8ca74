// Package migrations embeds the schema of both SQL dialects as golang-migrate
// files: postgres/ for PostgreSQL and sqlite/ for the embedded SQLite
// default. The two folders move in lockstep: every numbered migration exists
// in both, with the same tables, constraints and indexes in each dialect's
// spelling. The schema changes only through new files here, never through
// gorm's AutoMigrate; adapters/sqlstore applies them (chatd migrate
// up|down|version, and on start).
//
// It holds data only and imports nothing but embed.
package migrations
