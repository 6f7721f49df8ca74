package proc

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Logs is a buffer safe for a process's output and a test's reads at once.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreeAddr is a loopback address no one listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// BuildChatd builds cmd/chatd into dir and returns the binary's path; the
// error carries the compiler's output. It passes the build tag
// sqlite_fts5 itself (the embedded SQLite's search index needs FTS5), so
// the tests need no GOFLAGS to boot a chatd that works.
func BuildChatd(dir string) (string, error) {
	bin := filepath.Join(dir, "chatd")
	out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, "chat/cmd/chatd").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build chatd: %v\n%s", err, out)
	}
	return bin, nil
}
