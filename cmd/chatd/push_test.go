package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPushConfig(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"vapid"}, env(), &out); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		vars[k] = v
	}
	pub, priv := vars["VAPID_PUBLIC_KEY"], vars["VAPID_PRIVATE_KEY"]
	other := bytes.Buffer{}
	_ = run(context.Background(), []string{"vapid"}, env(), &other)
	otherPub := strings.TrimPrefix(strings.Split(other.String(), "\n")[0], "VAPID_PUBLIC_KEY=")
	for _, tt := range []struct {
		env     []string
		wantErr string
	}{
		{[]string{"VAPID_PUBLIC_KEY", pub, "VAPID_PRIVATE_KEY", priv, "VAPID_SUBJECT", "https://chat.example.com/contact"}, ""},
		{[]string{"VAPID_PUBLIC_KEY", pub}, "go together"},
		{[]string{"VAPID_PUBLIC_KEY", otherPub, "VAPID_PRIVATE_KEY", priv}, "not the private key's"},
		{[]string{"VAPID_SUBJECT", "ops@example.com"}, "VAPID_SUBJECT"},
		{[]string{"PUSH_TTL", "1s"}, "PUSH_TTL"},
		{[]string{"PUSH_INSECURE", "yes"}, "PUSH_INSECURE"},
	} {
		_, err := loadConfig(env(tt.env...))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%v: err = %v, want it to mention %q", tt.env, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), priv) {
			t.Errorf("the error quotes the private key: %v", err)
		}
	}
}

// TestVAPIDKeptInDataDir: embedded mode makes the pair once, private to
// its owner, and reads the same pair on the next start.
func TestVAPIDKeptInDataDir(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env("DATA_DIR", dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureVAPID(&c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "vapid_keys"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("vapid_keys: %v, %v; want mode 0600", fi, err)
	}
	again, _ := loadConfig(env("DATA_DIR", dir))
	if err := ensureVAPID(&again); err != nil {
		t.Fatal(err)
	}
	if c.VAPIDPublic == "" || again.VAPIDPublic != c.VAPIDPublic || again.VAPIDPrivate != c.VAPIDPrivate {
		t.Error("the second start read another pair")
	}
	if err := os.WriteFile(filepath.Join(dir, "vapid_keys"), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken, _ := loadConfig(env("DATA_DIR", dir))
	if err := ensureVAPID(&broken); err == nil {
		t.Error("a broken vapid_keys file was accepted")
	}
}
