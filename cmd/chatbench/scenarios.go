package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bench runs scenarios with one configuration.
type bench struct {
	cfg     config
	log     io.Writer // progress lines (stdout unless -quiet)
	clients []*http.Client
	users   *userPool
}

func newBench(cfg config, stdout io.Writer) (*bench, error) {
	clients, err := dialers(cfg.SourceIPs)
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, log: stdout, clients: clients, users: newUserPool()}
	if cfg.Quiet {
		b.log = io.Discard
	}
	return b, nil
}

func (b *bench) newReport() *report {
	return &report{
		Scenario: b.cfg.Scenario,
		Started:  time.Now().UTC(),
		Params:   b.cfg,
		Machine:  thisMachine(),
		Bar: fmt.Sprintf("a step is sustained when ≥ %.1f%% of its deliveries arrive within %v of their scheduled send and p99 ≤ %v",
			100*barFraction, barWithin, barP99),
	}
}

func (b *bench) runScenario(ctx context.Context, rep *report) error {
	var errs []error
	do := func(name string, f func(context.Context) (scenarioResult, error)) scenarioResult {
		fmt.Fprintf(b.log, "-- %s\n", name)
		r, err := f(ctx)
		if r.Name == "" {
			r.Name = name
		}
		if err != nil {
			r.Error = err.Error()
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		rep.Results = append(rep.Results, r)
		return r
	}
	switch b.cfg.Scenario {
	case "baseline":
		do("baseline", b.baseline)
	case "fanout":
		do("fanout", b.fanout)
	case "persist":
		do("persist", b.persist)
	case "idle":
		do("idle", b.idle)
	case "rest":
		do("rest", b.rest)
	case "smoke":
		do("smoke", b.smoke)
	case "standard":
		// A few minutes in all: shorter steps unless asked otherwise.
		if !b.cfg.set["step"] {
			b.cfg.Step = 10 * time.Second
		}
		if !b.cfg.set["warmup"] {
			b.cfg.Warmup = 3 * time.Second
		}
		b.cfg.set["step"] = true // -duration is the idle hold and rest loop here, not a ladder budget
		base := do("baseline", b.baseline)
		fan := do("fanout", b.fanout)
		do("persist", b.persist)
		do("rest", b.rest)
		do("idle", b.idle)
		compareCeilings(rep, "fanout_of_baseline", deliveryCeiling, fan, base)
	case "streams":
		// One world of distinct users, each in one bench room (and
		// -rooms-per-user − 1 quiet ones); the same members over room
		// sockets, then over user streams, against the same server.
		rooms, members := or(b.cfg.Rooms, 100), or(b.cfg.Members, 10)
		var w *world
		room := do("fanout", func(ctx context.Context) (scenarioResult, error) {
			r := b.fanoutResult("fanout", rooms, members)
			var err error
			if w, err = b.setupWith(ctx, b.streamSetup(rooms, members)); err != nil {
				return r, err
			}
			r, err = b.fanoutLadder(ctx, r, w.fleet)
			r.Notes = append(r.Notes, "over room sockets of the users the fanout-stream ladder uses next: one distinct user per member")
			return r, err
		})
		if w == nil || ctx.Err() != nil {
			break
		}
		stream := do("fanout-stream", func(ctx context.Context) (scenarioResult, error) {
			return b.fanoutLadder(ctx, b.fanoutResult("fanout-stream", rooms, members), w.streamFleet())
		})
		compareCeilings(rep, "stream_of_room_fanout", deliveryCeiling, stream, room)
	case "idle-stream":
		do("idle-stream", b.idleStream)
	case "unread":
		do("unread", b.unread)
	case "search":
		s := do("search", b.search)
		if len(b.cfg.CompareURLs) == 0 || s.Error != "" || ctx.Err() != nil {
			break
		}
		compareRates(rep, "send_rate_index_on_of_off", s, "fill_messages_per_s", s, "fill_messages_per_s_index_off")
		rep.ComparisonNotes = append(rep.ComparisonNotes, "send_rate_index_on_of_off: the REST fill's messages/s with the index over without it, the same chunks alternating between the two servers")
		b.comparePersist(rep, do)
	}
	return errors.Join(errs...)
}

// comparePersist runs the persist ladder on both servers of the search
// scenario, over their filled histories, -persist-rounds times: the
// server with the index first in odd rounds, the one without first in
// even ones, so what the order does (a box that warms, a database still
// settling from the fill) falls on both. do runs and records one result.
func (b *bench) comparePersist(rep *report, do func(string, func(context.Context) (scenarioResult, error)) scenarioResult) {
	rooms, members := or(b.cfg.PersistRooms, 500), or(b.cfg.Members, 4)
	rounds := or(b.cfg.PersistRounds, 1)
	off := b.twin(b.cfg.CompareURLs)
	var sumOn, sumOff float64
	for i := range rounds {
		suffix := ""
		if rounds > 1 {
			suffix = fmt.Sprintf("-%d", i+1)
		}
		ladder := func(on bool) scenarioResult {
			name, bb := "persist"+suffix, b
			if !on {
				name, bb = "persist-index-off"+suffix, off
			}
			return do(name, func(ctx context.Context) (scenarioResult, error) { return bb.persistWith(ctx, name, rooms, members) })
		}
		var rOn, rOff scenarioResult
		if i%2 == 0 {
			rOn, rOff = ladder(true), ladder(false)
		} else {
			rOff, rOn = ladder(false), ladder(true)
		}
		compareCeilings(rep, "persist_index_on_of_off"+strings.ReplaceAll(suffix, "-", "_round"), messageCeiling, rOn, rOff)
		vOn, _ := rOn.metric(messageCeiling)
		vOff, _ := rOff.metric(messageCeiling)
		sumOn, sumOff = sumOn+vOn, sumOff+vOff
	}
	if rounds > 1 && sumOff > 0 {
		rep.Comparisons = append(rep.Comparisons, metric{"persist_index_on_of_off", 100 * sumOn / sumOff, "%"})
		rep.ComparisonNotes = append(rep.ComparisonNotes, fmt.Sprintf("persist_index_on_of_off: the mean ceiling with the index over the mean without, %d rounds, the order swapped each round", rounds))
	}
	rep.ComparisonNotes = append(rep.ComparisonNotes, fmt.Sprintf("persist_index_on_of_off is a ratio of ladder steps: it moves by the rate factor (-rate-factor %.2f)", b.cfg.RateFactor))
}

// The ceilings of the ladders, by their metric.
const (
	deliveryCeiling = "max_sustained_deliveries_per_s"
	messageCeiling  = "max_sustained_messages_per_s"
)

// compareCeilings adds name = num's ceiling (the metric named by ceiling)
// as a percentage of den's, both measured in this run, with a note for
// each ladder that never broke (then the ratio is not one of ceilings).
func compareCeilings(rep *report, name, ceiling string, num, den scenarioResult) {
	if !compareRates(rep, name, num, ceiling, den, ceiling) {
		return
	}
	for _, r := range []scenarioResult{den, num} {
		if !bracketed(r.Phases) {
			rep.ComparisonNotes = append(rep.ComparisonNotes, fmt.Sprintf("the %s ladder never broke, so %s is not a ratio of ceilings: raise -max-steps or -start-rate", r.Name, name))
		}
	}
}

// compareRates adds name = num's metric numKey as a percentage of den's
// metric denKey, when both are there; it reports whether it did.
func compareRates(rep *report, name string, num scenarioResult, numKey string, den scenarioResult, denKey string) bool {
	nv, ok1 := num.metric(numKey)
	dv, ok2 := den.metric(denKey)
	if !ok1 || !ok2 || dv <= 0 {
		return false
	}
	rep.Comparisons = append(rep.Comparisons, metric{name, 100 * nv / dv, "%"})
	return true
}

// ladder builds the stepped load of fanout, baseline and persist. When
// -duration is given without -step it is a budget: the steps are shortened
// so that warm-up, fixed loads and about six steps fit in it.
func (b *bench) ladder(name string, unitsPerSend float64, acks bool, startRate float64, fixed []float64, profile bool) loadSpec {
	c := b.cfg
	spec := loadSpec{
		unitsPerSend: unitsPerSend,
		acks:         acks,
		warmup:       c.Warmup,
		step:         c.Step,
		startRate:    or(c.StartRate, startRate),
		factor:       c.RateFactor,
		fixed:        fixed,
		maxSteps:     c.MaxSteps,
		log:          b.log,
	}
	if c.set["duration"] && !c.set["step"] {
		left := max(c.Duration-c.Warmup, time.Second)
		spec.step = min(max(left/time.Duration(len(fixed)+6), 2*time.Second), 20*time.Second)
		spec.maxSteps = max(1, int(left/spec.step)-len(fixed))
	}
	if profile && c.PprofURL != "" && c.CPUProfileStep >= 0 {
		spec.profilePhase = c.CPUProfileStep
		spec.profile = func(ctx context.Context, index int, d time.Duration) {
			path := fmt.Sprintf("chatd-cpu-%s-phase%d.pprof", name, index)
			if err := cpuProfile(ctx, c.PprofURL, d, path); err != nil {
				fmt.Fprintf(b.log, "  cpu profile of phase %d: %v\n", index, err)
				return
			}
			fmt.Fprintf(b.log, "  cpu profile of phase %d written to %s\n", index, path)
		}
	}
	return spec
}

// load opens the fleet's sockets, runs the spec and closes them again.
// files is how many open files the sockets need in this process.
func (b *bench) load(ctx context.Context, f *fleet, files int, spec loadSpec) ([]phaseResult, []string, error) {
	if err := checkFileLimit(files); err != nil {
		return nil, nil, err
	}
	e := newEngine(f, spec)
	defer e.close()
	start := time.Now()
	if err := e.connect(ctx); err != nil {
		return nil, nil, fmt.Errorf("open %d sockets: %w", f.sockets(), err)
	}
	fmt.Fprintf(b.log, "  %d sockets open in %v\n", f.sockets(), time.Since(start).Round(time.Millisecond))
	phases, err := e.run(ctx)
	return phases, append(e.closeReasons(), lagNotes(phases)...), err
}

// lagNotes flags phases whose senders fell well behind their schedule: the
// latency still counts from the schedule (that is the point of an open
// loop), but on a shared box it may be the load generator that starved.
func lagNotes(phases []phaseResult) []string {
	var out []string
	for _, p := range phases {
		if p.MaxSendLagMs > 100 {
			out = append(out, fmt.Sprintf("phase %d: the senders fell up to %.0f ms behind schedule (a server that stalls writes, or a box short of CPU: see the load average)", p.Index, p.MaxSendLagMs))
		}
	}
	return out
}

// bracketed reports whether a ladder found its ceiling: some step failed.
func bracketed(phases []phaseResult) bool {
	for _, p := range phases {
		if phaseKind(p.Kind) == stepPhase && !p.Pass {
			return true
		}
	}
	return false
}

// ladderMetrics adds the headline figures of a ladder: the highest step
// that cleared the bar, and p99 at each fixed load.
func ladderMetrics(r *scenarioResult, phases []phaseResult, unit, what string) {
	var best *phaseResult
	for i := range phases {
		p := &phases[i]
		switch phaseKind(p.Kind) {
		case fixedPhase:
			r.add(fmt.Sprintf("%s_p99_ms_at_%.0f", what, p.OfferedRate), p.P99Ms, "ms")
			r.add(fmt.Sprintf("%s_within_1s_pct_at_%.0f", what, p.OfferedRate), p.WithinPct, "%")
		case stepPhase:
			if p.Pass && (best == nil || p.OfferedRate > best.OfferedRate) {
				best = p
			}
		}
	}
	key := "max_sustained_" + strings.ReplaceAll(unit, "/", "_per_")
	if best == nil {
		r.add(key, 0, unit)
		r.Notes = append(r.Notes, "no step cleared the bar")
		return
	}
	r.add(key, best.OfferedRate, unit)
	r.add("achieved_at_max_"+strings.ReplaceAll(unit, "/", "_per_"), best.AchievedRate, unit)
	r.add(what+"_p50_ms_at_max", best.P50Ms, "ms")
	r.add(what+"_p99_ms_at_max", best.P99Ms, "ms")
	if !bracketed(phases) {
		r.Notes = append(r.Notes, "the ladder ended (step limit or -duration budget) before the bar broke: the ceiling is higher than reported")
	}
}

func (b *bench) baseline(ctx context.Context) (scenarioResult, error) {
	rooms, members := or(b.cfg.Rooms, 100), or(b.cfg.Members, 10)
	srv, err := startBaseline()
	if err != nil {
		return scenarioResult{}, err
	}
	defer srv.stop()
	r := scenarioResult{Name: "baseline", Target: "in-process broadcast server " + srv.url(), Rooms: rooms, Members: members, Sockets: rooms * members}
	spec := b.ladder("baseline", float64(members), false, 10_000, b.cfg.FixedRates, false)
	// Both ends of every socket live in this process.
	phases, notes, err := b.load(ctx, baselineFleet(srv.url(), rooms, members, b.clients), 2*rooms*members, spec)
	r.Phases, r.Notes = phases, notes
	ladderMetrics(&r, phases, "deliveries/s", "delivery")
	return r, err
}

// fanout runs the fan-out ladder over room sockets or, with -stream, over
// user streams (one distinct user per member).
func (b *bench) fanout(ctx context.Context) (scenarioResult, error) {
	rooms, members := or(b.cfg.Rooms, 100), or(b.cfg.Members, 10)
	if b.cfg.Stream {
		r := b.fanoutResult("fanout-stream", rooms, members)
		w, err := b.setupWith(ctx, b.streamSetup(rooms, members))
		if err != nil {
			return r, err
		}
		return b.fanoutLadder(ctx, r, w.streamFleet())
	}
	r := b.fanoutResult("fanout", rooms, members)
	w, err := b.setup(ctx, rooms, members)
	if err != nil {
		return r, err
	}
	return b.fanoutLadder(ctx, r, w.fleet)
}

func (b *bench) fanoutResult(name string, rooms, members int) scenarioResult {
	return scenarioResult{Name: name, Target: strings.Join(b.cfg.URLs, ","), Rooms: rooms, Members: members, Sockets: rooms * members}
}

// fanoutLadder runs the fixed loads and the ladder of deliveries/s over f,
// whose rooms have r.Members sockets each.
func (b *bench) fanoutLadder(ctx context.Context, r scenarioResult, f *fleet) (scenarioResult, error) {
	spec := b.ladder(r.Name, float64(r.Members), false, 10_000, b.cfg.FixedRates, true)
	phases, notes, err := b.load(ctx, f, r.Sockets, spec)
	r.Phases, r.Notes = phases, append(notes, perSocketNote(phases, r.Sockets, float64(r.Members))...)
	if f.streams() {
		r.Notes = append(r.Notes, "over user streams (GET /ws): one distinct user per member, each in its bench room"+quietNote(b.cfg.RoomsPerUser)+"; each stream was used once its ready frame arrived; deliveries are its message frames")
	}
	ladderMetrics(&r, phases, "deliveries/s", "delivery")
	return r, err
}

// quietNote says how many quiet rooms each stream's user belongs to.
func quietNote(roomsPerUser int) string {
	if roomsPerUser <= 1 {
		return ""
	}
	return fmt.Sprintf(" and %d quiet rooms (-rooms-per-user %d)", roomsPerUser-1, roomsPerUser)
}

// streamSetup is the world user streams need: a distinct user per member,
// each also in -rooms-per-user − 1 quiet rooms.
func (b *bench) streamSetup(rooms, members int) chatdSetup {
	return chatdSetup{rooms: rooms, members: members, distinct: true, quiet: max(b.cfg.RoomsPerUser, 1) - 1}
}

func (b *bench) persist(ctx context.Context) (scenarioResult, error) {
	return b.persistWith(ctx, "persist", or(b.cfg.Rooms, 500), or(b.cfg.Members, 4))
}

// persistWith runs the persist ladder over rooms × members sockets, every
// member sending in turn; name names the result (and its profiles).
func (b *bench) persistWith(ctx context.Context, name string, rooms, members int) (scenarioResult, error) {
	r := scenarioResult{Name: name, Target: strings.Join(b.cfg.URLs, ","), Rooms: rooms, Members: members, Sockets: rooms * members}
	w, err := b.setup(ctx, rooms, members)
	if err != nil {
		return r, err
	}
	spec := b.ladder(name, 1, true, 1_000, nil, true)
	if b.cfg.Scenario == "standard" {
		spec.startRate = or(b.cfg.PersistStartRate, 1_000) // -start-rate is in deliveries/s there, for the fan-out ladders
	}
	phases, notes, err := b.load(ctx, w.fleet, rooms*members, spec)
	r.Phases = phases
	r.Notes = append(notes, "received = the sender's own echo, which carries the stored id and seq: the message was persisted and acknowledged")
	r.Notes = append(r.Notes, perSocketNote(phases, rooms*members, 1)...)
	ladderMetrics(&r, phases, "messages/s", "ack")
	return r, err
}

// perSocketNote warns when the offered load asks more of each socket than
// chatd's per-socket message limit allows (20/s, burst 40).
func perSocketNote(phases []phaseResult, sockets int, unitsPerSend float64) []string {
	var peak float64
	for _, p := range phases {
		peak = max(peak, p.OfferedRate/unitsPerSend/float64(sockets))
	}
	if peak > 20 {
		return []string{fmt.Sprintf("the top phase asked %.1f messages/s of each socket; chatd's default limit is 20/s per socket (close 1008): add rooms or members", peak)}
	}
	return nil
}

// setup checks that every instance answers, then builds users, rooms and
// sockets through the API.
func (b *bench) setup(ctx context.Context, rooms, members int) (*world, error) {
	return b.setupWith(ctx, chatdSetup{rooms: rooms, members: members})
}

// setupWith is setup for s's rooms, members and options; the instances,
// users, clients, pool and log come from the bench.
func (b *bench) setupWith(ctx context.Context, s chatdSetup) (*world, error) {
	if err := b.checkHealth(ctx); err != nil {
		return nil, err
	}
	s.instances, s.users, s.clients, s.pool, s.log = b.cfg.URLs, b.cfg.Users, b.clients, b.users, b.log
	start := time.Now()
	w, err := setupChatd(ctx, s)
	if err != nil {
		return nil, err
	}
	quiet := ""
	if s.quiet > 0 {
		quiet = fmt.Sprintf(", %d quiet rooms, %d quiet memberships", max(s.rooms, s.quiet), w.setup.users*s.quiet)
	}
	fmt.Fprintf(b.log, "  setup (%d users, %d rooms, %d memberships%s) took %v\n", w.setup.users, s.rooms, s.rooms*s.members, quiet, time.Since(start).Round(time.Millisecond))
	return w, nil
}

// checkHealth fails unless every instance answers /healthz.
func (b *bench) checkHealth(ctx context.Context) error {
	for _, u := range b.cfg.URLs {
		if _, err := fetch(ctx, strings.TrimRight(u, "/")+"/healthz", 4096); err != nil {
			return fmt.Errorf("chatd at %s does not answer /healthz: %w", u, err)
		}
	}
	return nil
}

// smoke sends a few messages and checks that every member received every
// one exactly once. CI runs it.
// With -stream every member is a user stream of its own user.
func (b *bench) smoke(ctx context.Context) (scenarioResult, error) {
	rooms, members := or(b.cfg.Rooms, 2), or(b.cfg.Members, 3)
	r := scenarioResult{Name: "smoke", Target: strings.Join(b.cfg.URLs, ","), Rooms: rooms, Members: members, Sockets: rooms * members}
	if b.cfg.Stream {
		r.Name = "smoke-stream"
		w, err := b.setupWith(ctx, b.streamSetup(rooms, members))
		if err != nil {
			return r, err
		}
		return runSmoke(ctx, r, w.streamFleet(), b.cfg.Messages, b.log)
	}
	w, err := b.setup(ctx, rooms, members)
	if err != nil {
		return r, err
	}
	return runSmoke(ctx, r, w.fleet, b.cfg.Messages, b.log)
}

// runSmoke is the exactness check of smoke, on any fleet (tests use the
// baseline server's).
func runSmoke(ctx context.Context, r scenarioResult, f *fleet, messages int, log io.Writer) (scenarioResult, error) {
	members := len(f.rooms[0])
	// At most 10 messages/s per socket, well inside chatd's per-socket limit.
	d := time.Duration(math.Max(1, math.Ceil(float64(messages)/float64(10*f.sockets())))) * time.Second
	spec := loadSpec{
		unitsPerSend: float64(members),
		track:        true,
		phases:       []phase{{oncePhase, float64(messages*members) / d.Seconds(), d}},
		grace:        10 * time.Second,
		log:          log,
	}
	e := newEngine(f, spec)
	defer e.close()
	if err := e.connect(ctx); err != nil {
		return r, fmt.Errorf("open %d sockets: %w", f.sockets(), err)
	}
	phases, err := e.run(ctx)
	r.Phases, r.Notes = phases, e.closeReasons()
	if err != nil {
		return r, err
	}
	var sends, missing, dups, foreign int
	e.sentMu.Lock()
	defer e.sentMu.Unlock()
	for room, socks := range f.rooms {
		sent := e.sent[room]
		sends += len(sent)
		for _, s := range socks {
			s.mu.Lock()
			for _, id := range sent {
				switch n := s.seen[id]; {
				case n == 0:
					missing++
				case n > 1:
					dups += n - 1
				}
			}
			for id := range s.seen {
				if !contains(sent, id) {
					foreign++
				}
			}
			s.mu.Unlock()
		}
	}
	r.add("messages_sent", float64(sends), "messages")
	r.add("deliveries_expected", float64(sends*members), "deliveries")
	r.add("deliveries_missing", float64(missing), "deliveries")
	r.add("deliveries_duplicated", float64(dups), "deliveries")
	r.add("deliveries_from_elsewhere", float64(foreign), "deliveries")
	if len(phases) == 1 {
		r.add("p99_ms", phases[0].P99Ms, "ms")
	}
	switch {
	case sends != messages:
		return r, fmt.Errorf("sent %d messages, want %d", sends, messages)
	case missing+dups+foreign > 0 || phases[0].SendErrors > 0:
		return r, fmt.Errorf("not exactly once: %d deliveries missing, %d duplicated, %d from another room, %d sends failed",
			missing, dups, foreign, phases[0].SendErrors)
	}
	return r, nil
}

// serverPIDs are the processes whose memory idle reports: -server-pid, or
// the listener of each instance's port.
func (b *bench) serverPIDs() ([]int, error) {
	if b.cfg.ServerPID > 0 {
		return []int{b.cfg.ServerPID}, nil
	}
	var pids []int
	for _, u := range b.cfg.URLs {
		pid, err := listenerPID(u)
		if err != nil {
			return nil, err
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

func sumRSS(pids []int) (int64, error) {
	var total int64
	for _, p := range pids {
		n, err := rssBytes(p)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// idle holds authenticated sockets open without traffic and reports what
// each costs the server.
func (b *bench) idle(ctx context.Context) (scenarioResult, error) {
	rooms, members := or(b.cfg.Rooms, 100), or(b.cfg.Members, 100)
	n := rooms * members
	r := scenarioResult{Name: "idle", Target: strings.Join(b.cfg.URLs, ","), Rooms: rooms, Members: members, Sockets: n}
	w, err := b.setup(ctx, rooms, members)
	if err != nil {
		return r, err
	}
	m := b.newMeter(&r)
	rss, gr := m.rss, func() goStats { return m.goStats(ctx) }
	g0 := gr()
	rss0, err := m.settle(ctx, 1)
	if err != nil {
		return r, err
	}
	if err := checkFileLimit(n); err != nil {
		return r, err
	}
	e := newEngine(w.fleet, loadSpec{log: b.log})
	defer e.close()
	start := time.Now()
	if err := e.connect(ctx); err != nil {
		return r, fmt.Errorf("open %d sockets: %w", n, err)
	}
	fmt.Fprintf(b.log, "  %d sockets open in %v; settling\n", n, time.Since(start).Round(time.Millisecond))
	if err := sleep(ctx, 3*time.Second); err != nil {
		return r, err
	}
	rss1, g1 := rss(), gr()
	fmt.Fprintf(b.log, "  holding for %v\n", b.cfg.Duration)
	if err := sleep(ctx, b.cfg.Duration); err != nil {
		return r, err
	}
	alive := 0
	for _, room := range w.fleet.rooms {
		for _, s := range room {
			if !s.dead.Load() {
				alive++
			}
		}
	}
	rss2 := rss()
	r.add("sockets_opened", float64(n), "sockets")
	r.add("sockets_alive_after_hold", float64(alive), "sockets")
	if m.pidErr == nil {
		r.add("server_rss_before", float64(rss0)/(1<<20), "MiB")
		r.add("server_rss_open", float64(rss1)/(1<<20), "MiB")
		r.add("server_rss_after_hold", float64(rss2)/(1<<20), "MiB")
		r.add("server_rss_per_socket", float64(rss1-rss0)/float64(n)/1024, "KiB")
		r.add("server_rss_open_per_socket", float64(rss1)/float64(n)/1024, "KiB")
		r.Notes = append(r.Notes, fmt.Sprintf("server processes: %v", m.pids))
	}
	if b.cfg.PprofURL != "" {
		r.add("server_goroutines_before", float64(g0.goroutines), "goroutines")
		r.add("server_goroutines_open", float64(g1.goroutines), "goroutines")
		r.add("server_goroutines_per_socket", float64(g1.goroutines-g0.goroutines)/float64(n), "goroutines")
		r.add("server_go_heap_stack_per_socket", float64(g1.mem-g0.mem)/float64(n)/1024, "KiB")
	} else {
		r.Notes = append(r.Notes, "goroutines and Go memory per socket need -pprof-url (chatd's PPROF_ADDR)")
	}
	if m.pidErr == nil {
		r.Notes = append(r.Notes, "server_rss_per_socket is the RSS growth while the sockets opened: run it on a freshly started server, since memory the runtime kept from earlier load (argon2id buffers of setup, say) is reused first; server_rss_open_per_socket (all RSS / sockets) bounds it from above")
	}
	if self, err := rssBytes(os.Getpid()); err == nil {
		r.add("chatbench_rss", float64(self)/(1<<20), "MiB")
	}
	r.Notes = append(r.Notes, e.closeReasons()...)
	return r, nil
}

// serverMeter reads what the server under test holds: the RSS of its
// processes and, with -pprof-url, its goroutines and Go heap + stacks.
// What it could not read becomes a note of r.
type serverMeter struct {
	b      *bench
	r      *scenarioResult
	pids   []int
	pidErr error
}

type goStats struct{ goroutines, mem int64 }

func (b *bench) newMeter(r *scenarioResult) *serverMeter {
	m := &serverMeter{b: b, r: r}
	m.pids, m.pidErr = b.serverPIDs()
	if m.pidErr != nil {
		r.Notes = append(r.Notes, "no server RSS: "+m.pidErr.Error())
	}
	return m
}

// rss is the servers' resident set in bytes (0 when unknown).
func (m *serverMeter) rss() int64 {
	if m.pidErr != nil {
		return 0
	}
	v, err := sumRSS(m.pids)
	if err != nil {
		m.r.Notes = append(m.r.Notes, "reading RSS: "+err.Error())
	}
	return v
}

// goStats reads the goroutines and, after a forced GC, the Go heap +
// stacks in use (zero without -pprof-url).
func (m *serverMeter) goStats(ctx context.Context) goStats {
	if m.b.cfg.PprofURL == "" {
		return goStats{}
	}
	g, err := goroutines(ctx, m.b.cfg.PprofURL)
	if err != nil {
		m.r.Notes = append(m.r.Notes, "reading goroutines: "+err.Error())
	}
	mem, err := goMemory(ctx, m.b.cfg.PprofURL)
	if err != nil {
		m.r.Notes = append(m.r.Notes, "reading Go memory: "+err.Error())
	}
	return goStats{int64(g), mem}
}

// settle waits for the servers' RSS to settle and returns it. Call it
// after goStats, which forces a GC: the argon2id buffers of setup are
// garbage by then, and the runtime returns them to the OS gradually, at
// times in bursts a few seconds apart (settled: stable readings, a second
// apart and each within 1 MiB of the one before, at most 20 s).
func (m *serverMeter) settle(ctx context.Context, stable int) (int64, error) {
	rss, calm := m.rss(), 0
	for range 20 {
		if err := sleep(ctx, time.Second); err != nil {
			return rss, err
		}
		next := m.rss()
		if abs(next-rss) < 1<<20 {
			calm++
		} else {
			calm = 0
		}
		rss = next
		if calm >= stable {
			break
		}
	}
	return rss, nil
}

// settleGC is settle for a server whose GC chatbench can force
// (-pprof-url): the runtime lowers the memory it keeps for the heap a GC
// cycle at a time after the heap shrank, so setup's memory goes back to the
// OS only over the next few cycles, whenever they come (at the first
// allocations of the measured step, otherwise). Each reading follows a
// forced GC; settled is three calm readings in a row.
func (m *serverMeter) settleGC(ctx context.Context) (int64, error) {
	if m.b.cfg.PprofURL == "" {
		return m.settle(ctx, 3)
	}
	rss, calm := m.rss(), 0
	for range 30 {
		m.goStats(ctx)
		if err := sleep(ctx, time.Second); err != nil {
			return rss, err
		}
		next := m.rss()
		if abs(next-rss) < 1<<20 {
			calm++
		} else {
			calm = 0
		}
		rss = next
		if calm >= 3 {
			break
		}
	}
	return rss, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// closedLoop runs fn on workers goroutines, back to back, for d, and
// returns how many calls succeeded, how many failed (with the first
// failure) and the latency histogram of the successful ones in µs.
func closedLoop(ctx context.Context, workers int, d time.Duration, fn func(ctx context.Context, worker int, rnd *rand.Rand) error) (ok, failed int64, firstErr error, h *Histogram) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	hist := newShardedHist(workers)
	var okN, failN atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				start := time.Now()
				err := fn(ctx, w, rnd)
				switch {
				case err == nil:
					okN.Add(1)
					hist.Record(w, time.Since(start).Microseconds())
				case ctx.Err() == nil:
					failN.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	return okN.Load(), failN.Load(), firstErr, hist.Merged()
}

// rest measures history pages and logins over closed loops of
// -concurrency workers.
func (b *bench) rest(ctx context.Context) (scenarioResult, error) {
	rooms, members := or(b.cfg.Rooms, 10), or(b.cfg.Members, 2)
	r := scenarioResult{Name: "rest", Target: b.cfg.URLs[0], Rooms: rooms, Members: members}
	w, err := b.setup(ctx, rooms, members)
	if err != nil {
		return r, err
	}
	// Seed 100 messages per room through the sockets, ≤ 10/s per socket.
	const perRoom = 100
	d := time.Duration(math.Ceil(perRoom/(10*float64(members)))) * time.Second
	e := newEngine(w.fleet, loadSpec{unitsPerSend: 1, acks: true, phases: []phase{{oncePhase, float64(rooms*perRoom) / d.Seconds(), d}}, grace: 10 * time.Second, log: b.log})
	err = e.connect(ctx)
	var seeded []phaseResult
	if err == nil {
		seeded, err = e.run(ctx)
	}
	e.close()
	if err != nil {
		return r, fmt.Errorf("seed history: %w", err)
	}
	if seeded[0].Received != seeded[0].Sends {
		return r, fmt.Errorf("seed history: %d of %d messages acknowledged", seeded[0].Received, seeded[0].Sends)
	}
	fmt.Fprintf(b.log, "  %d messages seeded; history pages for %v with %d workers\n", seeded[0].Sends, b.cfg.Duration, b.cfg.Concurrency)

	var short atomic.Int64
	bufs := make([]bytes.Buffer, b.cfg.Concurrency) // one per worker, reused
	ok, failed, firstErr, h := closedLoop(ctx, b.cfg.Concurrency, b.cfg.Duration, func(ctx context.Context, worker int, rnd *rand.Rand) error {
		room := rnd.IntN(rooms)
		n, err := w.api.history(ctx, w.tokens[w.setup.userOf(room, 0)], w.roomIDs[room], 50, &bufs[worker])
		if err == nil && n != 50 {
			short.Add(1)
		}
		return err
	})
	secs := b.cfg.Duration.Seconds()
	r.add("history_pages_per_s", float64(ok)/secs, "pages/s")
	r.add("history_p50_ms", float64(h.Quantile(0.5))/1000, "ms")
	r.add("history_p99_ms", float64(h.Quantile(0.99))/1000, "ms")
	r.add("history_p99_9_ms", float64(h.Quantile(0.999))/1000, "ms")
	r.add("history_errors", float64(failed), "requests")
	if short.Load() > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d pages held fewer than 50 messages", short.Load()))
	}
	if firstErr != nil {
		r.Notes = append(r.Notes, "first history error: "+firstErr.Error())
	}

	// Logins are CPU-bound on the server (argon2id): more workers than
	// twice its cores would only measure queueing.
	loginFor, loginWorkers := min(b.cfg.Duration, 10*time.Second), min(b.cfg.Concurrency, 2*runtime.NumCPU())
	fmt.Fprintf(b.log, "  logins for %v with %d workers\n", loginFor, loginWorkers)
	ok, failed, firstErr, h = closedLoop(ctx, loginWorkers, loginFor, func(ctx context.Context, worker int, rnd *rand.Rand) error {
		_, err := w.api.login(ctx, w.names[rnd.IntN(len(w.names))])
		return err
	})
	r.add("logins_per_s", float64(ok)/loginFor.Seconds(), "logins/s")
	r.add("login_p50_ms", float64(h.Quantile(0.5))/1000, "ms")
	r.add("login_p99_ms", float64(h.Quantile(0.99))/1000, "ms")
	r.add("login_errors", float64(failed), "requests")
	if firstErr != nil {
		r.Notes = append(r.Notes, "first login error: "+firstErr.Error())
	}
	r.Notes = append(r.Notes, fmt.Sprintf("closed loops: %d workers for history, %d for logins; logins are bound by the server's argon2id parameters (chatd's default: m=19 MiB, t=2, p=1) and this box's %d cores",
		b.cfg.Concurrency, loginWorkers, runtime.NumCPU()))
	return r, nil
}
