package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"chat/test/proc"
)

func post(t *testing.T, url, token string, body any) []byte {
	t.Helper()
	status, out := call(t, "POST", url, token, body)
	if status >= 300 {
		t.Fatalf("POST %s = %d %s", url, status, out)
	}
	return out
}

// waitReady polls base's /readyz until it answers 200, for 30 s at most.
func waitReady(t *testing.T, base string, logs *proc.Logs) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signUpWithRoom registers name, signs in and creates a room: it returns
// the access token and the room's id.
func signUpWithRoom(t *testing.T, base, name string) (token string, roomID int64) {
	t.Helper()
	post(t, base+"/auth/register", "", map[string]string{"username": name, "password": "password123"})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(post(t, base+"/auth/login", "", map[string]string{"username": name, "password": "password123"}), &tok)
	var room struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(post(t, base+"/rooms", tok.AccessToken, map[string]any{"name": "r"}), &room)
	return tok.AccessToken, room.ID
}

// waitRun waits up to 20 s for run, cancelled, to return nil (fatal
// otherwise; why is said after its error).
func waitRun(t *testing.T, done <-chan error, why string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v%s", err, why)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

// TestServeShutsDownCleanly boots chatd in-process (embedded mode), opens a
// socket, cancels the context like SIGTERM does, and checks that the socket
// is closed with 1001, run returns nil, and no goroutine is left behind.
func TestServeShutsDownCleanly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	addr := proc.FreeAddr(t)
	getenv := env("DATA_DIR", dir, "ADDR", addr, "LOG_LEVEL", "warn")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &proc.Logs{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, logs) }()

	base := "http://" + addr
	waitReady(t, base, logs)
	token, roomID := signUpWithRoom(t, base, "dora")

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	conn, _, err := websocket.Dial(wctx, fmt.Sprintf("ws://%s/ws/rooms/%d?token=%s", addr, roomID, token), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.Read(wctx); err != nil { // user_joined
		t.Fatal(err)
	}
	cancel()
	for {
		if _, _, err = conn.Read(wctx); err != nil {
			break
		}
	}
	if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
		t.Fatalf("socket closed with %d (%v), want 1001", code, err)
	}
	waitRun(t, done, "")
	conn.CloseNow()
	http.DefaultClient.CloseIdleConnections()
	if strings.Contains(logs.String(), token) {
		t.Fatal("token in logs")
	}
}

func TestRunRejectsBadConfigAndCommands(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"serve"}, env("REDIS_URL", "redis://x:1"), &out); err == nil || !strings.Contains(err.Error(), "without DATABASE_URL") {
		t.Fatalf("REDIS_URL alone: %v", err)
	}
	if err := run(ctx, []string{"dance"}, env(), &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
	if err := run(ctx, []string{"migrate"}, env(), &out); err == nil {
		t.Fatal("migrate without direction accepted")
	}
}

// TestShutdownClosesSilentConns: a connection that never sent a request
// (a client's spare dial) does not hold the shutdown past its grace;
// net/http alone counts it as busy until it is 5 s old, and run returned
// "context deadline exceeded" with a 2 s grace and nothing in flight.
func TestShutdownClosesSilentConns(t *testing.T) {
	dir := t.TempDir()
	addr := proc.FreeAddr(t)
	getenv := env("DATA_DIR", dir, "ADDR", addr, "LOG_LEVEL", "warn", "SHUTDOWN_GRACE", "2s")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &proc.Logs{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, logs) }()
	waitReady(t, "http://"+addr, logs)
	http.DefaultClient.CloseIdleConnections()

	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(200 * time.Millisecond) // accepted: the server sees it as new
	cancel()
	waitRun(t, done, " with only a silent connection open")
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err == nil {
		t.Error("the silent connection is still open after the shutdown")
	}
}
