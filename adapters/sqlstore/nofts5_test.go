//go:build !sqlite_fts5 && !fts5

package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"chat/adapters/sqlstore"
)

// TestOpenWithoutFTS5 runs only in a build without the tag that compiles
// FTS5 into SQLite: Open refuses the embedded database at once, saying
// how to build, instead of failing later in migration 000008.
func TestOpenWithoutFTS5(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), sqlstore.SQLite, filepath.Join(t.TempDir(), "chat.db"))
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded without FTS5")
	}
	if !strings.Contains(err.Error(), "build with -tags sqlite_fts5 (make build does)") {
		t.Errorf("Open without FTS5 = %v, want it to say how to build", err)
	}
}
