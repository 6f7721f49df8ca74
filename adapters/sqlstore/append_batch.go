package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"chat/adapters/textindex"
	"chat/domain"
	"chat/domain/message"
)

// Group commit. One commit per message cannot go faster than the disk
// flushes (PostgreSQL with synchronous_commit on) or the per-transaction
// cost (SQLite), so concurrent appends share transactions: Append queues
// its message and waits; a committer takes everything queued at that
// moment and stores it in one transaction (appendBatch), then answers each
// caller. Under no concurrency a batch holds one message, and costs what
// the single-message path (appendOne, now the fallback) did: one commit,
// and fewer round trips.
//
// A message is only answered after its commit, so the application still
// publishes only what is stored.

const (
	batchMax   = 256     // messages per transaction
	batchBytes = 1 << 20 // content bytes per transaction
	// batchTimeout bounds one batch's transaction. Taken messages no longer
	// belong to one caller's context, so the batch has its own.
	batchTimeout = 30 * time.Second
	queueLen     = 1024
	// batchLinger bounds how long a committer waits for the callers it
	// just answered: a fraction of a commit.
	batchLinger = 300 * time.Microsecond
)

// Committers per dialect. Each owns the rooms whose id it gets modulo
// their number, so our own batches never wait for each other's room
// locks. One is fastest on both here (BenchmarkAppend, 64 and 256
// senders; docs/BENCHMARKS.md): a commit waits for its WAL flush, the
// flushes come one after another, and two committers split the same
// senders into two flushes of half the size. More pay off only where flushes are
// cheap next to round trips. SQLite has one writer anyway.
var committers = map[string]int{Postgres: 1, SQLite: 1}

// Request states. A caller whose context ends while its request is queued
// abandons it and the committer drops it; once taken, it commits whether
// or not anyone waits for the answer.
const (
	queued int32 = iota
	taken
	abandoned
)

type appendRequest struct {
	row   messageRow
	doc   textindex.Doc // the row's search index entry, made by the caller's goroutine (index on)
	state atomic.Int32
	done  chan appendResult // buffered: a committer never blocks on it
}

type appendResult struct {
	m       message.Message
	created bool
	err     error
}

// batcher owns the committer goroutines of one DB: started by Open,
// stopped by Close.
type batcher struct {
	db     *DB
	queues []chan *appendRequest // one per committer

	mu     sync.RWMutex // held shared while sending on a queue, exclusive to close them
	closed bool
	wg     sync.WaitGroup

	checkpoints *checkpointer // SQLite only
	gins        *ginCleaner   // PostgreSQL with the search index only
}

func newBatcher(db *DB, n int) *batcher {
	b := &batcher{db: db, queues: make([]chan *appendRequest, n)}
	if db.dialect == SQLite {
		// Without it SQLite checkpoints by itself, on the writer.
		b.checkpoints, _ = startCheckpointer(db)
	}
	if db.dialect == Postgres && db.indexed {
		b.gins = startGinCleaner(db)
	}
	for i := range b.queues {
		q := make(chan *appendRequest, queueLen)
		b.queues[i] = q
		b.wg.Go(func() { b.run(q) })
	}
	return b
}

// close stops taking appends and waits until every queued one is committed
// and answered. Appends after close get Unavailable.
func (b *batcher) close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	first := !b.closed
	if first {
		b.closed = true
		for _, q := range b.queues {
			close(q)
		}
	}
	b.mu.Unlock()
	b.wg.Wait()
	if first {
		b.checkpoints.close()
		b.gins.close()
	}
}

func (b *batcher) append(ctx context.Context, m message.Message) (message.Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return message.Message{}, false, fail("append message", err)
	}
	// The caller hears within the store's timeout, whatever the batches
	// ahead of it wait for (Unavailable then: a message committed later
	// reaches the room through the relay, and a retry finds it by its
	// client_id).
	ctx, cancel := context.WithTimeout(ctx, b.db.timeout)
	defer cancel()
	req := b.request(m)
	if err := b.enqueue(ctx, req); err != nil {
		return message.Message{}, false, err
	}
	select {
	case r := <-req.done:
		return r.m, r.created, r.err
	case <-ctx.Done():
		if req.state.CompareAndSwap(queued, abandoned) {
			return message.Message{}, false, fail("append message", ctx.Err())
		}
		// Taken: it is stored whether or not this caller hears of it.
		select {
		case r := <-req.done:
			return r.m, r.created, r.err
		default:
			return message.Message{}, false, fail("append message", ctx.Err())
		}
	}
}

// request makes m's request, with its search index entry when the index
// is on: made here, by the caller's goroutine, not by the committer,
// which every batch waits for.
func (b *batcher) request(m message.Message) *appendRequest {
	req := &appendRequest{row: toMessageRow(m), done: make(chan appendResult, 1)}
	req.row.ID, req.row.Seq = 0, 0
	if b.db.indexed {
		req.doc = indexDoc(b.db.dialect, m.Content)
	}
	return req
}

func (b *batcher) enqueue(ctx context.Context, req *appendRequest) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return domain.Errorf(domain.Unavailable, "", "append message: the store is closed")
	}
	q := b.queues[uint64(req.row.RoomID)%uint64(len(b.queues))]
	select {
	case q <- req:
		return nil
	case <-ctx.Done():
		return fail("append message", ctx.Err())
	}
}

// run is one committer: it blocks for a first request, adds whatever else
// is queued, and commits that batch. When the last batch answered several
// callers it lingers a moment for them to come back: under a steady load
// the senders otherwise split into two groups that take turns, each batch
// holding half of them, for twice the commits.
func (b *batcher) run(queue <-chan *appendRequest) {
	batch := make([]*appendRequest, 0, batchMax)
	answered := 0
	linger := time.NewTimer(batchLinger)
	linger.Stop()
	for {
		req, ok := <-queue
		if !ok {
			return
		}
		batch = take(batch[:0], req)
		size := len(req.row.Content)
		// Linger until the callers just answered are back, or briefly.
		var wait <-chan time.Time
		want := min(batchMax, len(queue)+1+answered)
		if answered > 1 {
			linger.Reset(batchLinger)
			wait = linger.C
		}
	fill:
		for len(batch) < batchMax && size < batchBytes {
			if len(batch) >= want {
				wait = nil
			}
			var req *appendRequest
			var ok bool
			select {
			case req, ok = <-queue:
			default:
				if wait == nil {
					break fill
				}
				select {
				case req, ok = <-queue:
				case <-wait:
					wait = nil
					continue
				}
			}
			if !ok {
				break fill
			}
			batch = take(batch, req)
			size += len(req.row.Content)
		}
		linger.Stop() // since Go 1.23 no stale tick stays in linger.C
		answered = len(batch)
		if len(batch) > 0 {
			b.commit(batch)
		}
		clear(batch) // let answered requests go
	}
}

// take adds req to batch unless its caller already gave up.
func take(batch []*appendRequest, req *appendRequest) []*appendRequest {
	if req.state.CompareAndSwap(queued, taken) {
		batch = append(batch, req)
	}
	return batch
}

func (b *batcher) commit(batch []*appendRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	start := time.Now()
	results, err := b.db.appendBatch(ctx, batch)
	switch {
	case err == nil:
		b.db.obs.Committed(len(batch), time.Since(start))
		b.checkpoints.committed()
		b.gins.committed()
		for i, req := range batch {
			if errors.Is(results[i].err, errAppendAlone) {
				m, created, err := b.db.appendOne(ctx, req.row.domain())
				results[i] = appendResult{m, created, err}
			}
			req.done <- results[i]
		}
	case itemFault(err):
		// One item's fault (another instance inserted the same client
		// key, a sender that does not exist, ...) must not fail the
		// others: store them one by one, each with its own answer.
		for _, req := range batch {
			m, created, err := b.db.appendOne(ctx, req.row.domain())
			req.done <- appendResult{m, created, err}
		}
	default:
		err = fail(fmt.Sprintf("append %d messages", len(batch)), err)
		for _, req := range batch {
			req.done <- appendResult{err: err}
		}
	}
}

// itemFault reports whether a failed batch may owe its failure to one of
// its items rather than to the database, so that appending them one by
// one is worth it.
func itemFault(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !unavailable(err)
}
