package memory

import "time"

// sweepEvery is how many writes an expiring map takes between sweeps of
// its expired entries, so it never grows without bound.
const sweepEvery = 1024

// expiring is a map whose entries expire: the core the profile cache, the
// session cache and the ticket store share. It does no locking; its owner
// holds its own mutex (a read lock is enough for get).
type expiring[K comparable, V any] struct {
	m      map[K]expiringEntry[V]
	writes int // since the last sweep
}

type expiringEntry[V any] struct {
	v     V
	until time.Time
}

func newExpiring[K comparable, V any]() expiring[K, V] {
	return expiring[K, V]{m: make(map[K]expiringEntry[V])}
}

// get returns k's value unless it is absent or has expired by now.
func (e *expiring[K, V]) get(now time.Time, k K) (V, bool) {
	x, ok := e.m[k]
	if !ok || !now.Before(x.until) {
		var zero V
		return zero, false
	}
	return x.v, true
}

// put stores v under k until until, and every sweepEvery writes first
// drops the entries expired by now.
func (e *expiring[K, V]) put(now time.Time, k K, v V, until time.Time) {
	if e.writes++; e.writes >= sweepEvery {
		e.writes = 0
		for key, x := range e.m {
			if !now.Before(x.until) {
				delete(e.m, key)
			}
		}
	}
	e.m[k] = expiringEntry[V]{v: v, until: until}
}

// take returns k's value as get does, and forgets k.
func (e *expiring[K, V]) take(now time.Time, k K) (V, bool) {
	v, ok := e.get(now, k)
	delete(e.m, k)
	return v, ok
}

func (e *expiring[K, V]) delete(k K) { delete(e.m, k) }
