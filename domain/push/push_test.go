package push

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"chat/domain"
)

func TestNewSubscription(t *testing.T) {
	key := append([]byte{4}, make([]byte, 64)...)
	p256dh := base64.RawURLEncoding.EncodeToString(key)
	auth := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		name, endpoint, p256dh, auth, code string
	}{
		{"ok", "https://push.example.com/send/abc", p256dh, auth, ""},
		{"padded keys", "https://push.example.com/x", p256dh + "=", base64.URLEncoding.EncodeToString(make([]byte, 16)), ""},
		{"plain http is the caller's call", "http://127.0.0.1:9/x", p256dh, auth, ""},
		{"relative", "/send/abc", p256dh, auth, "invalid_endpoint"},
		{"other scheme", "ftp://push.example.com/x", p256dh, auth, "invalid_endpoint"},
		{"credentials", "https://u:p@push.example.com/x", p256dh, auth, "invalid_endpoint"},
		{"too long", "https://push.example.com/" + strings.Repeat("a", EndpointMax), p256dh, auth, "invalid_endpoint"},
		{"short key", "https://push.example.com/x", base64.RawURLEncoding.EncodeToString(key[:64]), auth, "invalid_push_key"},
		{"compressed key", "https://push.example.com/x", base64.RawURLEncoding.EncodeToString(append([]byte{2}, key[1:]...)), auth, "invalid_push_key"},
		{"bad base64", "https://push.example.com/x", "!!", auth, "invalid_push_key"},
		{"short auth", "https://push.example.com/x", p256dh, base64.RawURLEncoding.EncodeToString(make([]byte, 8)), "invalid_push_key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSubscription(7, tt.endpoint, tt.p256dh, tt.auth, now)
			if tt.code != "" {
				if domain.KindOf(err) != domain.Invalid || domain.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want Invalid %s", err, tt.code)
				}
				return
			}
			if err != nil || s.UserID != 7 || len(s.P256DH) != 65 || len(s.Auth) != 16 || !s.CreatedAt.Equal(now) {
				t.Fatalf("got %+v, %v", s, err)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	long := strings.Repeat("é", PreviewMax+5)
	for in, want := range map[string]string{
		"  hello\n\n  world ":           "hello world",
		long:                            strings.Repeat("é", PreviewMax-1) + "…",
		strings.Repeat("é", PreviewMax): strings.Repeat("é", PreviewMax),
	} {
		if got := Preview(in); got != want {
			t.Errorf("Preview(%q) = %q, want %q", in, got, want)
		}
	}
}
