package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/test/proc"
	"chat/test/services"
)

var chatdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chatd-e2e-")
	if err != nil {
		panic(err)
	}
	if chatdBin, err = proc.BuildChatd(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one running chatd process.
type server struct {
	t    *testing.T
	URL  string
	cmd  *exec.Cmd
	logs *proc.Logs
	done chan error
}

// start boots chatd with env (ADDR is chosen) and waits for /readyz.
func start(t *testing.T, env map[string]string) *server {
	t.Helper()
	addr := env["ADDR"] // a restart keeps its address
	if addr == "" {
		addr = proc.FreeAddr(t)
	}
	cmd := exec.Command(chatdBin, "serve")
	cmd.Env = append(os.Environ(), "ADDR="+addr, "LOG_LEVEL=info", "SHUTDOWN_GRACE=5s")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &server{t: t, URL: "http://" + addr, cmd: cmd, logs: &proc.Logs{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("chatd %s logs:\n%s", addr, s.logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("chatd exited before ready: %v\n%s", err, s.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("chatd not ready after 60s\n%s", s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() error {
	if s.cmd.ProcessState != nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("chatd did not stop within 20s of SIGTERM")
		return fmt.Errorf("killed")
	}
}

// cluster is what a scenario runs against: A and B are two instances in
// scale-out mode and the same instance in embedded mode.
type cluster struct {
	A, B *server
}

func scaleOut(t *testing.T) cluster {
	env := map[string]string{
		"DATABASE_URL": services.Postgres(t),
		"REDIS_URL":    services.Redis(t),
		"REDIS_PREFIX": services.Prefix(t),
		"JWT_SECRET":   "e2e-secret-e2e-secret-e2e-secret-0123",
		"DATA_DIR":     t.TempDir(),
		"UPLOAD_PATH":  t.TempDir(),
		// The scenarios register and log in more users from one address
		// than the defaults allow; limits_test.go tests the limits.
		"RATE_REGISTER": "off",
		"RATE_LOGIN":    "off",
	}
	// Both instances share one database and one Redis prefix; other tests
	// have their own of each.
	a := start(t, env)
	b := start(t, env)
	return cluster{A: a, B: b}
}

func embedded(t *testing.T) cluster {
	s := start(t, map[string]string{"DATA_DIR": t.TempDir(), "RATE_REGISTER": "off", "RATE_LOGIN": "off"})
	return cluster{A: s, B: s}
}

// --- HTTP client ---------------------------------------------------------

type client struct {
	t     *testing.T
	base  string
	token string
	ID    int64
	Name  string
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func do(t *testing.T, method, u, token, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (c *client) call(method, path string, body any) response {
	c.t.Helper()
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		r, ct = strings.NewReader(b), "application/json"
	default:
		buf, _ := json.Marshal(b)
		r, ct = bytes.NewReader(buf), "application/json"
	}
	return do(c.t, method, c.base+path, c.token, ct, r)
}

func (c *client) must(status int, method, path string, body any, out any) {
	c.t.Helper()
	r := c.call(method, path, body)
	if r.Status != status {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, status)
	}
	if out != nil {
		r.decode(c.t, out)
	}
}

var userSeq struct {
	sync.Mutex
	n int
}

// newUser registers and logs in a fresh user on s.
func newUser(t *testing.T, s *server, prefix string) *client {
	t.Helper()
	userSeq.Lock()
	userSeq.n++
	name := fmt.Sprintf("%s%d_%s", prefix, userSeq.n, services.RandomID()[:6])
	userSeq.Unlock()
	c := &client{t: t, base: s.URL, Name: name}
	var u struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	c.must(201, "POST", "/auth/register", map[string]any{"username": name, "password": "password123"}, &u)
	c.ID = u.ID
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	c.must(200, "POST", "/auth/login", map[string]any{"username": name, "password": "password123"}, &tok)
	if tok.TokenType != "bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("login answer %+v", tok)
	}
	c.token = tok.AccessToken
	return c
}

// on returns a copy of c talking to another instance.
func (c *client) on(s *server) *client {
	cp := *c
	cp.base = s.URL
	return &cp
}

type roomJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	IsPrivate bool   `json:"is_private"`
	OwnerID   int64  `json:"owner_id"`
}

func (c *client) createRoom(name string, private bool) roomJSON {
	c.t.Helper()
	var r roomJSON
	c.must(201, "POST", "/rooms", map[string]any{"name": name, "is_private": private}, &r)
	return r
}

// --- WebSocket client ----------------------------------------------------

type event struct {
	Type      string `json:"type"`
	ID        int64  `json:"id"`
	RoomID    int64  `json:"room_id"`
	Seq       int64  `json:"seq"`
	UserID    int64  `json:"user_id"`
	Username  string `json:"username"`
	Content   string `json:"content"`
	CreatedAt string `json:"created_at"`
	ClientID  string `json:"client_id"`
	Duplicate bool   `json:"duplicate"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	// file_shared and file_updated
	FileID       int64  `json:"file_id"`
	FileURL      string `json:"file_url"`
	Filename     string `json:"filename"`
	ContentType  string `json:"content_type"`
	Size         int64  `json:"size"`
	ThumbnailURL string `json:"thumbnail_url"`
	// room_updated
	Name        string `json:"name"`
	Description string `json:"description"`
	IsPrivate   bool   `json:"is_private"`
	OwnerID     int64  `json:"owner_id"`
	// user stream events
	Room        *listedRoom  `json:"room"`
	Deleted     bool         `json:"deleted"`
	LastReadSeq int64        `json:"last_read_seq"`
	UnreadCount int64        `json:"unread_count"`
	Online      bool         `json:"online"`
	Reason      string       `json:"reason"`
	DisplayName string       `json:"display_name"`
	Rooms       []listedRoom `json:"rooms"`
	// message changes
	MessageID int64   `json:"message_id"`
	Emoji     string  `json:"emoji"`
	Count     int     `json:"count"`
	Mentions  []int64 `json:"mentions"`
	EditedAt  string  `json:"edited_at"`
	DeletedAt string  `json:"deleted_at"`
}

// listedRoom is a room of GET /rooms (and of room_added, room_created, and
// ready's rooms, which carry room_id instead of id).
type listedRoom struct {
	ID          int64  `json:"id"`
	RoomID      int64  `json:"room_id"`
	Name        string `json:"name"`
	IsPrivate   bool   `json:"is_private"`
	IsMember    bool   `json:"is_member"`
	LastSeq     int64  `json:"last_seq"`
	LastReadSeq int64  `json:"last_read_seq"`
	UnreadCount int64  `json:"unread_count"`
}

type socket struct {
	t      *testing.T
	conn   *websocket.Conn
	events chan event
	closed chan error
}

func wsURL(base string, room int64, query string) string {
	u, _ := url.Parse(base)
	u.Scheme = "ws"
	u.Path = fmt.Sprintf("/ws/rooms/%d", room)
	u.RawQuery = query
	return u.String()
}

// dial opens a socket; it fails the test if the upgrade is refused.
func (c *client) dial(room int64, extra string) *socket {
	c.t.Helper()
	s, resp, err := c.tryDial(room, extra)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("dial room %d: %v (HTTP %d)", room, err, status)
	}
	return s
}

func (c *client) tryDial(room int64, extra string) (*socket, *http.Response, error) {
	q := "token=" + url.QueryEscape(c.token)
	if extra != "" {
		q += "&" + extra
	}
	return c.dialURL(wsURL(c.base, room, q))
}

// stream opens the user stream (GET /ws); it fails the test if the
// upgrade is refused.
func (c *client) stream(extra string) *socket {
	c.t.Helper()
	q := "token=" + url.QueryEscape(c.token)
	if extra != "" {
		q += "&" + extra
	}
	u, _ := url.Parse(c.base)
	u.Scheme, u.Path, u.RawQuery = "ws", "/ws", q
	s, resp, err := c.dialURL(u.String())
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("dial user stream: %v (HTTP %d)", err, status)
	}
	return s
}

func (c *client) dialURL(u string) (*socket, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(1 << 20)
	s := &socket{t: c.t, conn: conn, events: make(chan event, 4096), closed: make(chan error, 1)}
	go s.readLoop()
	c.t.Cleanup(func() { conn.CloseNow() })
	return s, resp, nil
}

func (s *socket) readLoop() {
	for {
		_, b, err := s.conn.Read(context.Background())
		if err != nil {
			s.closed <- err
			close(s.events)
			return
		}
		var e event
		if err := json.Unmarshal(b, &e); err != nil {
			s.t.Errorf("server sent invalid JSON %q", b)
			continue
		}
		s.events <- e
	}
}

func (s *socket) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	s.sendRaw(b)
}

func (s *socket) sendRaw(b []byte) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// next returns the next event of one of the given types, skipping others.
func (s *socket) next(types ...string) event {
	s.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				s.t.Fatalf("socket closed while waiting for %v: %v", types, <-s.closed)
			}
			for _, ty := range types {
				if e.Type == ty {
					return e
				}
			}
		case <-timeout:
			s.t.Fatalf("no %v event within 10s", types)
		}
	}
}

// none asserts that no event of the given types arrives within d. Used
// only for things that must NOT happen (a typist's own echo).
func (s *socket) none(d time.Duration, types ...string) {
	s.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				return
			}
			for _, ty := range types {
				if e.Type == ty {
					s.t.Fatalf("unexpected %s event: %+v", ty, e)
				}
			}
		case <-timeout:
			return
		}
	}
}

// closeStatus waits for the server to close the socket and returns the code.
func (s *socket) closeStatus() websocket.StatusCode {
	s.t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return websocket.CloseStatus(<-s.closed)
			}
		case <-timeout:
			s.t.Fatal("socket not closed within 15s")
		}
	}
}

// scanLines is a helper for log assertions.
func scanLines(s string, fn func(line string)) {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
}
