package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"chat/adapters/wire"
	"chat/docs"
	"chat/domain"
)

func TestRetryAfterHeader(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{"rate limited", domain.Limited(2500*time.Millisecond, "too many messages"), 429, "rate_limited", "3"},
		{"under a second", domain.Limited(20*time.Millisecond, "too many messages"), 429, "rate_limited", "1"},
		{"shedding load", &domain.Error{Kind: domain.Unavailable, Code: "busy", Msg: "busy", RetryAfter: time.Second}, 503, "busy", "1"},
		{"dependency down", domain.Errorf(domain.Unavailable, "store_down", "try again later"), 503, "store_down", ""},
		{"no wait", domain.Errorf(domain.TooMany, "rate_limited", "slow down"), 429, "rate_limited", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.messages.err = tt.err
			w := f.do(t, request{method: "POST", path: "/rooms/5/messages", body: `{"content":"hi"}`, auth: true})
			checkProblem(t, w, tt.status, tt.code)
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			// Load shed on purpose is not a failing dependency: no log line
			// per refused request.
			if logged := strings.Contains(f.logs.String(), "dependency unavailable"); logged != (tt.status == 503 && tt.retryAfter == "") {
				t.Errorf("dependency-unavailable logged = %v:\n%s", logged, f.logs.String())
			}
		})
	}
}

func TestClientAddrReachesUseCases(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     string
		want    string
	}{
		{"direct", nil, "203.0.113.9:5000", "", "203.0.113.9"},
		{"forwarded header ignored without trusted proxies", nil, "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"through a trusted proxy", proxies, "10.1.2.3:5000", "198.51.100.1", "198.51.100.1"},
		{"through two trusted proxies", proxies, "10.1.2.3:5000", "198.51.100.1, 10.0.0.7", "198.51.100.1"},
		{"spoofed entry before the client's", proxies, "10.1.2.3:5000", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"untrusted peer's header ignored", proxies, "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"loopback is not trusted unless listed", proxies, "127.0.0.1:5000", "198.51.100.1", "127.0.0.1"},
		{"IPv6 client by /64", proxies, "[fd00::1]:5000", "2001:db8:1:2::99", "2001:db8:1:2::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.TrustedProxies = tt.trusted })
			rq := request{method: "POST", path: "/auth/login", body: `{"username":"alice","password":"correct horse"}`, remote: tt.remote}
			if tt.xff != "" {
				rq.header = []string{"X-Forwarded-For: " + tt.xff}
			}
			if w := f.do(t, rq); w.Code != 200 {
				t.Fatalf("login: %d %s", w.Code, w.Body)
			}
			if got := f.users.gotAddr.Key(); got != tt.want {
				t.Errorf("client address = %q, want %q", got, tt.want)
			}
		})
	}
}

// rawRequest writes head (the request line and headers) and then the
// first part of a body over a fresh connection to srv, never the rest, and
// returns the response. The connection's own deadline only keeps a broken
// server from hanging the test.
func rawRequest(t *testing.T, srv *httptest.Server, head, partialBody string) (*http.Response, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, head+"\r\n"+partialBody); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response to a stalled body: %v", err)
	}
	return resp, c
}

func checkTimeoutResponse(t *testing.T, resp *http.Response) {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || resp.Header.Get("Content-Type") != MIMEProblem {
		t.Fatalf("stalled body answered %d %s, want 408 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.Code != "request_timeout" {
		t.Errorf("problem = %+v (%v), want code request_timeout", p, err)
	}
}

// TestStalledBodyIsCutOff: a login that declares 55 bytes and sends 5 is
// answered 408 once the body deadline passes, and its connection closed.
func TestStalledBodyIsCutOff(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.BodyTimeout = 200 * time.Millisecond })
	srv := httptest.NewServer(f.srv.Handler())
	t.Cleanup(srv.Close)
	for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
		resp, c := rawRequest(t, srv, "POST /auth/login HTTP/1.1\r\nHost: chat\r\nContent-Type: "+ct+"\r\nContent-Length: 55\r\n", `{"use`)
		checkTimeoutResponse(t, resp)
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Errorf("%s: the connection stayed open after the timeout (read: %v)", ct, err)
		}
	}
	if f.users.gotLogin != [2]string{} {
		t.Errorf("the use case ran with %q", f.users.gotLogin)
	}
}

// TestUploadsGetTheirOwnBodyTimeout: the upload routes wait UploadTimeout
// for their body, not the short BodyTimeout of JSON routes.
func TestUploadsGetTheirOwnBodyTimeout(t *testing.T) {
	files := &fakeFiles{max: 1 << 10}
	f := newFixture(t, func(c *Config) {
		c.Files, c.Links = files, wire.NewLinks(&fakeSigner{}, 0, nil)
		c.BodyTimeout, c.UploadTimeout = 50*time.Millisecond, time.Hour
	})
	srv := httptest.NewServer(f.srv.Handler())
	t.Cleanup(srv.Close)
	body, ctype := multipartBody(t, "file", "notes.txt", "", "hello")
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	head := "POST /rooms/4/files HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer " + aliceToken +
		"\r\nContent-Type: " + ctype + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(c, head+body[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // longer than BodyTimeout: a JSON route would have given up
	if _, err := io.WriteString(c, body[10:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("slow upload answered %d, want 201", resp.StatusCode)
	}

	// A stalled upload is cut off by UploadTimeout all the same.
	f2 := newFixture(t, func(c *Config) {
		c.Files, c.Links = files, wire.NewLinks(&fakeSigner{}, 0, nil)
		c.UploadTimeout = 200 * time.Millisecond
	})
	srv2 := httptest.NewServer(f2.srv.Handler())
	t.Cleanup(srv2.Close)
	resp, _ = rawRequest(t, srv2, strings.TrimSuffix(head, "\r\n"), body[:10])
	checkTimeoutResponse(t, resp)
}

// TestConnectionCapPerAddress: the (N+1)th connection from one address is
// answered 503 and closed at once; closing one lets a new one in; trusted
// proxies are not counted.
func TestConnectionCapPerAddress(t *testing.T) {
	const perAddr = 3
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(LimitConns(ln, perAddr, nil, nil))
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	get := func(c net.Conn) (*http.Response, error) {
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: chat\r\n\r\n"); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	var held []net.Conn
	for i := range perAddr {
		c := dial()
		if resp, err := get(c); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %v %v", i+1, resp, err)
		}
		held = append(held, c) // kept alive
	}
	extra := dial()
	_ = extra.SetDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(extra), nil)
	if err != nil {
		t.Fatalf("connection %d: no answer: %v", perAddr+1, err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != MIMEProblem {
		t.Errorf("connection %d answered %d (Retry-After %q, %s), want 503 problem+json with Retry-After",
			perAddr+1, resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
	}
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.Code != "too_many_connections" {
		t.Errorf("problem = %+v (%v)", p, err)
	}

	// A held connection closes: the server notices and a new one fits.
	held[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := get(dial())
		if err == nil && resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection accepted within 10 s of one closing: %v %v", resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Behind a trusted proxy, the proxy's connections are not counted.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv2 := &http.Server{Handler: srv.Handler}
	go srv2.Serve(LimitConns(ln2, 1, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, nil))
	t.Cleanup(func() { srv2.Close() })
	addr = ln2.Addr().String()
	for i := range 3 {
		if resp, err := get(dial()); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d through a trusted proxy: %v %v", i+1, resp, err)
		}
	}
}

// TestOpenAPIListsLimits: every route a limit can refuse documents 429
// with its Retry-After header, and the password routes their 503.
func TestOpenAPIListsLimits(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]yaml.Node `yaml:"paths"`
		Components struct {
			Responses map[string]struct {
				Headers map[string]any `yaml:"headers"`
			} `yaml:"responses"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ path, method, status, ref string }{
		{"/auth/register", "post", "429", "TooMany"},
		{"/auth/register", "post", "503", "Busy"},
		{"/auth/login", "post", "429", "TooMany"},
		{"/auth/login", "post", "503", "Busy"},
		{"/rooms/{id}/join", "post", "429", "TooMany"},
		{"/rooms/{id}/messages", "post", "429", "TooMany"},
		{"/rooms/{id}/files", "post", "429", "TooMany"},
		{"/users/me/avatar", "post", "429", "TooMany"},
		{"/search", "get", "429", "TooMany"},
		{"/auth/login", "post", "408", "RequestTimeout"},
		{"/rooms/{id}/files", "post", "408", "RequestTimeout"},
	} {
		var op struct {
			Responses map[string]struct {
				Ref string `yaml:"$ref"`
			} `yaml:"responses"`
		}
		node := doc.Paths[r.path][r.method]
		if err := node.Decode(&op); err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		got := op.Responses[r.status].Ref
		if want := "#/components/responses/" + r.ref; got != want {
			t.Errorf("%s %s %s: $ref %q, want %q", r.method, r.path, r.status, got, want)
		}
	}
	for _, name := range []string{"TooMany", "Busy"} {
		if _, ok := doc.Components.Responses[name].Headers["Retry-After"]; !ok {
			t.Errorf("response %s does not document Retry-After", name)
		}
	}
}
