package sqlstore

import (
	"context"
	"time"
)

// PostgreSQL's GIN indexes of message_search keep fastupdate: an append
// adds its entries to the index's pending list, and the insert that takes
// the list past gin_pending_list_limit (4 MB, some 5,000 messages) merges
// all of it into the index before its statement returns. With group
// commit that insert is the committer's, so at full speed every second or
// so all appends waited for a merge. The cleaner merges the lists on a
// connection of its own (gin_clean_pending_list) a moment after appends,
// so the committer's inserts find them short; and an insert that finds a
// merge running does not wait for it (it leaves the list to that merge),
// whichever instance runs it.
type ginCleaner struct {
	db   *DB
	kick chan struct{} // a batch with index entries committed
	stop chan struct{}
	done chan struct{}
}

const (
	// ginCleanSpacing lets entries gather between merges (a merge costs
	// less per entry the more entries share its keys), and keeps the
	// list, which every search through the index reads whole, short.
	ginCleanSpacing = time.Second
	// ginCleanBackoff: after a failed merge (the role does not own the
	// index, say) the committer's inserts merge, as they did before.
	ginCleanBackoff = time.Minute
)

// ginCleanIndexes are the GIN indexes of message_search.
const ginCleanIndexes = `SELECT gin_clean_pending_list('message_search_body_idx'::regclass),
	gin_clean_pending_list('message_search_tokens_idx'::regclass)`

func startGinCleaner(db *DB) *ginCleaner {
	c := &ginCleaner{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the cleaner that entries were added; it never blocks.
func (c *ginCleaner) committed() {
	if c != nil {
		nudge(c.kick)
	}
}

func (c *ginCleaner) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		wait := ginCleanSpacing
		if err := c.clean(); err != nil {
			wait = ginCleanBackoff
		}
		select {
		case <-c.stop:
			return
		case <-time.After(wait):
		}
	}
}

// clean merges both pending lists, bounded by the store's timeout.
func (c *ginCleaner) clean() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.db.timeout)
	defer cancel()
	var body, tokens int64
	return c.db.write.WithContext(ctx).Raw(ginCleanIndexes).Row().Scan(&body, &tokens)
}

// close stops the cleaner (a merge under way finishes first).
func (c *ginCleaner) close() {
	if c == nil {
		return
	}
	close(c.stop)
	<-c.done
}
