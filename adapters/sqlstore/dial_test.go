package sqlstore

import (
	"strings"
	"testing"

	"chat/test/services"
)

// TestPostgresRunsNoParallelWorkers: the pool's sessions plan without
// parallel workers (they start slower than chatd's statements run),
// unless the URL says otherwise.
func TestPostgresRunsNoParallelWorkers(t *testing.T) {
	dsn := services.Postgres(t)
	for _, tc := range []struct{ dsn, want string }{
		{dsn, "0"},
		{withParam(dsn, "max_parallel_workers_per_gather=1"), "1"},
	} {
		db := openMigrated(t, Postgres, tc.dsn)
		var got string
		if err := db.read.Raw("SHOW max_parallel_workers_per_gather").Row().Scan(&got); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != tc.want {
			t.Errorf("max_parallel_workers_per_gather = %s, want %s", got, tc.want)
		}
	}
}

func withParam(dsn, kv string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + kv
	}
	return dsn + "?" + kv
}
