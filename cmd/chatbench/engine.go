package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"
)

// The bar a step must clear to count as sustained.
const (
	barWithin   = time.Second
	barFraction = 0.999
	barP99      = 250 * time.Millisecond
)

// fleet is the set of sockets a load run drives, grouped by room.
type fleet struct {
	rooms [][]*sock
}

// streams reports whether the fleet's sockets are user streams.
func (f *fleet) streams() bool {
	return len(f.rooms) > 0 && len(f.rooms[0]) > 0 && f.rooms[0][0].stream
}

func (f *fleet) sockets() int {
	n := 0
	for _, r := range f.rooms {
		n += len(r)
	}
	return n
}

// phaseKind says what a phase is for.
type phaseKind string

const (
	warmupPhase phaseKind = "warmup" // not judged
	fixedPhase  phaseKind = "fixed"  // a fixed load: reported, never stops the run
	stepPhase   phaseKind = "step"   // the ladder, decided step by step (see ladder)
	oncePhase   phaseKind = "once"   // a single judged phase (smoke)
)

// phase is one stretch of constant offered load.
type phase struct {
	kind     phaseKind
	rate     float64 // offered units per second (deliveries or messages)
	duration time.Duration
}

// loadSpec is what one load run offers and how it is judged.
type loadSpec struct {
	// unitsPerSend converts the offered rate to sends: the room size for
	// fan-out (rate in deliveries/s), 1 for persist (rate in messages/s).
	unitsPerSend float64
	// acks judges only the sender's own echo (persist); otherwise every
	// delivery to every member is judged (fan-out).
	acks bool
	// track keeps every client_id each socket receives (smoke), so that
	// exactly-once delivery can be checked.
	track bool

	warmup    time.Duration
	step      time.Duration
	startRate float64
	factor    float64
	fixed     []float64
	maxSteps  int
	grace     time.Duration // the least wait for deliveries after a phase, before the drain rules apply

	// phases, when set, replaces the warmup/fixed/step plan.
	phases []phase

	// profile, when set, is called at the start of the phase whose index is
	// profilePhase, with that phase's length.
	profilePhase int
	profile      func(ctx context.Context, index int, d time.Duration)

	log io.Writer
}

// phaseStats are the counters of one phase, shared by its senders and
// every reader.
type phaseStats struct {
	sends      atomic.Int64
	sendErrors atomic.Int64
	maxLag     atomic.Int64 // ns the sender was behind its schedule, worst case
	judged     atomic.Int64 // deliveries (fan-out) or acks (persist) received
	within     atomic.Int64 // … of which within barWithin of the due time
	others     atomic.Int64 // other members' deliveries when judging acks
	hist       shardedHist  // latency of judged deliveries, µs
}

// phaseResult is one row of the report.
type phaseResult struct {
	Index        int     `json:"index"`
	Kind         string  `json:"kind"`
	OfferedRate  float64 `json:"offered_per_s"`
	Seconds      float64 `json:"seconds"`
	Sends        int64   `json:"sends"`
	SendErrors   int64   `json:"send_errors"`
	MaxSendLagMs float64 `json:"max_send_lag_ms"`
	Expected     int64   `json:"expected"`
	Received     int64   `json:"received"`
	WithinPct    float64 `json:"within_1s_pct"`
	AchievedRate float64 `json:"achieved_per_s"` // received / (phase + drain)
	Others       int64   `json:"other_deliveries,omitempty"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	P999Ms       float64 `json:"p99_9_ms"`
	MaxMs        float64 `json:"max_ms"`
	Pass         bool    `json:"pass"`
	Dead         int     `json:"dead_sockets"`
	DrainSeconds float64 `json:"drain_s"` // from the last scheduled send until everything arrived (or stopped arriving)
}

// engine runs open-loop load over a fleet.
type engine struct {
	fleet *fleet
	spec  loadSpec

	phases [64]atomic.Pointer[phaseStats]

	readers    sync.WaitGroup
	aux        sync.WaitGroup // the profiler, when one runs
	sentMu     sync.Mutex
	sent       map[int][]string // client_ids sent per room, when tracking
	readCtx    context.Context
	stopRead   context.CancelFunc
	errFrames  atomic.Int64
	firstError atomic.Pointer[string]
	closeMu    sync.Mutex
	closes     map[string]int // why sockets closed, while the run lasted
}

func newEngine(f *fleet, spec loadSpec) *engine {
	if spec.log == nil {
		spec.log = io.Discard
	}
	if spec.grace == 0 {
		spec.grace = barWithin + 250*time.Millisecond
	}
	return &engine{fleet: f, spec: spec, closes: map[string]int{}}
}

// connect dials every socket with bounded concurrency and starts its reader.
func (e *engine) connect(ctx context.Context) error {
	e.readCtx, e.stopRead = context.WithCancel(context.WithoutCancel(ctx))
	var all []*sock
	for _, r := range e.fleet.rooms {
		all = append(all, r...)
	}
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for _, s := range all {
		g.Go(func() error {
			c, err := s.dial(gctx)
			if err != nil {
				return err
			}
			e.startReader(s, c)
			if n := done.Add(1); n%5000 == 0 {
				fmt.Fprintf(e.spec.log, "  %d/%d sockets open\n", n, len(all))
			}
			return nil
		})
	}
	return g.Wait()
}

func (e *engine) startReader(s *sock, c *websocket.Conn) {
	e.readers.Go(func() { e.read(s, c) })
}

// close stops every reader and closes every socket.
func (e *engine) close() {
	e.aux.Wait()
	if e.stopRead == nil {
		return
	}
	e.stopRead()
	for _, r := range e.fleet.rooms {
		for _, s := range r {
			if c := s.conn.Load(); c != nil {
				c.CloseNow()
			}
		}
	}
	e.readers.Wait()
}

// redial reopens sockets the server closed, so one overloaded phase does not
// spoil the next. It returns how many it reopened.
func (e *engine) redial(ctx context.Context) (int, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	var n atomic.Int64
	for _, r := range e.fleet.rooms {
		for _, s := range r {
			if !s.dead.Load() {
				continue
			}
			n.Add(1)
			g.Go(func() error {
				c, err := s.dial(gctx)
				if err != nil {
					return err
				}
				e.startReader(s, c)
				return nil
			})
		}
	}
	err := g.Wait()
	return int(n.Load()), err
}

func (e *engine) read(s *sock, c *websocket.Conn) {
	buf := make([]byte, 0, 1024)
	for {
		var err error
		buf, err = readFrame(e.readCtx, c, buf)
		if err != nil {
			s.dead.Store(true)
			if e.readCtx.Err() == nil {
				e.noteClose(err)
			}
			return
		}
		e.deliver(s, buf, time.Now())
	}
}

func (e *engine) noteClose(err error) {
	why := "connection lost"
	if code := websocket.CloseStatus(err); code != -1 {
		why = "close " + strconv.Itoa(int(code))
	}
	e.closeMu.Lock()
	e.closes[why]++
	e.closeMu.Unlock()
}

// deliver accounts one received frame.
func (e *engine) deliver(s *sock, frame []byte, now time.Time) {
	st, ok := parseStamp(frame)
	if !ok {
		if bytesHasType(frame, errorPrefix) {
			if e.errFrames.Add(1) == 1 {
				msg := string(frame)
				e.firstError.Store(&msg)
			}
		}
		return
	}
	if e.spec.track {
		s.mu.Lock()
		if s.seen == nil {
			s.seen = map[string]int{}
		}
		s.seen[string(st.id)]++
		s.mu.Unlock()
	}
	if st.phase < 0 || st.phase >= len(e.phases) {
		return
	}
	ps := e.phases[st.phase].Load()
	if ps == nil {
		return
	}
	if e.spec.acks && st.sender != s.id {
		ps.others.Add(1)
		return
	}
	lat := now.UnixNano() - st.due
	ps.judged.Add(1)
	if lat <= int64(barWithin) {
		ps.within.Add(1)
	}
	ps.hist.Record(s.id, lat/int64(time.Microsecond))
}

// plan is the list of fixed phases: warm-up and the fixed loads, or the
// spec's own phases. The ladder's steps follow, decided as they go.
func (e *engine) plan() []phase {
	if e.spec.phases != nil {
		return e.spec.phases
	}
	var ps []phase
	if e.spec.warmup > 0 {
		ps = append(ps, phase{warmupPhase, e.spec.startRate, e.spec.warmup})
	}
	for _, r := range e.spec.fixed {
		ps = append(ps, phase{fixedPhase, r, e.spec.step})
	}
	return ps
}

// run offers the planned phases, then climbs the ladder (see ladder), and
// returns one result per phase run.
func (e *engine) run(ctx context.Context) ([]phaseResult, error) {
	var results []phaseResult
	runOne := func(p phase) (phaseResult, error) {
		i := len(results)
		if i >= len(e.phases) {
			return phaseResult{}, fmt.Errorf("more than %d phases", len(e.phases))
		}
		if n, err := e.redial(ctx); err != nil {
			return phaseResult{}, fmt.Errorf("reopen %d closed sockets before phase %d: %w", n, i, err)
		} else if n > 0 {
			fmt.Fprintf(e.spec.log, "  reopened %d sockets the server closed\n", n)
		}
		res, err := e.runPhase(ctx, i, p)
		if err != nil {
			return res, err
		}
		results = append(results, res)
		fmt.Fprintf(e.spec.log, "  phase %d %-6s offered %9.0f/s  received %6.2f%% within 1s  p99 %8.2f ms  drained in %4.1f s  %s\n",
			i, p.kind, p.rate, res.WithinPct, res.P99Ms, res.DrainSeconds, passWord(res.Pass))
		return res, nil
	}
	for _, p := range e.plan() {
		if _, err := runOne(p); err != nil {
			return results, err
		}
	}
	if e.spec.phases != nil || e.spec.maxSteps == 0 {
		return results, nil
	}
	l := ladder{rate: e.spec.startRate, factor: e.spec.factor}
	for range e.spec.maxSteps {
		res, err := runOne(phase{stepPhase, l.rate, e.spec.step})
		if err != nil {
			return results, err
		}
		if !l.next(res.Pass) {
			break
		}
	}
	return results, nil
}

// ladder decides the offered rate of the next step. It climbs by factor
// while steps pass and stops at the first failure. When the very first step
// fails it descends by factor instead, up to maxDescents times, and stops at
// the first pass: either way the last passing step is the highest sustained
// rate, bracketed by a failing step factor above it.
type ladder struct {
	rate, factor   float64
	passed, failed bool
	descents       int
}

const maxDescents = 6

// next records whether the step at l.rate passed, moves l.rate to the next
// step's and reports whether there is one.
func (l *ladder) next(pass bool) bool {
	switch {
	case pass && l.failed, !pass && l.passed:
		return false // bracketed
	case pass:
		l.passed = true
		l.rate *= l.factor
		return true
	case l.descents < maxDescents:
		l.failed = true
		l.descents++
		l.rate /= l.factor
		return true
	default:
		return false
	}
}

func passWord(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

func (e *engine) runPhase(ctx context.Context, index int, p phase) (phaseResult, error) {
	ps := &phaseStats{hist: newShardedHist(4 * runtime.GOMAXPROCS(0))}
	e.phases[index].Store(ps)
	perSecond := p.rate / e.spec.unitsPerSend
	start := time.Now().Add(20 * time.Millisecond)
	if e.spec.profile != nil && index == e.spec.profilePhase {
		e.aux.Go(func() { e.spec.profile(ctx, index, p.duration) })
	}
	var wg sync.WaitGroup
	rooms := len(e.fleet.rooms)
	for r := range rooms {
		wg.Go(func() { e.sendRoom(ctx, ps, index, r, start, perSecond, p.duration) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return phaseResult{}, err
	}

	members := 0
	if rooms > 0 {
		members = len(e.fleet.rooms[0])
	}
	expected := ps.sends.Load()
	if !e.spec.acks {
		expected *= int64(members)
	}
	// Wait for the stragglers, so that an overloaded phase's backlog does
	// not spill into the next one: until everything arrived, or nothing has
	// for drainIdle (lost or closed sockets), at most drainMax. Whatever
	// arrives after the grace period is late by more than barWithin anyway.
	end := start.Add(p.duration)
	deadline := end.Add(e.spec.grace)
	last, lastChange := ps.judged.Load(), time.Now()
	for {
		n, now := ps.judged.Load(), time.Now()
		if n != last {
			last, lastChange = n, now
		}
		if n >= expected || now.After(deadline) && (now.Sub(lastChange) > drainIdle || now.Sub(end) > drainMax) {
			break
		}
		select {
		case <-ctx.Done():
			return phaseResult{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return e.result(index, p, ps, expected, max(0, time.Since(end))), nil
}

// Bounds of the wait for a phase's last deliveries.
const (
	drainIdle = 2 * time.Second
	drainMax  = time.Minute
)

// sendRoom is room r's open-loop sender for one phase.
func (e *engine) sendRoom(ctx context.Context, ps *phaseStats, index, r int, start time.Time, perSecond float64, d time.Duration) {
	members := e.fleet.rooms[r]
	rooms := len(e.fleet.rooms)
	n := sendsIn(d, perSecond, r, rooms)
	buf := make([]byte, 0, 160)
	var maxLag time.Duration
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for i := range n {
		due := start.Add(sendOffset(perSecond, r, rooms, i))
		if wait := time.Until(due); wait > 20*time.Microsecond {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		maxLag = max(maxLag, time.Since(due))
		s := members[(int(i)+r)%len(members)]
		var roomID int64 // a room socket's frame names no room
		if s.stream {
			roomID = s.roomID
		}
		buf = appendSendFrame(buf[:0], roomID, index, due.UnixNano(), s.id, i)
		ps.sends.Add(1)
		if e.spec.track {
			e.sentMu.Lock()
			if e.sent == nil {
				e.sent = map[int][]string{}
			}
			_, id, _ := strings.Cut(string(buf), `"client_id":"`)
			e.sent[r] = append(e.sent[r], strings.TrimSuffix(id, `"}`))
			e.sentMu.Unlock()
		}
		c := s.conn.Load()
		if c == nil || s.dead.Load() {
			ps.sendErrors.Add(1)
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := c.Write(wctx, websocket.MessageText, buf); err != nil {
			ps.sendErrors.Add(1)
		}
		cancel()
	}
	for {
		m := ps.maxLag.Load()
		if int64(maxLag) <= m || ps.maxLag.CompareAndSwap(m, int64(maxLag)) {
			return
		}
	}
}

// result summarises a phase that took drain after its last scheduled send
// for the deliveries to arrive.
func (e *engine) result(index int, p phase, ps *phaseStats, expected int64, drain time.Duration) phaseResult {
	h := ps.hist.Merged()
	ms := func(us int64) float64 { return float64(us) / 1000 }
	judged, within := ps.judged.Load(), ps.within.Load()
	res := phaseResult{
		Index:        index,
		Kind:         string(p.kind),
		OfferedRate:  p.rate,
		Seconds:      p.duration.Seconds(),
		Sends:        ps.sends.Load(),
		SendErrors:   ps.sendErrors.Load(),
		MaxSendLagMs: float64(ps.maxLag.Load()) / 1e6,
		Expected:     expected,
		Received:     judged,
		AchievedRate: float64(judged) / (p.duration + drain).Seconds(),
		DrainSeconds: drain.Seconds(),
		Others:       ps.others.Load(),
		P50Ms:        ms(h.Quantile(0.50)),
		P99Ms:        ms(h.Quantile(0.99)),
		P999Ms:       ms(h.Quantile(0.999)),
		MaxMs:        ms(h.Max()),
	}
	if expected > 0 {
		res.WithinPct = 100 * float64(within) / float64(expected)
	}
	res.Pass = expected > 0 && float64(within) >= barFraction*float64(expected) &&
		h.Quantile(0.99) <= barP99.Microseconds()
	for _, r := range e.fleet.rooms {
		for _, s := range r {
			if s.dead.Load() {
				res.Dead++
			}
		}
	}
	return res
}

// closeReasons lists why the server closed sockets during the run.
func (e *engine) closeReasons() []string {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	var out []string
	for why, n := range e.closes {
		out = append(out, fmt.Sprintf("%d sockets closed: %s", n, why))
	}
	sort.Strings(out)
	if n := e.errFrames.Load(); n > 0 {
		out = append(out, fmt.Sprintf("%d error frames, first: %s", n, *e.firstError.Load()))
	}
	return out
}

func bytesHasType(frame, typ []byte) bool {
	return len(frame) > len(typ) && string(frame[1:1+len(typ)]) == string(typ)
}
