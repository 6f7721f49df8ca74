package fault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"chat/test/proc"
	"chat/test/services"
)

// The server's bounds, set through the environment (chatd versions that
// do not know a variable ignore it), and the suite's, derived from them.
const (
	storeTimeout    = 2 * time.Second        // STORE_TIMEOUT: bound on every database call
	redisTimeout    = 1 * time.Second        // REDIS_TIMEOUT: bound on every Redis call
	catchupInterval = 500 * time.Millisecond // CATCHUP_INTERVAL: a room's catch-up from the store

	// deadline is what no request may outlive: an HTTP call's answer, an
	// upgrade's, a socket send's (its echo or an error frame). Generous: it
	// tells a request that fails fast from one that waits for the outage
	// to end, not a fast server from a slow one.
	deadline = storeTimeout + 5*time.Second
	// patience is how long a client waits for any answer before it gives
	// up; between deadline and patience an answer is late, past it missing.
	patience = deadline + 3*time.Second
	// convergeWait bounds the wait for every live client to hold every
	// stored message; the server promises 2 × CATCHUP_INTERVAL plus a query.
	convergeWait = 10 * time.Second
	// outage is how long the outages that must not hang anything last:
	// longer than deadline, so a request that waits for the end is caught.
	outage = deadline + 3*time.Second
)

const jwtSecret = "fault-secret-fault-secret-fault-secret-0123"

var (
	buildOnce sync.Once
	binDir    string
	chatdBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds chatd once per test binary (the proxy's own tests do not
// need it).
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "chatd-fault-")
		if buildErr != nil {
			return
		}
		chatdBin, buildErr = proc.BuildChatd(binDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return chatdBin
}

// --- instances -------------------------------------------------------------

// instance is one chatd process whose PostgreSQL and Redis connections go
// through its own proxies.
type instance struct {
	name      string
	URL       string
	pg, redis *Proxy
	cmd       *exec.Cmd
	logs      *proc.Logs
	exited    chan struct{}
	exitErr   error
	killed    atomic.Bool
}

// tail is the last n lines of s, each cut at 300 bytes.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… %d earlier lines", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

func (in *instance) alive() bool { return !in.killed.Load() }

// kill is kill -9: no drain, no goodbye.
func (in *instance) kill() {
	in.killed.Store(true)
	_ = in.cmd.Process.Kill()
	<-in.exited
}

func (in *instance) String() string { return in.name }

// proxyTo starts a proxy to the host:port of rawURL and returns it with
// rawURL rewritten to go through it.
func proxyTo(t *testing.T, rawURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse service URL: %v", err)
	}
	p, err := NewProxy(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	u.Host = p.Addr()
	return p, u.String()
}

// start boots one instance and waits until it answers /readyz with 200.
func (c *cluster) start(name string, env map[string]string) *instance {
	t := c.t
	t.Helper()
	in := &instance{name: name, logs: &proc.Logs{}, exited: make(chan struct{})}
	var dbURL, redisURL string
	in.pg, dbURL = proxyTo(t, env["DATABASE_URL"])
	in.redis, redisURL = proxyTo(t, env["REDIS_URL"])
	addr := proc.FreeAddr(t)
	in.URL = "http://" + addr
	in.cmd = exec.Command(binary(t), "serve")
	in.cmd.Env = append(os.Environ(),
		"ADDR="+addr, "DATABASE_URL="+dbURL, "REDIS_URL="+redisURL,
		"LOG_LEVEL=info", "SHUTDOWN_GRACE=2s",
		"STORE_TIMEOUT="+storeTimeout.String(), "REDIS_TIMEOUT="+redisTimeout.String(),
		"CATCHUP_INTERVAL="+catchupInterval.String())
	for k, v := range env {
		if k != "DATABASE_URL" && k != "REDIS_URL" {
			in.cmd.Env = append(in.cmd.Env, k+"="+v)
		}
	}
	in.cmd.Stdout, in.cmd.Stderr = in.logs, in.logs
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		in.exitErr = in.cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(func() {
		if in.alive() {
			// The suite is not about shutdown: a stalled instance may not
			// drain, and the database is dropped with FORCE anyway.
			_ = in.cmd.Process.Signal(syscall.SIGKILL)
			<-in.exited
		}
		if t.Failed() {
			t.Logf("chatd %s (%s) logs:\n%s", in.name, in.URL, tail(in.logs.String(), 60))
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		if r := c.call(in, "GET", "/readyz", "", nil); r.err == nil && r.status == 200 {
			return in
		}
		select {
		case <-in.exited:
			t.Fatalf("chatd %s exited before ready: %v\n%s", name, in.exitErr, in.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("chatd %s not ready after 90s\n%s", name, in.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --- the cluster -------------------------------------------------------------

// cluster is two scale-out instances sharing one database and one Redis
// prefix, each through its own proxies, and what the suite records about
// the requests made to them.
type cluster struct {
	t        *testing.T
	A, B     *instance
	redisURL string // the real Redis, for the test's own inspection
	prefix   string
	http     *http.Client
	began    time.Time
	phase    atomic.Pointer[string]

	mu         sync.Mutex
	calls      int
	late       []lateCall               // answered after deadline, or never
	unexpected []string                 // answers the contract does not allow
	longest    map[string]time.Duration // per phase: the slowest answer
}

type lateCall struct {
	what  string
	phase string
	at    time.Duration // since the cluster began
	took  time.Duration
	never bool
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{
		t: t, redisURL: services.Redis(t), prefix: services.Prefix(t), began: time.Now(),
		http: &http.Client{
			Timeout:   patience,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
		},
	}
	c.setPhase("setup")
	t.Cleanup(c.http.CloseIdleConnections)
	env := map[string]string{
		"DATABASE_URL": services.Postgres(t),
		"REDIS_URL":    c.redisURL,
		"REDIS_PREFIX": c.prefix,
		"JWT_SECRET":   jwtSecret,
		"DATA_DIR":     t.TempDir(),
		"UPLOAD_PATH":  t.TempDir(),
	}
	c.A = c.start("A", env) // A migrates the fresh database
	c.B = c.start("B", env)
	return c
}

func (c *cluster) instances() []*instance { return []*instance{c.A, c.B} }

// live returns the instances still running.
func (c *cluster) live() []*instance {
	var out []*instance
	for _, in := range c.instances() {
		if in.alive() {
			out = append(out, in)
		}
	}
	return out
}

// setPhase names what is happening, for the report of late requests.
func (c *cluster) setPhase(p string) {
	c.phase.Store(&p)
	c.t.Logf("%6.2fs phase: %s", time.Since(c.began).Seconds(), p)
}

func (c *cluster) currentPhase() string { return *c.phase.Load() }

// stamp is when a request started, and during which phase.
type stamp struct {
	at    time.Time
	phase string
}

func (c *cluster) stamp() stamp { return stamp{time.Now(), c.currentPhase()} }

// observe records how long the request started at s took to be answered;
// never means it was not answered within patience.
func (c *cluster) observe(what string, s stamp, never bool) time.Duration {
	took := time.Since(s.at)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.longest == nil {
		c.longest = map[string]time.Duration{}
	}
	c.longest[s.phase] = max(c.longest[s.phase], took)
	if never || took > deadline {
		c.late = append(c.late, lateCall{what: what, phase: s.phase, at: s.at.Sub(c.began), took: took, never: never})
	}
	return took
}

// flag records an answer the contract does not allow.
func (c *cluster) flag(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unexpected = append(c.unexpected, fmt.Sprintf("%6.2fs [%s] ", time.Since(c.began).Seconds(), c.currentPhase())+fmt.Sprintf(format, args...))
}

// reportRequests fails the test for every late request and every answer
// the contract does not allow.
func (c *cluster) reportRequests(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	phases := make([]string, 0, len(c.longest))
	for p := range c.longest {
		phases = append(phases, p)
	}
	sort.Strings(phases)
	for _, p := range phases {
		t.Logf("longest answer while %q: %.3fs", p, c.longest[p].Seconds()) // figures for docs/RELIABILITY.md
	}
	if len(c.late) > 0 {
		late := append([]lateCall(nil), c.late...)
		sort.Slice(late, func(i, j int) bool { return late[i].took > late[j].took })
		var b strings.Builder
		for i, l := range late {
			if i == 15 {
				fmt.Fprintf(&b, "\n  … and %d more", len(late)-i)
				break
			}
			if l.never {
				fmt.Fprintf(&b, "\n  %-40s at %6.2fs [%s]: no answer within %s", l.what, l.at.Seconds(), l.phase, patience)
			} else {
				fmt.Fprintf(&b, "\n  %-40s at %6.2fs [%s]: answered after %.2fs", l.what, l.at.Seconds(), l.phase, l.took.Seconds())
			}
		}
		t.Errorf("%d of %d requests outlived the %s deadline (longest first):%s", len(late), c.calls, deadline, b.String())
	}
	if len(c.unexpected) > 0 {
		n := len(c.unexpected)
		shown := c.unexpected[:min(n, 20)]
		t.Errorf("%d answers the contract does not allow:\n  %s", n, strings.Join(shown, "\n  "))
	}
	c.calls, c.late, c.unexpected, c.longest = 0, nil, nil, nil
	for _, in := range c.instances() {
		select {
		case <-in.exited:
			if in.alive() {
				t.Errorf("chatd %s exited on its own: %v", in, in.exitErr)
			}
		default:
		}
	}
}

// --- HTTP ----------------------------------------------------------------------

type reply struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
	err    error // transport error (refused, reset, timed out)
}

func (r reply) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	return fmt.Sprintf("%d %.200s", r.status, r.body)
}

func (r reply) problem() bool {
	return strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json")
}

// call makes one request to in and records how long its answer took. A
// body that is not a string is sent as JSON.
func (c *cluster) call(in *instance, method, path, token string, body any) reply {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/x-www-form-urlencoded"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			panic(err)
		}
		rd, ct = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequest(method, in.URL+path, rd)
	if err != nil {
		panic(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := c.stamp()
	resp, err := c.http.Do(req)
	var r reply
	if err != nil {
		r.err = err
	} else {
		r.status, r.header = resp.StatusCode, resp.Header
		r.body, r.err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	timedOut := errors.Is(r.err, context.DeadlineExceeded) || isTimeout(r.err)
	what := fmt.Sprintf("%s %s on %s", method, routeOf(path), in.name)
	r.took = c.observe(what, start, timedOut)
	if r.err == nil && r.status >= 500 && r.status != http.StatusServiceUnavailable {
		c.flag("%s = %s: an outage is a 503, never a %d", what, r, r.status)
	}
	if r.err == nil && r.status == http.StatusServiceUnavailable && !r.problem() {
		c.flag("%s = 503 with Content-Type %q, want application/problem+json", what, r.header.Get("Content-Type"))
	}
	return r
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// routeOf drops the query and numbers from a path: the report groups by route.
func routeOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// must makes a setup request, which no fault disturbs, and decodes its answer.
func (c *cluster) must(in *instance, status int, method, path, token string, body, out any) {
	c.t.Helper()
	if err := c.try(in, status, method, path, token, body, out); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) try(in *instance, status int, method, path, token string, body, out any) error {
	r := c.call(in, method, path, token, body)
	// Before any fault a 503 is only a box too loaded to connect within
	// STORE_TIMEOUT: setup tries again rather than fail the test.
	for i := 0; i < 5 && r.status == 503 && status != 503 && c.currentPhase() == "setup"; i++ {
		time.Sleep(time.Duration(i+1) * 300 * time.Millisecond)
		r = c.call(in, method, path, token, body)
	}
	if r.err != nil || r.status != status {
		return fmt.Errorf("%s %s on %s = %s, want %d", method, path, in.name, r, status)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return fmt.Errorf("decode %s: %v", r.body, err)
		}
	}
	return nil
}

const password = "password123"

// signup registers a user on in and logs in.
func (c *cluster) signup(in *instance, name string) (id int64, token string, err error) {
	var u struct {
		ID int64 `json:"id"`
	}
	if err := c.try(in, 201, "POST", "/auth/register", "", map[string]any{"username": name, "password": password}, &u); err != nil {
		return 0, "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.try(in, 200, "POST", "/auth/login", "", map[string]any{"username": name, "password": password}, &tok); err != nil {
		return 0, "", err
	}
	return u.ID, tok.AccessToken, nil
}

// wire is a message as the REST API and the socket carry it.
type wire struct {
	Type     string `json:"type"`
	ID       int64  `json:"id"`
	RoomID   int64  `json:"room_id"`
	Seq      int64  `json:"seq"`
	UserID   int64  `json:"user_id"`
	Content  string `json:"content"`
	ClientID string `json:"client_id"`
	Code     string `json:"code"`
	Detail   string `json:"detail"`
}

// history reads a room's every stored message, oldest first, paging back
// with before= from the newest.
func (c *cluster) history(in *instance, token string, room int64) ([]wire, error) {
	var all []wire
	before := int64(0)
	for {
		path := fmt.Sprintf("/rooms/%d/messages?limit=100", room)
		if before > 0 {
			path += fmt.Sprintf("&before=%d", before)
		}
		r := c.call(in, "GET", path, token, nil)
		if r.err != nil || r.status != 200 {
			return nil, fmt.Errorf("GET %s on %s = %s", path, in.name, r)
		}
		var page []wire
		if err := json.Unmarshal(r.body, &page); err != nil {
			return nil, fmt.Errorf("decode history page: %v", err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		before = page[len(page)-1].ID
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	return all, nil
}
