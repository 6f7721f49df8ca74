package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"chat/test/proc"
)

// TestEmbeddedDataSurvivesRestart: one command, no services; a restart
// keeps accounts, rooms, messages and the signing key (old tokens still
// work); start-up says where it listens, in which mode, with which data.
func TestEmbeddedDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := start(t, map[string]string{"DATA_DIR": dir})
	alice := newUser(t, s, "alice")
	room := alice.createRoom("keep", false)
	for i := 1; i <= 3; i++ {
		alice.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room.ID), map[string]any{"content": fmt.Sprintf("m%d", i)}, nil)
	}
	logs := s.logs.String()
	for _, want := range []string{`"mode":"embedded"`, `"url":"http://`, `"data_dir":"` + dir} {
		if !strings.Contains(logs, want) {
			t.Errorf("start-up log lacks %s:\n%s", want, logs)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "jwt_secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwt_secret: %v %v", fi, err)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	s2 := start(t, map[string]string{"DATA_DIR": dir})
	again := alice.on(s2) // the same token, signed before the restart
	var msgs []event
	again.must(200, "GET", fmt.Sprintf("/rooms/%d/messages", room.ID), nil, &msgs)
	if len(msgs) != 3 || msgs[0].Content != "m3" || msgs[2].Seq != 1 {
		t.Fatalf("after restart: %+v", msgs)
	}
	again.must(201, "POST", fmt.Sprintf("/rooms/%d/messages", room.ID), map[string]any{"content": "m4"}, nil)
	again.must(200, "GET", fmt.Sprintf("/rooms/%d/messages?after_seq=3", room.ID), nil, &msgs)
	if len(msgs) != 1 || msgs[0].Seq != 4 {
		t.Fatalf("seq after restart: %+v", msgs)
	}
}

// TestBackupWhileServing runs `chatd backup` against a serving embedded
// instance and boots a new instance from the copy.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	s := start(t, map[string]string{"DATA_DIR": dir})
	alice := newUser(t, s, "alice")
	room := alice.createRoom("backed up", false)
	sock := alice.dial(room.ID, "")
	for i := 1; i <= 20; i++ {
		sock.send(map[string]any{"type": "message", "content": fmt.Sprintf("b%d", i)})
	}
	for i := 1; i <= 20; i++ {
		sock.next("message")
	}
	restore := t.TempDir()
	cmd := exec.Command(chatdBin, "backup", filepath.Join(restore, "chat.db"))
	cmd.Env = append(os.Environ(), "DATA_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chatd backup: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "backup written") {
		t.Fatalf("backup said %s", out)
	}
	sock.send(map[string]any{"type": "message", "content": "after the backup"}) // still serving
	sock.next("message")

	secret, err := os.ReadFile(filepath.Join(dir, "jwt_secret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restore, "jwt_secret"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := start(t, map[string]string{"DATA_DIR": restore})
	var msgs []event
	alice.on(s2).must(200, "GET", fmt.Sprintf("/rooms/%d/messages?after_seq=0&limit=100", room.ID), nil, &msgs)
	if len(msgs) != 20 || msgs[19].Content != "b20" {
		t.Fatalf("restored %d messages: %+v", len(msgs), msgs)
	}
	// backup refuses scale-out mode with a clear message.
	cmd = exec.Command(chatdBin, "backup", filepath.Join(restore, "x.db"))
	cmd.Env = append(os.Environ(), "DATABASE_URL=postgres://u@127.0.0.1:1/x", "JWT_SECRET=0123456789abcdef0123456789abcdef")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "pg_dump") {
		t.Fatalf("backup in scale-out mode: %v %s", err, out)
	}
}

// TestIncompatibleSettingsFailFast: REDIS_URL without DATABASE_URL stops
// chatd at once with a message naming the problem.
func TestIncompatibleSettingsFailFast(t *testing.T) {
	cmd := exec.Command(chatdBin, "serve")
	cmd.Env = append(os.Environ(), "REDIS_URL=redis://127.0.0.1:6379/0", "DATA_DIR="+t.TempDir(), "ADDR="+proc.FreeAddr(t))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "REDIS_URL is set without DATABASE_URL") {
		t.Fatalf("chatd started or said %q (%v)", out, err)
	}
}
