package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"chat/test/proc"
	"chat/test/services"
)

// call sends a request and returns its status and body.
func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func login(t *testing.T, base, name, password string) (int, string) {
	t.Helper()
	status, body := call(t, "POST", base+"/auth/login", "", map[string]string{"username": name, "password": password})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(body, &tok)
	return status, tok.AccessToken
}

var printedPassword = regexp.MustCompile(`(?m)^password: (\S+)$`)

// TestAdminCommands runs chatd admin in-process against a server that
// runs in-process too, on SQLite and on PostgreSQL (with Redis, so a
// reset password's sessions end on the running server at once): the
// commands act on the configured database, through the application.
func TestAdminCommands(t *testing.T) {
	for _, mode := range []string{"embedded", "postgres"} {
		t.Run(mode, func(t *testing.T) {
			addr := proc.FreeAddr(t)
			kv := []string{"DATA_DIR", t.TempDir(), "ADDR", addr, "LOG_LEVEL", "warn"}
			if mode == "postgres" {
				kv = append(kv, "DATABASE_URL", services.Postgres(t), "REDIS_URL", services.Redis(t),
					"REDIS_PREFIX", services.Prefix(t), "JWT_SECRET", secret)
			}
			getenv := env(kv...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			logs := &proc.Logs{}
			done := make(chan error, 1)
			go func() { done <- run(ctx, []string{"serve"}, getenv, logs) }()
			defer func() {
				cancel()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					t.Error("serve did not stop")
				}
			}()
			base := "http://" + addr
			waitReady(t, base, logs)
			cli := func(args ...string) string {
				t.Helper()
				var out bytes.Buffer
				if err := run(ctx, append([]string{"admin"}, args...), getenv, &out); err != nil {
					t.Fatalf("chatd admin %s: %v", strings.Join(args, " "), err)
				}
				return out.String()
			}

			out := cli("create-user", "Root", "--admin")
			m := printedPassword.FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "created root") || !strings.Contains(out, "an administrator") {
				t.Fatalf("create-user printed %q", out)
			}
			status, rootToken := login(t, base, "root", m[1])
			if status != 200 {
				t.Fatalf("login with the printed password: %d", status)
			}
			if status, body := call(t, "GET", base+"/admin/users?search=roo", rootToken, nil); status != 200 || !bytes.Contains(body, []byte(`"is_admin":true`)) {
				t.Fatalf("GET /admin/users as root = %d %s", status, body)
			}
			var me map[string]any
			_, body := call(t, "GET", base+"/users/me", rootToken, nil)
			if json.Unmarshal(body, &me); me["is_admin"] != true {
				t.Fatalf("/users/me of an admin = %s", body)
			}

			// A user from stdin; grant and revoke.
			var buf bytes.Buffer
			cfg, err := loadConfig(getenv)
			if err != nil {
				t.Fatal(err)
			}
			if err := admin(ctx, cfg, []string{"create-user", "bob", "--password-stdin"}, strings.NewReader("bobs-password\n"), &buf); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "bobs-password") || strings.Contains(buf.String(), "password:") {
				t.Fatalf("a password from stdin was printed: %q", buf.String())
			}
			status, bobToken := login(t, base, "bob", "bobs-password")
			if status != 200 {
				t.Fatalf("bob's login: %d", status)
			}
			if status, _ := call(t, "GET", base+"/admin/users", bobToken, nil); status != 403 {
				t.Fatalf("bob before grant: %d", status)
			}
			if out := cli("grant", "BOB"); !strings.Contains(out, "bob") || !strings.Contains(out, "is an administrator") {
				t.Fatalf("grant printed %q", out)
			}
			if status, _ := call(t, "GET", base+"/admin/users", bobToken, nil); status != 200 {
				t.Fatalf("bob after grant: %d", status)
			}
			if out := cli("revoke", "bob"); !strings.Contains(out, "not an administrator") {
				t.Fatalf("revoke printed %q", out)
			}
			if status, _ := call(t, "GET", base+"/admin/users", bobToken, nil); status != 403 {
				t.Fatalf("bob after revoke: %d", status)
			}

			// reset-password: a new printed password, the old one refused.
			out = cli("reset-password", "bob")
			m = printedPassword.FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "every session of it ended") {
				t.Fatalf("reset-password printed %q", out)
			}
			if status, _ := login(t, base, "bob", "bobs-password"); status != 401 {
				t.Fatalf("the old password after a reset: %d", status)
			}
			if status, _ := login(t, base, "bob", m[1]); status != 200 {
				t.Fatalf("the new password: %d", status)
			}
			if mode == "postgres" {
				// Redis carried the ended sessions to the server at once.
				// (Embedded, the server's own cache notices within a
				// minute: the command runs in another process.)
				if status, _ := call(t, "GET", base+"/users/me", bobToken, nil); status != 401 {
					t.Fatalf("bob's old token after a reset: %d", status)
				}
			}

			// Mistakes are errors, never a half-done command.
			for _, args := range [][]string{
				{"grant"}, {"grant", "nobody"}, {"create-user", "root"}, {"create-user", "x"},
				{"dance", "bob"}, {"grant", "bob", "--admin"}, {"create-user", "carl", "--sudo"},
			} {
				if err := run(ctx, append([]string{"admin"}, args...), getenv, io.Discard); err == nil {
					t.Errorf("chatd admin %s succeeded", strings.Join(args, " "))
				}
			}
			for _, in := range []string{"", "\n", strings.Repeat("p", 2000)} {
				if err := admin(ctx, cfg, []string{"reset-password", "bob", "--password-stdin"}, strings.NewReader(in), io.Discard); err == nil {
					t.Errorf("reset-password with stdin %.20q succeeded", in)
				}
			}
			if strings.Contains(logs.String(), m[1]) {
				t.Fatal("a password in the server's logs")
			}
		})
	}
}
