package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"chat/domain"
	"chat/domain/user"
	"chat/test/services"
)

// TestCacheReadsAreServedLocally checks that the profile cache really uses
// client-side caching: a repeated read is a local hit, and a change made
// through another client evicts it.
func TestCacheReadsAreServedLocally(t *testing.T) {
	ctx := context.Background()
	prefix := services.Prefix(t)
	url := services.Redis(t)
	var clients [2]*Client
	for i := range clients {
		c, err := Open(ctx, url, prefix, 0)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(c.Close)
		clients[i] = c
	}
	writer, reader := clients[0].Cache(time.Minute), clients[1].Cache(time.Minute)
	name, _ := user.NewUsername("gina")
	u := user.User{ID: 31, Username: name, DisplayName: "Gina", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, _, fill, _ := writer.Get(ctx, u.ID)
	if err := writer.Set(ctx, u, fill); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if _, ok, _, err := reader.Get(ctx, u.ID); err != nil || !ok {
		t.Fatalf("Get = %v, %v; want a hit", ok, err)
	}
	local := func() bool {
		return reader.rc.DoCache(ctx, reader.rc.B().Get().Key(reader.key(u.ID)).Cache(), time.Minute).IsCacheHit()
	}
	if !local() {
		t.Fatal("second read of the key was not served from the client-side cache")
	}
	if err := writer.Invalidate(ctx, u.ID); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, ok, _, err := reader.Get(ctx, u.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reader still has the profile 2 s after another client invalidated it")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, url string
		want      domain.Kind
	}{
		{"malformed URL keeps the password out", "redis://user:s3cret@[::1:6379/0", domain.Invalid},
		{"bad scheme", "http://127.0.0.1:6379", domain.Invalid},
		{"nothing listening", "redis://127.0.0.1:1/0?dial_timeout=1s", domain.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Open(ctx, tc.url, "x:", 0)
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			if got := domain.KindOf(err); got != tc.want {
				t.Errorf("kind = %v, want %v (err %v)", got, tc.want, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}

// TestCacheReadsEntriesWrittenBeforeReceipts: a profile cached by a server
// that did not know read receipts (no "h" field) reads as receipts shown,
// and the field is written only when receipts are hidden.
func TestCacheReadsEntriesWrittenBeforeReceipts(t *testing.T) {
	ctx := context.Background()
	c, err := Open(ctx, services.Redis(t), services.Prefix(t), 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(c.Close)
	cache := c.Cache(time.Minute)
	name, _ := user.NewUsername("hal")
	old := `{"i":41,"u":"hal","d":"Hal","c":"2026-01-01T00:00:00Z"}`
	if err := cache.rc.Do(ctx, cache.rc.B().Set().Key(cache.key(41)).Value(old).Build()).Error(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	got, ok, _, err := cache.Get(ctx, 41)
	want := user.User{ID: 41, Username: name, DisplayName: "Hal", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err != nil || !ok || got != want {
		t.Fatalf("Get(an entry without receipts) = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	for _, hide := range []bool{false, true} {
		u := want
		u.HideReceipts = hide
		if err := cache.Invalidate(ctx, u.ID); err != nil {
			t.Fatalf("Invalidate: %v", err)
		}
		_, _, fill, _ := cache.Get(ctx, u.ID)
		if err := cache.Set(ctx, u, fill); err != nil {
			t.Fatalf("Set: %v", err)
		}
		raw, err := cache.rc.Do(ctx, cache.rc.B().Get().Key(cache.key(41)).Build()).ToString()
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		if has := strings.Contains(raw, `"h":`); has != hide {
			t.Errorf("entry of a user hiding receipts %v = %s; want the h field %v", hide, raw, hide)
		}
		// The instance that wrote reads the new entry at once.
		if got, ok, _, err := cache.Get(ctx, 41); err != nil || !ok || got != u {
			t.Fatalf("Get after Set(HideReceipts %v) = %+v, %v, %v; want %+v", hide, got, ok, err, u)
		}
	}
}
