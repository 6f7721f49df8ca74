package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSendOffsetInterleavesRooms(t *testing.T) {
	// 4 rooms sharing 1000 sends/s: the merged schedule is one send per
	// millisecond, rooms taking turns.
	const perSecond, rooms = 1000.0, 4
	var got []time.Duration
	for i := range int64(3) {
		for r := range rooms {
			got = append(got, sendOffset(perSecond, r, rooms, i))
		}
	}
	var want []time.Duration
	for k := range 12 {
		want = append(want, time.Duration(k)*time.Millisecond)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("offsets (-want +got):\n%s", diff)
	}
}

func TestSendsIn(t *testing.T) {
	tests := []struct {
		name      string
		d         time.Duration
		perSecond float64
		rooms     int
		want      []int64 // per room
	}{
		{"even split", time.Second, 1000, 4, []int64{250, 250, 250, 250}},
		{"remainder goes to the first rooms", time.Second, 10, 4, []int64{3, 3, 2, 2}},
		{"fewer sends than rooms", time.Second, 2, 4, []int64{1, 1, 0, 0}},
		{"fractional rate", 1500 * time.Millisecond, 3.5, 1, []int64{6}},
		{"zero length", 0, 1000, 3, []int64{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for r := range tt.rooms {
				n := sendsIn(tt.d, tt.perSecond, r, tt.rooms)
				got = append(got, n)
				if n > 0 && sendOffset(tt.perSecond, r, tt.rooms, n-1) >= tt.d {
					t.Errorf("room %d: last send at %v is not inside %v", r, sendOffset(tt.perSecond, r, tt.rooms, n-1), tt.d)
				}
				if sendOffset(tt.perSecond, r, tt.rooms, n) < tt.d {
					t.Errorf("room %d: send %d at %v is inside %v but not counted", r, n, sendOffset(tt.perSecond, r, tt.rooms, n), tt.d)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sends per room (-want +got):\n%s", diff)
			}
		})
	}
}
