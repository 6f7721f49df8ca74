package main

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
)

func TestHistogramLayout(t *testing.T) {
	if got := bits.Len64(histMax); got != histMaxBits {
		t.Fatalf("histMaxBits = %d, want bits.Len64(histMax) = %d", histMaxBits, got)
	}
	if got := bucketOf(histMax); got >= histBuckets {
		t.Fatalf("bucketOf(histMax) = %d, out of %d buckets", got, histBuckets)
	}
	// Every value falls inside the range of its own bucket, and bucket
	// indexes grow with the value.
	prev := -1
	for v := int64(0); v <= histMax; v += 1 + v/1000 {
		i := bucketOf(v)
		low, width := bucketRange(i)
		if v < low || v >= low+width {
			t.Fatalf("value %d in bucket %d = [%d, %d)", v, i, low, low+width)
		}
		if i < prev {
			t.Fatalf("value %d: bucket %d after %d", v, i, prev)
		}
		if width > 1 && float64(width)/float64(low) > 1.0/histSub+1e-12 {
			t.Fatalf("bucket %d: width %d at %d is more than 1/%d", i, width, low, histSub)
		}
		prev = i
	}
}

func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		draw func() int64
	}{
		{"uniform 0..10s", func() int64 { return r.Int64N(10_000_000) }},
		{"exponential mean 2ms", func() int64 { return int64(r.ExpFloat64() * 2000) }},
		{"lognormal around 5ms", func() int64 { return int64(math.Exp(r.NormFloat64()*1.2 + math.Log(5000))) }},
		{"small exact values", func() int64 { return r.Int64N(200) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 200_000
			var h Histogram
			vals := make([]int64, n)
			for i := range vals {
				vals[i] = tt.draw()
				h.Record(vals[i])
			}
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
			if h.Count() != n {
				t.Fatalf("Count() = %d, want %d", h.Count(), n)
			}
			if h.Max() != vals[n-1] {
				t.Fatalf("Max() = %d, want %d", h.Max(), vals[n-1])
			}
			for _, p := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				want := vals[int(math.Ceil(p*n))-1]
				got := h.Quantile(p)
				if diff := math.Abs(float64(got - want)); diff > 0.01*float64(want) && diff > 1 {
					t.Errorf("Quantile(%v) = %d, want %d within 1%%", p, got, want)
				}
			}
		})
	}
}

func TestHistogramMergeAndConcurrentRecord(t *testing.T) {
	s := newShardedHist(4)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for v := range int64(10_000) {
				s.Record(g, v)
			}
		})
	}
	wg.Wait()
	h := s.Merged()
	if h.Count() != 80_000 {
		t.Fatalf("Count() = %d, want 80000", h.Count())
	}
	if h.Max() != 9_999 {
		t.Fatalf("Max() = %d, want 9999", h.Max())
	}
	if got := h.Quantile(0.5); math.Abs(float64(got-5_000)) > 50 {
		t.Fatalf("Quantile(0.5) = %d, want about 5000", got)
	}
	var empty Histogram
	if empty.Quantile(0.99) != 0 || empty.Max() != 0 {
		t.Fatal("an empty histogram must report zeros")
	}
	var big Histogram
	big.Record(2 * histMax)
	if q := big.Quantile(1); big.Max() != 2*histMax || q < histMax*99/100 || q > histMax {
		t.Fatalf("clamped value: Max() = %d, Quantile(1) = %d", big.Max(), big.Quantile(1))
	}
}
