package main

import (
	"math"
	"time"
)

// The open-loop schedule. A run offers perSecond sends spread evenly over
// its rooms: globally the k-th send is due at k/perSecond after the phase
// starts, and room r owns every send k with k mod rooms == r. Each room's
// sender sleeps until its next due time, and when it has fallen behind it
// sends at once; latency is always measured from the due time, so a stalled
// sender cannot hide a stalled server (no coordinated omission).

// sendOffset is when the i-th send of room r (of rooms) is due, measured
// from the start of a phase offering perSecond sends in total.
func sendOffset(perSecond float64, r, rooms int, i int64) time.Duration {
	k := float64(i)*float64(rooms) + float64(r)
	return time.Duration(k / perSecond * float64(time.Second))
}

// sendsIn is how many sends room r makes in a phase of length d: the number
// of i ≥ 0 with sendOffset(perSecond, r, rooms, i) < d.
func sendsIn(d time.Duration, perSecond float64, r, rooms int) int64 {
	due := d.Seconds() * perSecond // sends due in the whole phase, fractional
	n := math.Ceil((due - float64(r)) / float64(rooms))
	if n < 0 {
		return 0
	}
	// Guard the boundary against rounding: sendOffset must stay below d.
	for n > 0 && sendOffset(perSecond, r, rooms, int64(n)-1) >= d {
		n--
	}
	return int64(n)
}
