package auth_test

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"chat/adapters/auth"
	"chat/domain"
	"chat/domain/user"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func TestTokensRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk, err := auth.NewTokens(secret, time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	s, ttl, err := tk.Issue(context.Background(), 42, "s-42")
	if err != nil || ttl != time.Hour {
		t.Fatalf("Issue = %v, %v", ttl, err)
	}
	c, err := tk.Verify(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != 42 || c.SessionID != "s-42" || !c.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("claims = %+v", c)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestTokensRejected(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	tk, _ := auth.NewTokens(secret, time.Hour, clock)
	good, _, _ := tk.Issue(context.Background(), 7, "s-7")
	parts := strings.Split(good, ".")
	other, _ := auth.NewTokens([]byte("another-secret-another-secret-xx"), time.Hour, clock)
	wrongKey, _, _ := other.Issue(context.Background(), 7, "s-7")
	past, _ := auth.NewTokens(secret, time.Minute, func() time.Time { return now.Add(-2 * time.Minute) })
	expired, _, _ := past.Issue(context.Background(), 7, "s-7")

	tests := map[string]struct {
		token string
		code  string
	}{
		"garbage":     {"not-a-token", "invalid_token"},
		"empty":       {"", "invalid_token"},
		"alg none":    {b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", "invalid_token"},
		"tampered":    {parts[0] + "." + b64(`{"sub":"1","exp":9999999999}`) + "." + parts[2], "invalid_token"},
		"wrong key":   {wrongKey, "invalid_token"},
		"expired":     {expired, "token_expired"},
		"no exp":      {signedWithout(t, "exp"), "invalid_token"},
		"bad subject": {signedWithout(t, "sub-bad"), "invalid_token"},
		"no session":  {signedWithout(t, "sid"), "invalid_token"},
		"sid number":  {signedWithout(t, "sid-number"), "invalid_token"},
		"huge":        {strings.Repeat("a", 5000), "invalid_token"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := tk.Verify(context.Background(), tt.token)
			if domain.KindOf(err) != domain.Unauthenticated || domain.CodeOf(err) != tt.code {
				t.Fatalf("Verify = %v (code %s), want Unauthenticated %s", err, domain.CodeOf(err), tt.code)
			}
		})
	}
}

// signedWithout hand-builds an HS256 token missing a claim or with a bad one.
func signedWithout(t *testing.T, what string) string {
	t.Helper()
	payload := `{"sub":"7","sid":"s-7"}`
	switch what {
	case "sub-bad":
		payload = `{"sub":"x","sid":"s-7","exp":9999999999}`
	case "sid": // a token of the days before sessions: valid otherwise
		payload = `{"sub":"7","exp":9999999999}`
	case "sid-number":
		payload = `{"sub":"7","sid":7,"exp":9999999999}`
	}
	return hs256(b64(`{"alg":"HS256","typ":"JWT"}`) + "." + b64(payload))
}

func TestNewTokensNeedsStrongSecret(t *testing.T) {
	if _, err := auth.NewTokens([]byte("short"), time.Hour, nil); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestIssueNeedsSession(t *testing.T) {
	tk, _ := auth.NewTokens(secret, time.Hour, nil)
	if _, _, err := tk.Issue(context.Background(), 1, ""); err == nil {
		t.Fatal("a token without a session was issued")
	}
}

func TestPasswords(t *testing.T) {
	p := &auth.Passwords{Params: auth.TestParams}
	h, err := p.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "correct horse") || !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash = %q", h)
	}
	if ok, err := p.Compare("correct horse", h); !ok || err != nil {
		t.Fatalf("Compare(right) = %v, %v", ok, err)
	}
	if ok, _ := p.Compare("wrong horse", h); ok {
		t.Fatal("wrong password matched")
	}
	if _, err := p.Compare("x", "garbage"); err == nil {
		t.Fatal("malformed hash accepted")
	}
	_ = user.ID(0)
}

// A token verified once (and so remembered) still stops working at its
// exp, and tampering with a remembered token is still caught.
func TestTokensRememberedStillExpire(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk, _ := auth.NewTokens(secret, time.Minute, func() time.Time { return now })
	s, _, _ := tk.Issue(context.Background(), 9, "s-9")
	for range 3 {
		if c, err := tk.Verify(context.Background(), s); err != nil || c.UserID != 9 {
			t.Fatalf("Verify = %+v, %v", c, err)
		}
	}
	if _, err := tk.Verify(context.Background(), s+"x"); domain.CodeOf(err) != "invalid_token" {
		t.Fatalf("tampered remembered token: %v", err)
	}
	now = now.Add(time.Minute)
	if _, err := tk.Verify(context.Background(), s); domain.CodeOf(err) != "token_expired" {
		t.Fatalf("at exp: Verify = %v, want token_expired", err)
	}
}

// Many distinct tokens: every one verifies, the cache evicts, none leaks
// into another user's identity.
func TestTokensManyDistinct(t *testing.T) {
	tk, _ := auth.NewTokens(secret, time.Hour, nil)
	toks := make([]string, 10000)
	for i := range toks {
		toks[i] = hs256(b64(`{"alg":"HS256","typ":"JWT"}`) + "." + b64(`{"sub":"`+strconv.Itoa(i+1)+`","sid":"s","exp":9999999999}`))
	}
	for round := range 2 {
		for i, s := range toks {
			c, err := tk.Verify(context.Background(), s)
			if err != nil || c.UserID != user.ID(i+1) {
				t.Fatalf("round %d token %d: %+v, %v", round, i, c, err)
			}
		}
	}
}
