package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"chat/domain"
)

// Backup writes a consistent copy of an SQLite database to path while the
// database may be in use: VACUUM INTO reads one snapshot (WAL readers never
// block the writer) and writes a compact, self-contained file. The file must
// not exist yet.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return domain.Errorf(domain.Invalid, "backup_unsupported", "backup copies SQLite databases; use pg_dump for PostgreSQL")
	}
	if _, err := os.Stat(path); err == nil {
		return domain.Errorf(domain.Conflict, "backup_exists", "%s already exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// A connection of its own: the read pool is read-only, and borrowing the
	// single write connection would stall writers for the whole copy.
	conn, err := sql.Open("sqlite3", db.dsn)
	if err != nil {
		return fail("backup", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fail("backup", err)
	}
	return nil
}
