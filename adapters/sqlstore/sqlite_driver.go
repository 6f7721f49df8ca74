package sqlstore

import (
	"database/sql"
	"fmt"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteDriver is mattn/go-sqlite3 with the connection settings the
// driver's DSN cannot carry, for the stores' read and write pools.
const sqliteDriver = "sqlite3_chat"

// sqliteMmap is how much of the database file each connection reads
// through a shared memory map instead of read calls into its own page
// cache (2 MB, 500 pages by default). A search that walks a room's 1,000
// messages touches about as many pages, scattered: through each
// connection's small cache every one was a read call and a copy (3 ms for
// that walk, warm; 0.5 ms mapped). The map is address space, not memory:
// the pages are the kernel's page cache, shared by every connection.
const sqliteMmap = 1 << 30

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec(fmt.Sprintf("PRAGMA mmap_size = %d", sqliteMmap), nil)
			return err
		},
	})
}
