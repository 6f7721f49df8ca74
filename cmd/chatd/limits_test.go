package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chat/ports"
	"chat/test/proc"
)

func TestLoadLimits(t *testing.T) {
	c, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.Send != (ports.Rate{Burst: 100, Per: 10 * time.Second}) || l.Login != (ports.Rate{Burst: 60, Per: time.Minute}) ||
		l.Register != (ports.Rate{Burst: 30, Per: time.Hour}) || l.LoginFailures.Free != 5 || l.Hashes < 2 || l.HashQueue != 4*l.Hashes ||
		c.MaxConnsPerAddr != 200 || c.ReadHeaderTimeout != 10*time.Second || c.BodyTimeout != 30*time.Second ||
		c.UploadTimeout != 10*time.Minute || len(c.TrustedProxies) != 0 {
		t.Errorf("defaults: %+v", c.limitsConfig)
	}

	c, err = loadConfig(env(
		"RATE_SEND", "20/s", "RATE_JOIN", "off", "RATE_UPLOAD", "5/1m", "RATE_REGISTER", "0", "RATE_LOGIN", "10/30s",
		"LOGIN_FREE_FAILURES", "3", "LOGIN_BACKOFF_MAX", "1h", "LOGIN_USER_FREE_FAILURES", "50", "LOGIN_USER_BACKOFF_MAX", "2m",
		"PASSWORD_HASH_CONCURRENCY", "3", "MAX_CONNS_PER_ADDR", "0",
		"HTTP_READ_HEADER_TIMEOUT", "5s", "HTTP_BODY_TIMEOUT", "1m", "HTTP_UPLOAD_TIMEOUT", "30m", "HTTP_IDLE_TIMEOUT", "30s",
		"TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7 ,fd00::/8",
	))
	if err != nil {
		t.Fatal(err)
	}
	l = c.Limits
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")}
	if l.Send != (ports.Rate{Burst: 20, Per: time.Second}) || !l.Join.Unlimited() || l.Upload != (ports.Rate{Burst: 5, Per: time.Minute}) ||
		!l.Register.Unlimited() || l.Login != (ports.Rate{Burst: 10, Per: 30 * time.Second}) ||
		l.LoginFailures.Free != 3 || l.LoginFailures.Max != time.Hour || l.LoginUserFailures.Free != 50 || l.LoginUserFailures.Max != 2*time.Minute ||
		l.Hashes != 3 || l.HashQueue != 12 || c.MaxConnsPerAddr != 0 ||
		c.ReadHeaderTimeout != 5*time.Second || c.BodyTimeout != time.Minute || c.UploadTimeout != 30*time.Minute || c.IdleTimeout != 30*time.Second ||
		fmt.Sprint(c.TrustedProxies) != fmt.Sprint(want) {
		t.Errorf("configured: %+v", c.limitsConfig)
	}

	for _, bad := range [][2]string{
		{"RATE_SEND", "fast"}, {"RATE_SEND", "0/s"}, {"RATE_LOGIN", "10/soon"}, {"RATE_JOIN", "10"},
		{"LOGIN_FREE_FAILURES", "-1"}, {"PASSWORD_HASH_CONCURRENCY", "0"}, {"MAX_CONNS_PER_ADDR", "many"},
		{"HTTP_BODY_TIMEOUT", "1ms"}, {"LOGIN_BACKOFF_MAX", "forever"}, {"TRUSTED_PROXIES", "10.0.0.0/33"},
	} {
		if _, err := loadConfig(env(bad[0], bad[1])); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%q: err = %v, want it named", bad[0], bad[1], err)
		}
	}
}

// TestServeTimeouts boots chatd with short HTTP timeouts: a client that
// stalls in its headers or its body is cut off, while a WebSocket, which
// outlives its request, is not.
func TestServeTimeouts(t *testing.T) {
	addr := proc.FreeAddr(t)
	getenv := env("DATA_DIR", t.TempDir(), "ADDR", addr, "LOG_LEVEL", "warn",
		"HTTP_READ_HEADER_TIMEOUT", "300ms", "HTTP_BODY_TIMEOUT", "300ms", "HTTP_IDLE_TIMEOUT", "1s")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &proc.Logs{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("run did not return after cancel")
		}
		http.DefaultClient.CloseIdleConnections()
	})
	base := "http://" + addr
	waitReady(t, base, logs)
	token, roomID := signUpWithRoom(t, base, "erin")

	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	ws, _, err := websocket.Dial(wctx, fmt.Sprintf("ws://%s/ws/rooms/%d?token=%s", addr, roomID, token), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if _, _, err := ws.Read(wctx); err != nil { // user_joined
		t.Fatal(err)
	}

	raw := func(data string) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(20 * time.Second)) // a guard against a hang, not a measurement
		if _, err := io.WriteString(c, data); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Headers that never end: the server hangs up.
	slowHeaders := raw("POST /auth/login HTTP/1.1\r\nHost: chat\r\nContent-Type: app")
	if _, err := io.ReadAll(slowHeaders); err != nil {
		t.Errorf("stalled headers: %v, want the server to close the connection", err)
	}
	// A body that never ends: 408.
	slowBody := raw("POST /auth/login HTTP/1.1\r\nHost: chat\r\nContent-Type: application/json\r\nContent-Length: 55\r\n\r\n{\"use")
	resp, err := http.ReadResponse(bufio.NewReader(slowBody), nil)
	if err != nil {
		t.Fatalf("stalled body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body answered %d, want 408", resp.StatusCode)
	}

	// Longer than every HTTP timeout: the socket still works.
	time.Sleep(1500 * time.Millisecond)
	if err := ws.Write(wctx, websocket.MessageText, []byte(`{"type":"message","content":"still here"}`)); err != nil {
		t.Fatalf("write after the HTTP timeouts: %v", err)
	}
	for {
		_, b, err := ws.Read(wctx)
		if err != nil {
			t.Fatalf("the socket did not outlive the HTTP timeouts: %v", err)
		}
		var f struct{ Type, Content string }
		if json.Unmarshal(b, &f) == nil && f.Type == "message" {
			if f.Content != "still here" {
				t.Errorf("got %q", f.Content)
			}
			break
		}
	}
	if errors.Is(wctx.Err(), context.DeadlineExceeded) {
		t.Fatal("timed out")
	}
}

// TestEveryVariableIsDocumented: each environment variable loadConfig
// reads has a row in README.md's configuration table.
func TestEveryVariableIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	if _, err := loadConfig(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	for name := range read {
		if !strings.Contains(string(readme), "| `"+name+"` |") {
			t.Errorf("%s is read from the environment but has no row in README.md's configuration table", name)
		}
	}
}
