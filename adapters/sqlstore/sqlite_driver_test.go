package sqlstore

import (
	"path/filepath"
	"testing"

	"gorm.io/gorm"
)

// TestSQLitePoolsMapTheFile: every connection of both pools reads the
// database through the memory map (sqliteMmap), not its own small cache.
func TestSQLitePoolsMapTheFile(t *testing.T) {
	db := openMigrated(t, SQLite, filepath.Join(t.TempDir(), "chat.db"))
	defer db.Close()
	for name, pool := range map[string]*gorm.DB{"write": db.write, "read": db.read} {
		var n int64
		if err := pool.Raw("PRAGMA mmap_size").Row().Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != sqliteMmap {
			t.Errorf("%s pool: mmap_size %d, want %d", name, n, sqliteMmap)
		}
	}
}
