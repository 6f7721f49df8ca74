package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"chat/test/services"
)

// TestGinPendingListsMerged: the appends' entries in the pending lists of
// message_search's GIN indexes are merged by the cleaner soon after, not
// left for the committer's insert that would take a list past
// gin_pending_list_limit (a few messages never would).
func TestGinPendingListsMerged(t *testing.T) {
	db := openMigrated(t, Postgres, services.Postgres(t))
	t.Cleanup(func() { db.Close() })
	// pgstatginindex counts a GIN index's pending entries.
	if err := db.write.Exec(`CREATE EXTENSION IF NOT EXISTS pgstattuple`).Error; err != nil {
		t.Fatalf("pgstattuple (PostgreSQL's contrib): %v", err)
	}
	us, rs := seed(t, db, 1, 2)
	for i := range 20 {
		mustAppendMessage(t, db, newMsg(rs[i%2], us[0], fmt.Sprintf("pending entries %d of go 部署", i), ""))
	}
	pending := func() (body, tokens int64) {
		t.Helper()
		err := db.read.Raw(`SELECT (SELECT pending_tuples FROM pgstatginindex('message_search_body_idx')),
			(SELECT pending_tuples FROM pgstatginindex('message_search_tokens_idx'))`).Row().Scan(&body, &tokens)
		if err != nil {
			t.Fatal(err)
		}
		return body, tokens
	}
	// Not a measure of time: the bound only ends a test that would
	// otherwise wait forever.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		body, tokens := pending()
		if body == 0 && tokens == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending entries after 30 s: body index %d, tokens index %d; want none", body, tokens)
		}
	}
	if got := searchIDs(t, db, rs, "部署"); len(got) != 20 {
		t.Errorf("search after the merge: %d hits, want 20", len(got))
	}
}
