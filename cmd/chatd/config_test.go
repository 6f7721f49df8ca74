package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

const secret = "0123456789abcdef0123456789abcdef"

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		getenv  func(string) string
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{"embedded defaults", env(), "", func(t *testing.T, c config) {
			if c.Addr != ":8000" || c.DataDir != "./data" || !c.embedded() || c.UploadPath != filepath.Join("data", "uploads") || c.TokenTTL != 24*time.Hour || c.Workers != 1 || c.MaxUploadBytes != 25<<20 {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{"scale-out", env("DATABASE_URL", "postgres://u@h/db", "REDIS_URL", "redis://h:6379/0", "JWT_SECRET", secret, "ACCESS_TOKEN_TTL", "1h", "WORKERS", "0", "UPLOAD_PATH", "/srv/up"), "", func(t *testing.T, c config) {
			if c.embedded() || c.mode() != "scale-out" || c.TokenTTL != time.Hour || c.Workers != 0 || c.UploadPath != "/srv/up" {
				t.Errorf("got %+v", c)
			}
		}},
		{"postgres needs a secret", env("DATABASE_URL", "postgres://u@h/db"), "JWT_SECRET is required", nil},
		{"redis needs postgres", env("REDIS_URL", "redis://h:6379"), "REDIS_URL is set without DATABASE_URL", nil},
		{"short secret", env("JWT_SECRET", "short"), "at least 32", nil},
		{"bad database url", env("DATABASE_URL", "mysql://x", "JWT_SECRET", secret), "postgres:// URL", nil},
		{"bad ttl", env("ACCESS_TOKEN_TTL", "soon"), "ACCESS_TOKEN_TTL", nil},
		{"bad workers", env("WORKERS", "-1"), "WORKERS", nil},
		{"bad upload size", env("MAX_UPLOAD_BYTES", "lots"), "MAX_UPLOAD_BYTES", nil},
		{"bad log level", env("LOG_LEVEL", "loud"), "LOG_LEVEL", nil},
		{"search index on by default", env(), "", func(t *testing.T, c config) {
			if !c.SearchIndex {
				t.Error("SearchIndex off by default")
			}
		}},
		{"search index on", env("SEARCH_INDEX", "on"), "", func(t *testing.T, c config) {
			if !c.SearchIndex {
				t.Error("SEARCH_INDEX=on: SearchIndex off")
			}
		}},
		{"search index off", env("SEARCH_INDEX", "off"), "", func(t *testing.T, c config) {
			if c.SearchIndex {
				t.Error("SEARCH_INDEX=off: SearchIndex on")
			}
		}},
		{"bad search index", env("SEARCH_INDEX", "false"), "SEARCH_INDEX", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(tt.getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestEnsureSecretIsKeptAndPrivate(t *testing.T) {
	dir := t.TempDir()
	c := config{DataDir: dir}
	if err := ensureSecret(&c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "jwt_secret"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	again := config{DataDir: dir}
	if err := ensureSecret(&again); err != nil {
		t.Fatal(err)
	}
	if string(again.JWTSecret) != string(c.JWTSecret) || len(c.JWTSecret) < 32 {
		t.Errorf("secret not kept across starts")
	}
}

// TestSearchStoreFollowsSearchIndex: with SEARCH_INDEX=off the application
// gets no search port (its Search answers 503 search_off); on, the store's.
func TestSearchStoreFollowsSearchIndex(t *testing.T) {
	for _, tc := range []struct {
		value string
		on    bool
	}{{"", true}, {"on", true}, {"off", false}} {
		cfg, err := loadConfig(env("DATA_DIR", t.TempDir(), "SEARCH_INDEX", tc.value))
		if err != nil {
			t.Fatal(err)
		}
		db, err := openStore(context.Background(), cfg, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := searchStore(cfg, db); (got != nil) != tc.on {
			t.Errorf("SEARCH_INDEX=%q: search port %v, want one: %v", tc.value, got, tc.on)
		}
		db.Close()
	}
}
