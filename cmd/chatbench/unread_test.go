package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func TestUnreadPlanMembership(t *testing.T) {
	tests := []struct{ rooms, member int }{{1000, 500}, {10, 3}, {7, 7}, {12, 1}, {1000, 999}}
	for _, tt := range tests {
		p := unreadPlan{rooms: tt.rooms, member: tt.member, senders: 3, ownEvery: 10}
		n := 0
		for r := range tt.rooms {
			if p.isMember(r) {
				n++
			}
		}
		if n != tt.member {
			t.Errorf("%d of %d rooms: the measured user is in %d", tt.member, tt.rooms, n)
		}
	}
	// 1,000 rooms, 500 of them the measured user's: every other room, so
	// the two kinds interleave in the list.
	p := unreadPlan{rooms: 1000, member: 500}
	if !p.isMember(0) || p.isMember(1) || !p.isMember(2) {
		t.Errorf("membership of rooms 0, 1, 2 = %v, %v, %v; want every other room", p.isMember(0), p.isMember(1), p.isMember(2))
	}
}

func TestUnreadPlanMessages(t *testing.T) {
	p := unreadPlan{rooms: 4, member: 2, senders: 3, ownEvery: 10}
	own := map[int]int{}
	bySender := map[int]int{}
	for k := range 400 { // 100 rounds over the 4 rooms
		room, sender := p.message(k)
		if room != k%4 {
			t.Fatalf("message %d went to room %d, want %d", k, room, k%4)
		}
		if sender < 0 {
			if !p.isMember(room) {
				t.Fatalf("message %d: the measured user sends in room %d, which is not its own", k, room)
			}
			own[room]++
			continue
		}
		if sender >= p.senders {
			t.Fatalf("message %d: sender %d of %d", k, sender, p.senders)
		}
		bySender[sender]++
	}
	for r := range 4 {
		want := 0
		if p.isMember(r) {
			want = 10 // rounds 0, 10, …, 90
		}
		if own[r] != want {
			t.Errorf("room %d: %d own messages, want %d", r, own[r], want)
		}
	}
	if len(bySender) != p.senders {
		t.Errorf("senders used: %v, want all %d", bySender, p.senders)
	}
}

func TestExpectedUnread(t *testing.T) {
	tests := []struct {
		name      string
		last, ptr int64
		own       []int64
		want      int64
	}{
		{"nothing of one's own", 100, 40, nil, 60},
		{"own messages after the pointer don't count", 100, 40, []int64{10, 41, 100}, 58},
		{"all read", 100, 100, []int64{100}, 0},
		{"nothing read", 5, 0, []int64{1, 3}, 3},
	}
	for _, tt := range tests {
		if got := expectedUnread(tt.last, tt.ptr, tt.own); got != tt.want {
			t.Errorf("%s: expectedUnread(%d, %d, %v) = %d, want %d", tt.name, tt.last, tt.ptr, tt.own, got, tt.want)
		}
	}
}

func TestAdvanceMovesForwardWithinTheRoom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct{ ptr, last int64 }{{0, 1000}, {999, 1000}, {0, 1}, {500, 517}} {
		for range 100 {
			got := advance(tt.ptr, tt.last, rnd)
			if got <= tt.ptr || got > tt.last {
				t.Fatalf("advance(%d, %d) = %d, want in (%d, %d]", tt.ptr, tt.last, got, tt.ptr, tt.last)
			}
		}
	}
	if got := advance(7, 7, rnd); got != 7 {
		t.Errorf("advance at the newest message = %d, want 7 (no move)", got)
	}
}

func TestCountedLoopMakesExactlyNCalls(t *testing.T) {
	var calls atomic.Int64
	boom := errors.New("boom")
	ok, failed, firstErr, h, _ := countedLoop(context.Background(), 4, 103, func(ctx context.Context, w int, _ *rand.Rand) error {
		if calls.Add(1)%10 == 0 {
			return boom
		}
		return nil
	})
	if calls.Load() != 103 || ok != 93 || failed != 10 {
		t.Fatalf("calls %d, ok %d, failed %d; want 103, 93, 10", calls.Load(), ok, failed)
	}
	if !errors.Is(firstErr, boom) {
		t.Errorf("first error = %v, want boom", firstErr)
	}
	if h.Count() != 93 {
		t.Errorf("histogram holds %d latencies, want 93 (the successful calls)", h.Count())
	}
}
