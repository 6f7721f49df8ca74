package fault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// member is one chat client: a user with one socket to one room, which
// sends with client_ids, records every message frame it receives and which
// of its client_ids were acknowledged, and reconnects like the web client
// when its socket closes: to a live instance, resuming after the highest
// seq it saw.
type member struct {
	c     *cluster
	name  string
	id    int64
	token string
	room  int64
	home  *instance // where it first connects

	sending atomic.Bool // the scenario's send phase
	busy    atomic.Bool // a send is under way

	mu       sync.Mutex
	conn     *websocket.Conn
	on       *instance
	gone     chan struct{} // closed when conn's reader ends
	got      []wire        // every message frame, in arrival order, across connections
	seen     map[int64]int // seq → times received
	maxSeq   int64
	sent     map[string]string // client_id → content, every send attempted
	acked    map[string]string // client_id → how it was acknowledged
	answered map[string]string // client_id → the send's own answer, for reports
	waiting  string            // client_id whose answer the sender awaits
	resend   string            // client_id re-sent to check the duplicate's answer
	answers  chan wire         // the awaited answer: own message frame or an error frame
	n        int               // sends so far
	closes   []string          // close codes of ended connections
	switched int               // reconnections
}

func newMember(c *cluster, name string, id int64, token string, room int64, home *instance) *member {
	return &member{
		c: c, name: name, id: id, token: token, room: room, home: home,
		seen: map[int64]int{}, sent: map[string]string{}, acked: map[string]string{}, answered: map[string]string{},
		answers: make(chan wire, 1),
	}
}

func (m *member) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	on := "nowhere"
	if m.on != nil {
		on = m.on.name
	}
	return fmt.Sprintf("%s (user %d, room %d, on %s)", m.name, m.id, m.room, on)
}

// run keeps m connected and, while sending is on, sends about every
// interval, until ctx ends.
func (m *member) run(ctx context.Context, interval time.Duration) {
	defer m.disconnect()
	next := m.home
	attempt := 0
	for ctx.Err() == nil {
		m.mu.Lock()
		connected := m.conn != nil
		gone := m.gone
		m.mu.Unlock()
		if !connected {
			in := m.pick(next)
			if in == nil {
				return
			}
			if err := m.connect(in); err != nil {
				attempt++
				next = m.other(in)
				sleep(ctx, min(time.Duration(attempt)*100*time.Millisecond, time.Second))
				continue
			}
			attempt = 0
			continue
		}
		if !m.sending.Load() {
			select {
			case <-ctx.Done():
			case <-gone:
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		m.busy.Store(true)
		if m.sending.Load() {
			m.send(ctx)
		}
		m.busy.Store(false)
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// pick returns want if it runs, else another live instance.
func (m *member) pick(want *instance) *instance {
	if want != nil && want.alive() {
		return want
	}
	if live := m.c.live(); len(live) > 0 {
		return live[0]
	}
	return nil
}

func (m *member) other(in *instance) *instance {
	if in == m.c.A {
		return m.c.B
	}
	return m.c.A
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// connect opens a socket on in, resuming after the highest seq seen.
func (m *member) connect(in *instance) error {
	m.mu.Lock()
	after := m.maxSeq
	m.mu.Unlock()
	u, _ := url.Parse(in.URL)
	u.Scheme = "ws"
	u.Path = fmt.Sprintf("/ws/rooms/%d", m.room)
	u.RawQuery = url.Values{"token": {m.token}, "after_seq": {fmt.Sprint(after)}}.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	start := m.c.stamp()
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: m.c.http})
	what := "upgrade on " + in.name
	m.c.observe(what, start, errors.Is(err, context.DeadlineExceeded) || isTimeout(err))
	if err != nil {
		if resp != nil && resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			m.c.flag("%s = %d: an outage is a 503", what, resp.StatusCode)
		}
		if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 {
			m.c.flag("%s for %s = %d", what, m.name, resp.StatusCode)
		}
		return err
	}
	conn.SetReadLimit(1 << 20)
	gone := make(chan struct{})
	m.mu.Lock()
	if m.on != nil {
		m.switched++
	}
	m.conn, m.on, m.gone = conn, in, gone
	m.mu.Unlock()
	go m.read(conn, gone)
	return nil
}

// read records the frames of one connection until it ends.
func (m *member) read(conn *websocket.Conn, gone chan struct{}) {
	defer close(gone)
	for {
		_, b, err := conn.Read(context.Background())
		if err != nil {
			code := websocket.CloseStatus(err)
			m.mu.Lock()
			if m.conn == conn {
				m.conn = nil
			}
			if code == -1 {
				m.closes = append(m.closes, "dropped")
			} else {
				m.closes = append(m.closes, fmt.Sprint(int(code)))
			}
			m.mu.Unlock()
			switch code {
			case websocket.StatusPolicyViolation, websocket.StatusInternalError, 4401, 4403:
				m.c.flag("%s's socket closed with %d", m.name, code)
			}
			conn.CloseNow()
			return
		}
		var f wire
		if err := json.Unmarshal(b, &f); err != nil {
			m.c.flag("%s got a frame that is not JSON: %.100q", m.name, b)
			continue
		}
		switch f.Type {
		case "message":
			m.onMessage(f)
		case "error":
			m.onError(f)
		}
	}
}

func (m *member) onMessage(f wire) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f.UserID == m.id && f.ClientID != "" && f.ClientID == m.resend && m.seen[f.Seq] > 0 {
		// The answer to a re-sent client_id: for the sender only, and not
		// a second delivery.
		m.resend = ""
		m.answer(f)
		return
	}
	m.got = append(m.got, f)
	m.seen[f.Seq]++
	m.maxSeq = max(m.maxSeq, f.Seq)
	if f.UserID == m.id && f.ClientID != "" {
		if _, ok := m.acked[f.ClientID]; !ok {
			m.acked[f.ClientID] = "its message frame"
		}
		if f.ClientID == m.waiting {
			m.waiting = ""
			m.answer(f)
		}
	}
}

func (m *member) onError(f wire) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.waiting == "" && m.resend == "" {
		m.c.flag("%s got an error frame it did not ask for: %s %s", m.name, f.Code, f.Detail)
		return
	}
	m.waiting, m.resend = "", ""
	m.answer(f)
}

// answer hands f to the waiting sender (mu held).
func (m *member) answer(f wire) {
	select {
	case m.answers <- f:
	default:
	}
}

// send sends the next message: three of four on the socket, one by REST.
func (m *member) send(ctx context.Context) {
	m.mu.Lock()
	m.n++
	n := m.n
	cid := fmt.Sprintf("%s-%d", m.name, n)
	content := fmt.Sprintf("message %d of %s", n, m.name)
	m.sent[cid] = content
	on := m.on
	m.mu.Unlock()
	if n%4 == 0 {
		m.sendREST(on, cid, content)
		return
	}
	m.sendFrame(ctx, cid, content)
}

// sendREST posts the message to the instance the socket is on (or another
// live one).
func (m *member) sendREST(on *instance, cid, content string) {
	in := m.pick(on)
	if in == nil {
		return
	}
	r := m.c.call(in, "POST", fmt.Sprintf("/rooms/%d/messages", m.room), m.token, map[string]any{"content": content, "client_id": cid})
	m.note(cid, "REST on "+in.name+": "+brief(r))
	switch {
	case r.err != nil, r.status == http.StatusServiceUnavailable:
		// not acknowledged: refused, reset, or failed fast
	case r.status == http.StatusCreated || r.status == http.StatusOK:
		var w wire
		if err := json.Unmarshal(r.body, &w); err != nil || w.ClientID != cid || w.Content != content {
			m.c.flag("REST send of %s answered %.200s", cid, r.body)
			return
		}
		m.mu.Lock()
		m.acked[cid] = fmt.Sprintf("REST %d", r.status)
		m.mu.Unlock()
	default:
		m.c.flag("REST send of %s on %s = %s", cid, in.name, r)
	}
}

// note records what a send was answered.
func (m *member) note(cid, answer string) {
	m.mu.Lock()
	m.answered[cid] = answer
	m.mu.Unlock()
}

// brief is a reply in a few words.
func brief(r reply) string {
	if r.err != nil {
		return r.err.Error()
	}
	if r.status >= 400 {
		var p struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(r.body, &p)
		return fmt.Sprintf("%d %s", r.status, p.Code)
	}
	return fmt.Sprint(r.status)
}

// sendFrame sends on the socket and waits for the answer: the message
// frame with this client_id, or an error frame. Without an answer within
// patience it drops the socket, as a client would, and resumes.
func (m *member) sendFrame(ctx context.Context, cid, content string) {
	b, _ := json.Marshal(map[string]string{"type": "message", "content": content, "client_id": cid})
	m.exchange(ctx, b, cid, false)
}

// exchange writes one frame and waits for its answer; it returns the
// answer, or false when there was none.
func (m *member) exchange(ctx context.Context, frame []byte, cid string, resend bool) (wire, bool) {
	m.mu.Lock()
	conn, on, gone := m.conn, m.on, m.gone
	if conn == nil {
		m.mu.Unlock()
		return wire{}, false
	}
	select {
	case <-m.answers: // a stale answer
	default:
	}
	if resend {
		m.resend = cid
	} else {
		m.waiting = cid
	}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		if m.waiting == cid {
			m.waiting = ""
		}
		if m.resend == cid {
			m.resend = ""
		}
		m.mu.Unlock()
	}()

	start := m.c.stamp()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := conn.Write(wctx, websocket.MessageText, frame)
	cancel()
	if err != nil {
		m.note(cid, "socket write failed")
		conn.CloseNow() // the reader ends and run reconnects
		return wire{}, false
	}
	what := "send on " + on.name
	if resend {
		what = "re-send on " + on.name
	}
	select {
	case f := <-m.answers:
		took := m.c.observe(what, start, false)
		if !resend {
			if f.Type == "error" {
				m.note(cid, fmt.Sprintf("error frame %s on %s after %.1fs", f.Code, on.name, took.Seconds()))
			} else {
				m.note(cid, fmt.Sprintf("its message frame on %s after %.1fs", on.name, took.Seconds()))
			}
		}
		return f, true
	case <-gone:
		// The socket closed first: the send's fate shows in the resume.
		m.note(cid, "socket on "+on.name+" closed before an answer")
		return wire{}, false
	case <-ctx.Done():
		return wire{}, false
	case <-time.After(patience):
		m.c.observe(what, start, true)
		m.note(cid, fmt.Sprintf("no answer on %s within %s", on.name, patience))
		conn.CloseNow()
		return wire{}, false
	}
}

// disconnect closes the socket for good.
func (m *member) disconnect() {
	m.mu.Lock()
	conn, gone := m.conn, m.gone
	m.mu.Unlock()
	if conn != nil {
		conn.CloseNow()
		<-gone
	}
}

// snapshot copies what m received and what it knows was acknowledged.
func (m *member) snapshot() (got []wire, acked map[string]string, sent map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	acked = make(map[string]string, len(m.acked))
	for k, v := range m.acked {
		acked[k] = v
	}
	sent = make(map[string]string, len(m.sent))
	for k, v := range m.sent {
		sent[k] = v
	}
	return append([]wire(nil), m.got...), acked, sent
}

func (m *member) connectedTo(in *instance) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conn != nil && m.on == in
}

func (m *member) connectionLog() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("%d reconnections, closes [%s]", m.switched, strings.Join(m.closes, " "))
}
