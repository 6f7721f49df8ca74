package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"chat/test/proc"
	"chat/test/services"
)

// TestBrowser runs the web client's end-to-end script (web/e2e/run.mjs:
// playwright-core driving Debian's Chromium) against a real embedded chatd
// that serves the built client. When the script asks for a restart (by
// writing to CHAT_RESTART_FILE), the server is stopped with SIGTERM and
// started again on the same address and data.
func TestBrowser(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	webDir := filepath.Join(filepath.Dir(file), "..", "..", "web")
	for _, need := range []struct{ path, why string }{
		{"/usr/bin/chromium", "Debian's chromium is not installed (make test installs it)"},
		{filepath.Join(webDir, "node_modules", "playwright-core"), "web/node_modules is missing (make test runs npm ci)"},
		{filepath.Join(webDir, "dist", "index.html"), "the web client is not built (make test builds it before the Go tests)"},
	} {
		if _, err := os.Stat(need.path); err != nil {
			if services.Required() {
				t.Fatalf("CHAT_TEST_REQUIRE_SERVICES=1 but %s", need.why)
			}
			t.Skip(need.why)
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		if services.Required() {
			t.Fatal("CHAT_TEST_REQUIRE_SERVICES=1 but node is not installed")
		}
		t.Skip("node is not installed")
	}

	// The timeline figures seed 5,000 messages through the API at once;
	// limits_test.go tests the send limit.
	env := map[string]string{"DATA_DIR": t.TempDir(), "ADDR": proc.FreeAddr(t), "RATE_SEND": "off"}
	srv := start(t, env)
	// An administrator, made as an operator makes one (chatd admin), for the
	// step that opens the Admin section.
	adminName, adminPassword := "e2eadmin", "admin-password-"+services.RandomID()
	if _, err := chatdAdmin(t, env, adminPassword+"\n", "create-user", adminName, "--admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	restartFile := filepath.Join(t.TempDir(), "restart")
	if err := os.WriteFile(restartFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	restarted := make(chan struct{})
	go func() { // the restart hook
		defer close(restarted)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			b, _ := os.ReadFile(restartFile)
			if !strings.Contains(string(b), "restart") {
				continue
			}
			_ = os.WriteFile(restartFile, nil, 0o600)
			if err := srv.stop(); err != nil {
				t.Errorf("stop for restart: %v", err)
			}
			time.Sleep(500 * time.Millisecond) // long enough for clients to notice
			srv = start(t, env)
		}
	}()

	cmd := exec.CommandContext(ctx, "node", "e2e/run.mjs")
	cmd.Dir = webDir
	cmd.Env = append(os.Environ(), "CHAT_URL="+srv.URL, "CHAT_RESTART_FILE="+restartFile,
		"CHAT_ADMIN_USER="+adminName, "CHAT_ADMIN_PASSWORD="+adminPassword)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var last string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if strings.TrimSpace(line) != "" {
			last = line
		}
	}
	err = cmd.Wait()
	cancel()
	<-restarted
	if err != nil {
		t.Fatalf("browser tests failed (%v): %s", err, last)
	}
	if !strings.Contains(last, "passed, 0 failed") {
		t.Fatalf("browser tests: last line %q", last)
	}
}
