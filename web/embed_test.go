package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
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

// TestImageOrigins: a blob store that serves downloads itself is an image
// source of the page, and nothing else.
func TestImageOrigins(t *testing.T) {
	rec := httptest.NewRecorder()
	HandlerWith(Config{ImageOrigins: []string{"https://files.example.com"}}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' blob: data: https://files.example.com;") || strings.Count(csp, "files.example.com") != 1 {
		t.Errorf("CSP = %q, want the store among the image sources only", csp)
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

func TestAcceptedEncodings(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want map[string]bool
	}{
		{"", map[string]bool{}},
		{"gzip, deflate, br", map[string]bool{"gzip": true, "deflate": true, "br": true}},
		{"br;q=0, gzip;q=0.5", map[string]bool{"br": false, "gzip": true}},
		{"*", map[string]bool{"br": true, "gzip": true}},
		{"*;q=0.1, br;q=0", map[string]bool{"br": false, "gzip": true}},
		{"GZIP", map[string]bool{"gzip": true}},
	} {
		if d := cmp.Diff(tc.want, acceptedEncodings(tc.h)); d != "" {
			t.Errorf("acceptedEncodings(%q) (-want +got):\n%s", tc.h, d)
		}
	}
}

// TestPrecompressed: a browser that accepts brotli or gzip gets the
// build's compressed twin of a script, with the script's type, and one that
// accepts neither the script itself; every answer varies by
// Accept-Encoding. Invite links are the client's page.
func TestPrecompressed(t *testing.T) {
	if !Built() {
		if os.Getenv("CHAT_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("the web client is not built: make test builds it before the Go tests")
		}
		t.Skip("the web client is not built (make test builds it)")
	}
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := fs.Glob(sub, "assets/*.js")
	if len(js) == 0 {
		t.Fatal("no script in the build")
	}
	raw, _ := fs.ReadFile(sub, js[0])
	h := Handler()
	for _, tc := range []struct {
		accept, enc string
	}{{"gzip, deflate, br, zstd", "br"}, {"gzip", "gzip"}, {"br;q=0, gzip", "gzip"}, {"identity", ""}, {"", ""}} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/"+js[0], nil)
		req.Header.Set("Accept-Encoding", tc.accept)
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != tc.enc || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") ||
			!strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
			t.Fatalf("Accept-Encoding %q: %d, Content-Encoding %q, Vary %q, Content-Type %q", tc.accept, rec.Code,
				rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"), rec.Header().Get("Content-Type"))
		}
		var body []byte
		switch tc.enc {
		case "gzip":
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		case "br":
			if rec.Body.Len() >= len(raw)/2 {
				t.Fatalf("brotli body %d bytes for %d", rec.Body.Len(), len(raw))
			}
			continue
		default:
			body = rec.Body.Bytes()
		}
		if !bytes.Equal(body, raw) {
			t.Fatalf("Accept-Encoding %q: body differs from the script", tc.accept)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/invite/ABCDEF234", nil))
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /invite/… = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}
