package fault

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// The scenarios. Each boots its own two instances on its own database and
// Redis prefix, connects the members, sends for a while, injects its fault
// while the members keep sending, lets them send a while after the fault,
// and ends with traffic.verify. They run in parallel (go test's -parallel,
// GOMAXPROCS by default): nothing is shared but the services, which
// nothing here disturbs.

// TestNoFault is the harness's own baseline: with nothing broken every
// check holds.
func TestNoFault(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	tr := populate(t, c)
	c.setPhase("sending")
	tr.send(3 * time.Second)
	t.Run("every client gets every stored message once", tr.verify)
	t.Run("a repeated client_id is answered with the stored message", func(t *testing.T) {
		repeatedClientID(t, tr)
	})
}

// repeatedClientID re-sends a stored client_id on the socket: the sender
// must get the stored message frame back (same id and seq), and nobody
// may get the message a second time.
func repeatedClientID(t *testing.T, tr *traffic) {
	m := tr.members[1]
	got, acked, sent := m.snapshot()
	var orig wire
	for _, g := range got {
		if g.UserID == m.id && acked[g.ClientID] != "" {
			orig = g
			break
		}
	}
	if orig.ClientID == "" {
		t.Fatalf("%s has no acknowledged message to re-send", m)
	}
	frame, _ := json.Marshal(map[string]string{"type": "message", "content": sent[orig.ClientID], "client_id": orig.ClientID})
	tr.c.setPhase("re-sending a stored client_id")
	f, ok := m.exchange(context.Background(), frame, orig.ClientID, true)
	switch {
	case !ok:
		t.Errorf("%s re-sent client_id %s (stored as seq %d) and got no answer within %s", m, orig.ClientID, orig.Seq, patience)
	case f.Type != "message" || f.ID != orig.ID || f.Seq != orig.Seq || f.ClientID != orig.ClientID:
		t.Errorf("%s re-sent client_id %s (stored as id %d, seq %d) and got %+v, want the stored message frame", m, orig.ClientID, orig.ID, orig.Seq, f)
	}
	tr.c.setPhase("sending after the re-send")
	tr.send(time.Second)
	tr.verify(t)
}

// TestKillInstance kills A (kill -9) while everyone sends: whatever A
// committed and had not published yet must still reach B's clients, and
// A's clients resume on B.
func TestKillInstance(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	tr := populate(t, c)
	c.setPhase("sending")
	tr.startSending()
	time.Sleep(2 * time.Second)
	c.setPhase("A killed (kill -9), sending on")
	c.A.kill()
	time.Sleep(3 * time.Second)
	tr.verify(t)
}

// TestInstanceLosesRedis is the deterministic form of "committed, never
// published": A's Redis is blackholed, so the messages A stores meanwhile
// cannot be published (and A hears nothing from the bus), then A's Redis
// connections drop and come back. B's clients, and A's, must still get
// every message.
func TestInstanceLosesRedis(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	tr := populate(t, c)
	c.setPhase("sending")
	tr.startSending()
	time.Sleep(1500 * time.Millisecond)
	c.setPhase("A's Redis blackholed")
	c.A.redis.Set(Stall)
	time.Sleep(3 * time.Second)
	c.setPhase("A's Redis connections reset")
	c.A.redis.Set(Down)
	time.Sleep(time.Second)
	c.setPhase("A's Redis back, sending on")
	c.A.redis.Set(Pass)
	time.Sleep(2 * time.Second)
	tr.verify(t)
}

// TestRedisRestart cuts Redis for both instances (every connection reset,
// new ones refused) for longer than the deadline, then brings it back with
// its data: REST and upgrades keep working meanwhile, /readyz says 503
// while the bus is down and 200 only once its subscriptions are back, and
// nothing stored is lost to the clients.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	tr := populate(t, c)
	c.setPhase("sending")
	tr.startSending()
	time.Sleep(2 * time.Second)

	tr.subscribedNow(t)
	c.setPhase("Redis down for both instances")
	from := time.Now().Add(settle)
	c.A.redis.Set(Down)
	c.B.redis.Set(Down)
	p := startProbes(tr)
	time.Sleep(outage)
	p.halt()
	c.setPhase("Redis back")
	to := time.Now()
	c.A.redis.Set(Pass)
	c.B.redis.Set(Pass)
	probes := p.end()
	expectDuring(t, probes, from, to, func(what string) []int {
		switch what {
		case "GET /readyz":
			return []int{503}
		case "POST /rooms/{id}/messages":
			return []int{201, 200}
		case "upgrade":
			return []int{101}
		default:
			return []int{200}
		}
	})
	tr.readyMeansSubscribed(t)
	c.setPhase("sending after Redis came back")
	time.Sleep(2 * time.Second)
	tr.verify(t)
}

// TestPostgresDown cuts PostgreSQL for both instances: requests fail fast
// with 503, nothing acknowledged is lost, and the clients converge after.
func TestPostgresDown(t *testing.T) {
	postgresOutage(t, Down)
}

// TestPostgresStall stops PostgreSQL's packets both ways without a reset,
// for longer than the deadline: requests (a send, history, login,
// /readyz) answer 503 within the deadline instead of waiting, and after
// the stall everything converges.
func TestPostgresStall(t *testing.T) {
	postgresOutage(t, Stall)
}

// settle is how long after a fault begins the requests made during it
// are held to the fault's contract: the instances learn of a reset
// connection asynchronously.
const settle = 500 * time.Millisecond

func postgresOutage(t *testing.T, mode Mode) {
	t.Parallel()
	c := newCluster(t)
	tr := populate(t, c)
	c.setPhase("sending")
	tr.startSending()
	time.Sleep(2 * time.Second)

	c.setPhase("PostgreSQL " + mode.String() + " for both instances")
	from := time.Now().Add(settle)
	c.A.pg.Set(mode)
	c.B.pg.Set(mode)
	p := startProbes(tr)
	time.Sleep(outage)
	p.halt()
	c.setPhase("PostgreSQL back")
	to := time.Now()
	c.A.pg.Set(Pass)
	c.B.pg.Set(Pass)
	probes := p.end()
	expectDuring(t, probes, from, to, func(what string) []int {
		if what == "GET /users/me" {
			return []int{200, 503} // the profile may come from the cache
		}
		return []int{503}
	})
	c.setPhase("sending after PostgreSQL came back")
	time.Sleep(2 * time.Second)
	tr.verify(t)
}
