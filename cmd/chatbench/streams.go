package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// idleStream holds two sets of idle user streams open on the same server,
// one after the other: first -sockets streams of users who belong to one
// room, then as many of users who belong to k = -rooms-per-user rooms. A
// stream registers in every room of its user, so the two sets' costs per
// stream differ by k − 1 registrations, and
//
//	per registration = (cost_k − cost_1) / (k − 1)
//	per stream       = cost_1 − per registration
//
// The first set stays open while the second opens: each set's cost is the
// growth its opening caused, and the second never reuses memory the first
// freed. Before either, the rooms' creator opens one stream per instance:
// it is in every room, so every room's bus subscription (one per room and
// instance, shared by the room's sockets there) exists before the sets
// open, and their costs are their sockets and registrations only; what the
// creator's streams cost gives the subscriptions' cost.
func (b *bench) idleStream(ctx context.Context) (scenarioResult, error) {
	n, k := or(b.cfg.Sockets, 5_000), or(b.cfg.RoomsPerUser, 50)
	rooms := max(or(b.cfg.Rooms, 1_000), k)
	users := min(b.cfg.Users, n)
	r := scenarioResult{Name: "idle-stream", Target: strings.Join(b.cfg.URLs, ","), Rooms: rooms, Sockets: 2 * n}
	if k < 2 {
		return r, fmt.Errorf("-rooms-per-user %d: idle-stream compares streams of users in 1 room with streams of users in more", k)
	}
	if err := b.checkHealth(ctx); err != nil {
		return r, err
	}
	a := newAPI(b.cfg.URLs[0])
	start := time.Now()
	// User 0 creates the rooms, and so belongs to all of them (its streams
	// make the rooms' subscriptions, below); then a set of users in one
	// room each, and a set in k.
	if err := b.users.grow(ctx, a, 1+2*users, b.log); err != nil {
		return r, err
	}
	tokens := b.users.tokens
	owner, ones, manys := tokens[0], tokens[1:1+users], tokens[1+users:1+2*users]
	ids, err := a.createRooms(ctx, owner, rooms, b.users.run)
	if err != nil {
		return r, err
	}
	if err := a.joinSpread(ctx, ones, ids, 1, b.log); err != nil {
		return r, err
	}
	if err := a.joinSpread(ctx, manys, ids, k, b.log); err != nil {
		return r, err
	}
	fmt.Fprintf(b.log, "  setup (%d users, %d rooms, %d memberships) took %v\n", 1+2*users, rooms, rooms+users*(1+k), time.Since(start).Round(time.Millisecond))
	if err := checkFileLimit(2 * n); err != nil {
		return r, err
	}

	m := b.newMeter(&r)
	rss0, err := m.settleGC(ctx)
	if err != nil {
		return r, err
	}
	g0 := m.goStats(ctx)
	type measured struct {
		rss int64
		g   goStats
	}
	instances := len(b.cfg.URLs)
	var sets []*fleet
	var after []measured // the creator's streams, then each set
	for set, open := range []struct {
		tokens []string
		n      int
		what   string
	}{
		{[]string{owner}, instances, fmt.Sprintf("stream(s) of the rooms' creator, in all %d rooms,", rooms)},
		{ones, n, "streams of users in 1 room"},
		{manys, n, fmt.Sprintf("streams of users in %d rooms", k)},
	} {
		f := idleStreamFleet(b.cfg.URLs, open.tokens, open.n, []int{2 * n, 0, n}[set], b.clients)
		e := newEngine(f, loadSpec{log: b.log})
		defer e.close()
		start := time.Now()
		if err := e.connect(ctx); err != nil {
			return r, fmt.Errorf("open %d %s: %w", open.n, open.what, err)
		}
		fmt.Fprintf(b.log, "  %d %s open (ready) in %v; settling\n", open.n, open.what, time.Since(start).Round(time.Millisecond))
		if err := sleep(ctx, 3*time.Second); err != nil {
			return r, err
		}
		g := m.goStats(ctx) // a GC, then RSS as settleGC read it
		if err := sleep(ctx, time.Second); err != nil {
			return r, err
		}
		after = append(after, measured{m.rss(), g})
		sets = append(sets, f)
		r.Notes = append(r.Notes, e.closeReasons()...)
	}
	fmt.Fprintf(b.log, "  holding for %v\n", b.cfg.Duration)
	if err := sleep(ctx, b.cfg.Duration); err != nil {
		return r, err
	}
	alive := 0
	for _, f := range sets[1:] { // the two sets, not the creator's streams
		for _, s := range f.rooms[0] {
			if !s.dead.Load() {
				alive++
			}
		}
	}
	subs := float64(instances * rooms) // room subscriptions the creator's streams made
	r.add("streams_opened", float64(2*n), "sockets")
	r.add("streams_alive_after_hold", float64(alive), "sockets")
	r.add("rooms_per_user", float64(k), "rooms")
	kib := func(v float64) float64 { return v / 1024 }
	if m.pidErr == nil {
		c := streamCosts(after[0].rss, after[1].rss, after[2].rss, n, k)
		r.add("server_rss_before", float64(rss0)/(1<<20), "MiB")
		r.add("server_rss_open", float64(after[2].rss)/(1<<20), "MiB")
		r.add("server_rss_per_stream_1room", kib(c.one), "KiB")
		r.add(fmt.Sprintf("server_rss_per_stream_%drooms", k), kib(c.many), "KiB")
		r.add("server_rss_per_room_registration", c.perRoom, "B")
		r.add("server_rss_per_stream_base", kib(c.base), "KiB")
		r.add("server_rss_per_room_subscription", c.perSubscription(after[0].rss-rss0, instances, subs), "B")
		r.Notes = append(r.Notes, fmt.Sprintf("server processes: %v", m.pids))
	}
	if b.cfg.PprofURL != "" {
		c := streamCosts(after[0].g.mem, after[1].g.mem, after[2].g.mem, n, k)
		r.add("server_goroutines_per_stream_1room", float64(after[1].g.goroutines-after[0].g.goroutines)/float64(n), "goroutines")
		r.add(fmt.Sprintf("server_goroutines_per_stream_%drooms", k), float64(after[2].g.goroutines-after[1].g.goroutines)/float64(n), "goroutines")
		r.add("server_goroutines_per_room_subscription", float64(after[0].g.goroutines-g0.goroutines-int64(instances))/subs, "goroutines")
		r.add("server_go_heap_stack_per_stream_1room", kib(c.one), "KiB")
		r.add(fmt.Sprintf("server_go_heap_stack_per_stream_%drooms", k), kib(c.many), "KiB")
		r.add("server_go_heap_stack_per_room_registration", c.perRoom, "B")
		r.add("server_go_heap_stack_per_stream_base", kib(c.base), "KiB")
		r.add("server_go_heap_stack_per_room_subscription", c.perSubscription(after[0].g.mem-g0.mem, instances, subs), "B")
	} else {
		r.Notes = append(r.Notes, "goroutines and Go memory per stream need -pprof-url (chatd's PPROF_ADDR)")
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("per stream: the growth while %d streams opened, each set measured with the earlier one still open; per_room_registration = (per_stream_%drooms − per_stream_1room) / %d; per_stream_base = per_stream_1room − per_room_registration: what a stream costs besides its rooms (issue 13's bar: ≤ 16 KiB, plus k × per_room_registration for a user in k rooms)", n, k, k-1),
		fmt.Sprintf("per_room_subscription: what the rooms' creator's %d stream(s), in all %d rooms, cost beyond a stream and its registrations, per room and instance (every room's bus subscription and hub entry was made by them, before the sets opened); goroutines likewise, less one per stream", instances, rooms),
		fmt.Sprintf("%d users per set, so %d streams per user; rooms spread: user u of the second set is in rooms u·%d … u·%d+%d (mod %d), of the first in room u", users, n/max(users, 1), k, k, k-1, rooms))
	if m.pidErr == nil {
		r.Notes = append(r.Notes, "RSS figures are growth on a server that may reuse memory it kept from setup: run idle-stream on a freshly started server, with -pprof-url (each RSS reading then follows a forced GC, and the first waits until GCs return setup's memory to the OS); the Go heap + stacks figures do not depend on that")
	}
	if self, err := rssBytes(os.Getpid()); err == nil {
		r.add("chatbench_rss", float64(self)/(1<<20), "MiB")
	}
	return r, nil
}

// idleStreamFleet is n user streams over tokens (stream i is tokens[i mod
// len]'s), dialling the instances round-robin; first numbers them. They
// send nothing, so they form one group.
func idleStreamFleet(instances, tokens []string, n, first int, clients []*http.Client) *fleet {
	socks := make([]*sock, n)
	for i := range n {
		id := first + i
		socks[i] = &sock{id: id, url: streamURL(instances[id%len(instances)], tokens[i%len(tokens)]), client: clients[id%len(clients)], stream: true}
	}
	return &fleet{rooms: [][]*sock{socks}}
}

// streamCost is what idle-stream derives, in bytes.
type streamCost struct {
	one, many float64 // per stream of a user in 1 room, in k rooms
	perRoom   float64 // per room registration
	base      float64 // per stream, besides its registrations
}

// perSubscription is, per subscription, what growth (the cost of streams
// streams in every room, which made subs room subscriptions) leaves
// beyond those streams and their registrations.
func (c streamCost) perSubscription(growth int64, streams int, subs float64) float64 {
	return (float64(growth) - float64(streams)*c.base - subs*c.perRoom) / subs
}

// streamCosts derives the per-stream and per-registration costs from a
// reading before any stream (v0), after n streams of users in one room
// (v1) and after n more of users in k rooms (vk).
func streamCosts(v0, v1, vk int64, n, k int) streamCost {
	var c streamCost
	c.one = float64(v1-v0) / float64(n)
	c.many = float64(vk-v1) / float64(n)
	c.perRoom = (c.many - c.one) / float64(k-1)
	c.base = c.one - c.perRoom
	return c
}
