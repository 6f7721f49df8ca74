package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SQLite appends a transaction's pages to the WAL and, by default, the
// connection whose commit takes the WAL past 1000 pages copies them back
// into the database file (a checkpoint, with an fsync) before its commit
// returns. With group commit that connection is the one writer, so every
// few batches all appends stopped for a checkpoint. The checkpointer runs
// them on a connection of its own instead: PASSIVE checkpoints copy what
// is committed without blocking the writer or the readers.
//
// PASSIVE alone starves under steady load: SQLite starts the WAL over
// only once a checkpoint has copied all of it and no reader still looks
// at it, and with sends committing every few milliseconds while requests
// read, that moment never comes. The WAL then grows without bound (20 GB
// beside a 530 MB database after a 1M-message fill), and so does every
// reader's walk of the WAL index. When a PASSIVE checkpoint leaves the
// WAL over walTruncatePages, the checkpointer asks for TRUNCATE: it holds
// new writes (their busy handler waits) until the readers of older
// snapshots finish, copies the rest, and empties the file.
type checkpointer struct {
	conn *sql.DB
	kick chan struct{} // a batch committed
	stop chan struct{}
	done chan struct{}
	// truncateAfter: no TRUNCATE before then (one was refused)
	truncateAfter time.Time
}

const (
	// checkpointSpacing lets WAL pages gather between checkpoints, so a
	// page written by many batches is copied once.
	checkpointSpacing = time.Second
	// checkpointIdle bounds the WAL that the other stores' writes, which
	// don't kick, leave behind.
	checkpointIdle = 10 * time.Second
)

// walTruncatePages is the WAL (in pages, 4 KiB by default) past which a
// checkpoint empties it: about every 20 s of appends at full speed, each
// holding the writer for the few milliseconds left to copy.
var walTruncatePages = 16384

const (
	truncateWait    = 200 * time.Millisecond
	truncateBackoff = 10 * time.Second
)

// startCheckpointer turns the writer's automatic checkpoints off and
// starts the checkpointer. Should the writer's connection be replaced, the
// new one checkpoints by itself again: slower, not wrong.
func startCheckpointer(db *DB) (*checkpointer, error) {
	conn, err := sql.Open("sqlite3", db.dsn)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	if err := db.write.Exec("PRAGMA wal_autocheckpoint = 0").Error; err != nil {
		conn.Close()
		return nil, err
	}
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// committed tells the checkpointer that the WAL grew; it never blocks.
func (c *checkpointer) committed() {
	if c != nil {
		nudge(c.kick)
	}
}

// nudge wakes the goroutine that reads kick (a buffer of one) unless it
// has a wake-up pending already; it never blocks.
func nudge(kick chan struct{}) {
	select {
	case kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	idle := time.NewTicker(checkpointIdle)
	defer idle.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-idle.C:
		}
		// A checkpoint that fails (the file is busy, say) leaves the
		// pages in the WAL for the next one.
		c.checkpoint()
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointSpacing):
		}
	}
}

// close stops the checkpointer; the last connection to close checkpoints
// what remains.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	close(c.stop)
	<-c.done
	c.conn.Close()
}

// checkpoint copies what it can without waiting and, when the WAL is still
// longer than walTruncatePages, empties it (TRUNCATE). TRUNCATE holds the
// writers while it waits for older readers, so it waits at most
// truncateWait (a backup reads for minutes) and, refused, is not asked
// again for truncateBackoff.
func (c *checkpointer) checkpoint() {
	ctx := context.Background()
	var busy, log, copied int
	err := c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
	if err != nil || log < walTruncatePages || time.Now().Before(c.truncateAfter) {
		return
	}
	conn, err := c.conn.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", truncateWait.Milliseconds())); err != nil {
		return
	}
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &copied)
	if err != nil || busy != 0 {
		c.truncateAfter = time.Now().Add(truncateBackoff)
	}
}
