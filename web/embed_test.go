package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHandlerServesIndexOrPlaceholder(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !Built() && !strings.Contains(rec.Body.String(), "make run") {
		t.Fatal("placeholder does not say how to build the client")
	}
}

// TestMissingIsAProblem: what the client does not have is a problem+json
// 404, like the API's, and no directory is listed.
func TestMissingIsAProblem(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/.keep", 404, "not_found"},
		{http.MethodGet, "/no-such-page", 404, "not_found"},
		{http.MethodGet, "/assets/", 404, "not_found"},
		{http.MethodGet, "/assets/missing.js", 404, "not_found"},
		{http.MethodPost, "/", 405, "method_not_allowed"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s = %d %q %q", tc.method, tc.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			continue
		}
		var p map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		if p["code"] != tc.code || p["status"] != float64(tc.status) || p["title"] != http.StatusText(tc.status) || p["type"] != "about:blank" || p["detail"] == "" {
			t.Errorf("%s %s: problem %v", tc.method, tc.path, p)
		}
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler("chat.example.com", "https://*.example.org", "bad?pattern").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	directives := map[string]string{}
	for _, d := range strings.Split(rec.Header().Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	want := map[string]string{
		"default-src":     "'self'",
		"img-src":         "'self' blob: data:",
		"style-src":       "'self' 'unsafe-inline'",
		"connect-src":     "'self' ws://chat.example.com wss://chat.example.com wss://*.example.org",
		"form-action":     "'self'",
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
	}
	if d := cmp.Diff(want, directives); d != "" {
		t.Errorf("CSP (-want +got):\n%s", d)
	}
	rec = httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self';") {
		t.Errorf("CSP without ALLOWED_ORIGINS = %q, want connect-src 'self' only", csp)
	}
}

func TestSocketSources(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{"Chat.Example.com"}, []string{"ws://chat.example.com", "wss://chat.example.com"}},
		{[]string{"*.example.com:8443"}, []string{"ws://*.example.com:8443", "wss://*.example.com:8443"}},
		{[]string{"http://a.example", "https://b.example", "wss://c.example", "ftp://d.example"}, []string{"ws://a.example", "wss://b.example", "wss://c.example"}},
		{[]string{"a?.example", "[ab].example", "*", "a*b.example", "x y"}, []string{"ws://*", "wss://*"}},
		{[]string{"evil.example; script-src *"}, nil},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, socketSources(tt.in)); d != "" {
			t.Errorf("socketSources(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}
