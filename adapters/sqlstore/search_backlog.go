package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"chat/adapters/textindex"
	"chat/domain"
)

// The search index's backlog: messages that have no index row because
// they were written before migration 000008, or appended while the index
// was off. search_backlog's one row bounds them, from next_id to last_id
// (next_id > last_id: none); IndexBacklog walks that range in batches,
// each its own short transaction, and moves next_id on in the same
// transaction, so a walk that stops (a restart, a failure) resumes where
// it stopped and one that runs twice (two instances) indexes nothing
// twice: the marker row's lock puts their batches one after the other.

// backlogBatch is how many messages one transaction of IndexBacklog
// indexes (DB.backlogBatch: tests take fewer): a few milliseconds of the
// writer's time.
const backlogBatch = 500

// IndexBacklog indexes the messages the search index lacks (see
// search_backlog), backlogBatch messages a transaction, resting between
// batches as long as the last one took so that sends queue behind it for
// no more than one batch. It returns how many messages it indexed when
// none is left, or when ctx ends. With the index off it does nothing.
//
// Run it after Migrate("up"); the server runs it beside serving, since
// search finds only what is indexed and sends need not wait for it.
func (db *DB) IndexBacklog(ctx context.Context) (int, error) {
	if !db.indexed {
		return 0, nil
	}
	total := 0
	for {
		start := time.Now()
		n, done, err := db.indexBacklogBatch(ctx)
		total += n
		if err != nil {
			return total, outcome("index the search backlog", err)
		}
		if done {
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, fail("index the search backlog", ctx.Err())
		case <-time.After(time.Since(start)):
		}
	}
}

// indexBacklogBatch indexes the next batch of the backlog in one
// transaction, bounded by the store's timeout. PostgreSQL takes the
// batch's messages FOR SHARE: an edit or a deletion of one of them waits
// for the batch to commit (and then writes or purges the row itself), or
// the batch waits for it and reads its outcome, so an older text never
// overwrites a newer one and a deleted message is never indexed.
// SQLite's one writer holds the whole database.
func (db *DB) indexBacklogBatch(ctx context.Context) (n int, done bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, db.timeout)
	defer cancel()
	err = db.inTx(ctx, func(x sqlq) error {
		lock := ``
		if x.dialect == Postgres {
			lock = ` FOR UPDATE`
		}
		var next, last int64
		switch err := x.row(`SELECT next_id, last_id FROM search_backlog WHERE id = 1`+lock).Scan(&next, &last); {
		case errors.Is(err, sql.ErrNoRows):
			done = true
			return nil
		case err != nil:
			return err
		case next > last:
			done = true
			return nil
		}
		if x.dialect == Postgres {
			lock = ` FOR SHARE`
		}
		rows, err := x.query(`SELECT id, room_id, content FROM messages
			WHERE id >= ? AND id <= ? AND deleted_at IS NULL ORDER BY id LIMIT ?`+lock, next, last, db.backlogBatch)
		if err != nil {
			return err
		}
		var (
			ids, rooms []int64
			docs       []textindex.Doc
		)
		for rows.Next() {
			var id, r int64
			var content string
			if err := rows.Scan(&id, &r, &content); err != nil {
				rows.Close()
				return err
			}
			ids, rooms, docs = append(ids, id), append(rooms, r), append(docs, indexDoc(x.dialect, content))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := x.indexRows(ids, rooms, docs, false); err != nil {
			return err
		}
		n = len(ids)
		if n > 0 {
			next = ids[n-1] + 1
		}
		if n < db.backlogBatch { // nothing left up to last_id
			done = true
			last = next - 1
		}
		_, err = x.exec(`UPDATE search_backlog SET next_id = ?, last_id = ? WHERE id = 1`, next, last)
		return err
	})
	return n, done, err
}

// markUnindexed records, at the start of a run with the index off, that
// the messages appended from now on have no index rows: the backlog then
// runs from the first of them (or from where it stood, if it was not
// done) to the end of the table, whatever is appended until the index is
// back on.
func (db *DB) markUnindexed(ctx context.Context) error {
	err := db.write.WithContext(ctx).Exec(`UPDATE search_backlog SET
		next_id = CASE WHEN next_id > last_id THEN (SELECT COALESCE(MAX(id), 0) + 1 FROM messages) ELSE next_id END,
		last_id = ? WHERE id = 1`, maxID).Error
	return fail("record that the search index is off", err)
}

// checkFTS5 refuses a SQLite built without FTS5, which the search index
// needs (migration 000008 would fail on it with "no such module").
func (db *DB) checkFTS5(ctx context.Context) error {
	var used int
	if err := db.write.WithContext(ctx).Raw(`SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&used).Error; err != nil {
		return fail("check SQLite's FTS5", err)
	}
	if used == 0 {
		return domain.Errorf(domain.Internal, "no_fts5",
			"this chatd's SQLite has no FTS5, which search needs: build with -tags sqlite_fts5 (make build does)")
	}
	return nil
}
