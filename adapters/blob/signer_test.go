package blob_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"chat/adapters/blob"
	"chat/domain"
	"chat/domain/user"
)

func TestSignedURL(t *testing.T) {
	s := blob.NewSigner([]byte("jwt-secret-for-tests-0123456789abcdef"))
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	link := s.Sign("/files/42", 7, now.Add(time.Hour))
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	with := func(k, v string) url.Values {
		c := url.Values{}
		for k2, v2 := range q {
			c[k2] = v2
		}
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return c
	}
	flip := func(s string) string { // change one character of the signature
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	for _, tc := range []struct {
		name  string
		path  string
		query url.Values
		now   time.Time
		want  string // error code; "" = valid
	}{
		{"round trip", "/files/42", q, now, ""},
		{"just before expiry", "/files/42", q, now.Add(time.Hour - time.Second), ""},
		{"tampered path", "/files/43", q, now, "invalid_signature"},
		{"thumbnail of the same file", "/files/42/thumbnail", q, now, "invalid_signature"},
		{"another user", "/files/42", with("u", "8"), now, "invalid_signature"},
		{"user with a leading zero", "/files/42", with("u", "07"), now, "invalid_signature"},
		{"user not a number", "/files/42", with("u", "alice"), now, "invalid_signature"},
		{"user zero", "/files/42", with("u", "0"), now, "invalid_signature"},
		{"missing user", "/files/42", with("u", ""), now, "invalid_signature"},
		{"tampered exp", "/files/42", with("exp", "99999999999"), now, "invalid_signature"},
		{"tampered sig", "/files/42", with("sig", flip(q.Get("sig"))), now, "invalid_signature"},
		{"sig not base64", "/files/42", with("sig", "%%%"), now, "invalid_signature"},
		{"exp not a number", "/files/42", with("exp", "soon"), now, "invalid_signature"},
		{"missing sig", "/files/42", with("sig", ""), now, "invalid_signature"},
		{"missing exp", "/files/42", with("exp", ""), now, "invalid_signature"},
		{"no query", "/files/42", url.Values{}, now, "invalid_signature"},
		{"expired", "/files/42", q, now.Add(time.Hour), "signature_expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Verify(tc.path, tc.query, tc.now)
			if tc.want == "" {
				if err != nil || got != 7 {
					t.Fatalf("Verify = %d, %v; want user 7", got, err)
				}
				return
			}
			if domain.KindOf(err) != domain.Unauthenticated || domain.CodeOf(err) != tc.want {
				t.Fatalf("Verify = %v (code %s), want Unauthenticated %s", err, domain.CodeOf(err), tc.want)
			}
		})
	}
	if !strings.HasPrefix(link, "/files/42?u=7&exp=") {
		t.Errorf("link %q does not start with the path, the user and exp", link)
	}
	other := blob.NewSigner([]byte("another-secret"))
	if _, err := other.Verify("/files/42", q, now); domain.CodeOf(err) != "invalid_signature" {
		t.Errorf("a link signed with another secret verified: %v", err)
	}
	// Two users' links to one file differ, and neither opens as the other.
	l8, _ := url.Parse(s.Sign("/files/42", user.ID(8), now.Add(time.Hour)))
	if l8.Query().Get("sig") == q.Get("sig") {
		t.Error("two users got the same signature")
	}
	mixed := with("sig", l8.Query().Get("sig"))
	if _, err := s.Verify("/files/42", mixed, now); domain.CodeOf(err) != "invalid_signature" {
		t.Errorf("user 7's link with user 8's signature verified: %v", err)
	}
}
