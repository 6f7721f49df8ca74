package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestChatbenchSmoke runs the load generator's seconds-long smoke scenario
// against a real embedded chatd: every message must reach every member
// exactly once (chatbench exits non-zero otherwise). It keeps chatbench
// working against the server as both change; the figures live in
// docs/BENCHMARKS.md, never in tests.
func TestChatbenchSmoke(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "chatbench")
	if out, err := exec.Command("go", "build", "-o", bin, "chat/cmd/chatbench").CombinedOutput(); err != nil {
		t.Fatalf("build chatbench: %v\n%s", err, out)
	}
	s := start(t, map[string]string{"DATA_DIR": t.TempDir()})
	out, err := exec.Command(bin, "-scenario", "smoke", "-url", s.URL, "-quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("chatbench smoke: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "smoke") {
		t.Fatalf("chatbench said:\n%s", out)
	}
	t.Logf("%s", out)
}
