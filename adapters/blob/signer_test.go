package blob_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"chat/adapters/blob"
	"chat/domain"
)

func TestSignedURL(t *testing.T) {
	s := blob.NewSigner([]byte("jwt-secret-for-tests-0123456789abcdef"))
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	link := s.Sign("/files/42", now.Add(time.Hour))
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
			err := s.Verify(tc.path, tc.query, tc.now)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if domain.KindOf(err) != domain.Unauthenticated || domain.CodeOf(err) != tc.want {
				t.Fatalf("Verify = %v (code %s), want Unauthenticated %s", err, domain.CodeOf(err), tc.want)
			}
		})
	}
	if !strings.HasPrefix(link, "/files/42?exp=") {
		t.Errorf("link %q does not start with the path and exp", link)
	}
	other := blob.NewSigner([]byte("another-secret"))
	if err := other.Verify("/files/42", q, now); domain.CodeOf(err) != "invalid_signature" {
		t.Errorf("a link signed with another secret verified: %v", err)
	}
}
