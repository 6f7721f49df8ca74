package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// SQLite appends a transaction's pages to the WAL and, by default, the
// connection whose commit takes the WAL past 1000 pages copies them back
// into the database file (a checkpoint, with an fsync) before its commit
// returns. With group commit that connection is the one writer, so every
// few batches all appends stopped for a checkpoint. The checkpointer runs
// them on a connection of its own instead: PASSIVE checkpoints copy what
// is committed without blocking the writer or the readers.
type checkpointer struct {
	conn *sql.DB
	kick chan struct{} // a batch committed
	stop chan struct{}
	done chan struct{}
}

const (
	// checkpointSpacing lets WAL pages gather between checkpoints, so a
	// page written by many batches is copied once.
	checkpointSpacing = time.Second
	// checkpointIdle bounds the WAL that the other stores' writes, which
	// don't kick, leave behind.
	checkpointIdle = 10 * time.Second
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
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
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
		c.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
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
