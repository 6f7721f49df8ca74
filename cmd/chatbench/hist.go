package main

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// Histogram is an HDR-style log-linear histogram of non-negative integer
// values (chatbench records microseconds). Values below 256 are exact; above,
// each power of two is split into 128 equal sub-buckets, so a recorded value
// is known to within 1/128 of itself (two significant digits). Values above
// histMax are counted as histMax; Max still reports the largest value seen.
//
// Record is safe for concurrent use and lock-free (atomic adds only), so
// every reader goroutine records straight into its shard and the shards are
// merged at the end. Merge, Quantile, Max and Count see a consistent picture
// once recording has stopped.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
	max    atomic.Int64
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits // sub-buckets per power of two
	histMax     = 60_000_000       // 60 s in microseconds
	histMaxBits = 26               // bits.Len64(histMax), checked by a test
	histBuckets = (histMaxBits-histSubBits)*histSub + histSub
)

// bucketOf maps v (0 ≤ v ≤ histMax) to its bucket: exact below 2·histSub,
// then histSub buckets per power of two.
func bucketOf(v int64) int {
	e := bits.Len64(uint64(v)) - (histSubBits + 1)
	if e <= 0 {
		return int(v)
	}
	return e*histSub + int(v>>e)
}

// bucketRange is the inverse of bucketOf: the lowest value of bucket i and
// the bucket's width.
func bucketRange(i int) (low, width int64) {
	if i < 2*histSub {
		return int64(i), 1
	}
	e := i/histSub - 1
	return int64(i-e*histSub) << e, 1 << e
}

// Record adds one value.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
	if v > histMax {
		v = histMax
	}
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
}

// Merge adds every count of o into h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.total.Add(o.total.Load())
	for {
		m, om := h.max.Load(), o.max.Load()
		if om <= m || h.max.CompareAndSwap(m, om) {
			break
		}
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max is the largest recorded value (0 when empty).
func (h *Histogram) Max() int64 { return h.max.Load() }

// Quantile returns the value below or at which a fraction p (0..1) of the
// recorded values lie: the midpoint of the bucket holding that rank, never
// above Max. It returns 0 for an empty histogram.
func (h *Histogram) Quantile(p float64) int64 {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p * float64(n)))
	rank = max(rank, 1)
	rank = min(rank, n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			low, width := bucketRange(i)
			return min(low+(width-1)/2, h.max.Load())
		}
	}
	return h.max.Load()
}

// shardedHist spreads concurrent recorders over several histograms so that
// thousands of reader goroutines don't all hit the same cache lines.
type shardedHist []Histogram

func newShardedHist(n int) shardedHist { return make(shardedHist, n) }

// Record adds v to the shard chosen by key (a socket index).
func (s shardedHist) Record(key int, v int64) { s[key%len(s)].Record(v) }

// Merged returns one histogram holding every shard's counts.
func (s shardedHist) Merged() *Histogram {
	var h Histogram
	for i := range s {
		h.Merge(&s[i])
	}
	return &h
}
