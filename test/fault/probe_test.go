package fault

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/rueidis"
)

// probe is one request made while a fault lasts: what the contract says
// about it depends on the fault.
type probe struct {
	what       string
	on         *instance
	start, end time.Time
	status     int // 0: no HTTP answer
	err        error
}

// prober keeps probing every live instance while a fault lasts: each kind
// of request in its own loop, as separate clients would, so one that hangs
// does not hold back the others.
type prober struct {
	tr     *traffic
	m      *member // whose token, room and password the probes use
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	probes []probe
	n      atomic.Int64
}

// probeKinds are the requests probed: readiness, the profile, a page of
// history, a REST send, a login and an upgrade.
var probeKinds = []string{"GET /readyz", "GET /users/me", "GET /rooms/{id}/messages", "POST /rooms/{id}/messages", "POST /auth/login", "upgrade"}

func startProbes(tr *traffic) *prober {
	p := &prober{tr: tr, m: tr.members[0], stop: make(chan struct{})}
	for _, in := range tr.c.live() {
		for _, kind := range probeKinds {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				for {
					p.record(p.once(in, kind))
					select {
					case <-p.stop:
						return
					case <-time.After(500 * time.Millisecond):
					}
				}
			}()
		}
	}
	return p
}

// halt starts no more probes.
func (p *prober) halt() { close(p.stop) }

// end waits for the probes under way and returns them all.
func (p *prober) end() []probe {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.probes
}

func (p *prober) record(pr probe) {
	p.mu.Lock()
	p.probes = append(p.probes, pr)
	p.mu.Unlock()
}

// once makes one request of the kind to in.
func (p *prober) once(in *instance, kind string) probe {
	c, m := p.tr.c, p.m
	start := time.Now()
	var r reply
	switch kind {
	case "GET /readyz":
		r = c.call(in, "GET", "/readyz", "", nil)
	case "GET /users/me":
		r = c.call(in, "GET", "/users/me", m.token, nil)
	case "GET /rooms/{id}/messages":
		r = c.call(in, "GET", fmt.Sprintf("/rooms/%d/messages?limit=20", m.room), m.token, nil)
	case "POST /rooms/{id}/messages":
		cid := fmt.Sprintf("%s-probe-%d", m.name, p.n.Add(1))
		content := "probe " + cid
		m.mu.Lock()
		m.sent[cid] = content
		m.mu.Unlock()
		r = c.call(in, "POST", fmt.Sprintf("/rooms/%d/messages", m.room), m.token, map[string]any{"content": content, "client_id": cid})
		m.note(cid, "probe REST on "+in.name+": "+brief(r))
		if r.err == nil && (r.status == 201 || r.status == 200) {
			m.mu.Lock()
			m.acked[cid] = fmt.Sprintf("REST %d", r.status)
			m.mu.Unlock()
		}
	case "POST /auth/login":
		r = c.call(in, "POST", "/auth/login", "", url.Values{"username": {m.name}, "password": {password}}.Encode())
	case "upgrade":
		return p.upgrade(in)
	default:
		panic("unknown probe " + kind)
	}
	return probe{what: kind, on: in, start: start, end: time.Now(), status: r.status, err: r.err}
}

// upgrade opens a socket to the probing member's room and closes it.
func (p *prober) upgrade(in *instance) probe {
	c, m := p.tr.c, p.m
	u, _ := url.Parse(in.URL)
	u.Scheme = "ws"
	u.Path = fmt.Sprintf("/ws/rooms/%d", m.room)
	u.RawQuery = url.Values{"token": {m.token}}.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	start := c.stamp()
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: c.http})
	c.observe("upgrade on "+in.name, start, errors.Is(err, context.DeadlineExceeded) || isTimeout(err))
	pr := probe{what: "upgrade", on: in, start: start.at, end: time.Now(), err: err}
	if resp != nil {
		pr.status = resp.StatusCode
	}
	if conn != nil {
		conn.CloseNow()
	}
	return pr
}

// expectDuring checks the probes that started and were answered while the
// fault lasted (from..to): want gives the statuses allowed for a probe.
// Each instance must have answered at least one readiness probe during
// the fault.
func expectDuring(t *testing.T, probes []probe, from, to time.Time, want func(what string) []int) {
	t.Helper()
	ready := map[*instance]int{}
	var bad []string
	for _, p := range probes {
		if p.start.Before(from) || p.end.After(to) {
			continue
		}
		if p.what == "GET /readyz" {
			ready[p.on]++
		}
		allowed := want(p.what)
		ok := false
		for _, s := range allowed {
			ok = ok || p.status == s
		}
		if !ok {
			got := strconv.Itoa(p.status)
			if p.err != nil && p.status == 0 {
				got = p.err.Error()
			}
			bad = append(bad, fmt.Sprintf("%s on %s at +%.2fs: %s, want %v", p.what, p.on, p.start.Sub(from).Seconds(), got, allowed))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d requests made during the fault got answers the contract does not allow:\n  %s", len(bad), lines(bad, 20))
	}
	probed := map[*instance]bool{}
	for _, p := range probes {
		probed[p.on] = true
	}
	for in := range probed {
		if ready[in] == 0 {
			t.Errorf("%s answered no /readyz request within the fault (%.1fs): readiness waits for the dependency", in, to.Sub(from).Seconds())
		}
	}
}

// lines puts the first n items on lines of their own.
func lines(items []string, n int) string {
	if len(items) > n {
		return strings.Join(items[:n], "\n  ") + fmt.Sprintf("\n  … (%d in all)", len(items))
	}
	return strings.Join(items, "\n  ")
}

// --- Redis's view of an instance's subscriptions ------------------------------

// subscriptions counts the channel subscriptions Redis holds for in's
// connections (through its proxy).
func (c *cluster) subscriptions(in *instance) (int, error) {
	opt, err := rueidis.ParseURL(c.redisURL)
	if err != nil {
		return 0, err
	}
	opt.DisableCache = true
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := rc.Do(ctx, rc.B().ClientList().Build()).ToString()
	if err != nil {
		return 0, err
	}
	mine := map[string]bool{}
	for _, a := range in.redis.UpstreamAddrs() {
		mine[a] = true
	}
	subs := 0
	for _, line := range strings.Split(list, "\n") {
		var addr string
		n := 0
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "addr":
				addr = v
			case "sub":
				n, _ = strconv.Atoi(v)
			}
		}
		if mine[addr] {
			subs += n
		}
	}
	return subs, nil
}

// roomsOn counts the rooms with a member's socket on in.
func (tr *traffic) roomsOn(in *instance) int {
	rooms := map[int64]bool{}
	for _, m := range tr.members {
		if m.connectedTo(in) {
			rooms[m.room] = true
		}
	}
	return len(rooms)
}

// subscribedNow checks the harness's view of subscriptions on a healthy
// cluster: Redis holds each instance's subscription of every room it has
// sockets for.
func (tr *traffic) subscribedNow(t *testing.T) {
	t.Helper()
	for _, in := range tr.c.live() {
		subs, err := tr.c.subscriptions(in)
		if want := tr.roomsOn(in); err != nil || subs != want {
			t.Fatalf("harness: Redis shows %d subscriptions (%v) for %s, which has sockets in %d rooms", subs, err, in, want)
		}
	}
}

// readyMeansSubscribed polls each instance's /readyz until it answers 200
// and checks, at that moment, that Redis holds the instance's
// subscription of every room it has sockets for.
func (tr *traffic) readyMeansSubscribed(t *testing.T) {
	t.Helper()
	c := tr.c
	var wg sync.WaitGroup
	for _, in := range c.live() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			give := time.Now().Add(convergeWait)
			for {
				r := c.call(in, "GET", "/readyz", "", nil)
				if r.err == nil && r.status == 200 {
					subs, err := c.subscriptions(in)
					want := tr.roomsOn(in)
					switch {
					case err != nil:
						t.Errorf("read Redis's client list: %v", err)
					case subs < want:
						t.Errorf("%s's /readyz answered 200 while Redis held %d of its %d room subscriptions: ready before the bus is back", in, subs, want)
					}
					return
				}
				if time.Now().After(give) {
					t.Errorf("%s's /readyz did not answer 200 within %s of Redis coming back: last %s", in, convergeWait, r)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
}
