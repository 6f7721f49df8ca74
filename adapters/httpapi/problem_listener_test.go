package httpapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serveRaw serves the fixture's handler on a real listener wrapped by
// ProblemListener and returns a function that sends raw bytes on a fresh
// connection and reads the response.
func serveRaw(t *testing.T, f *fixture) func(raw string) *http.Response {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.srv.Handler(), MaxHeaderBytes: 1 << 10, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ProblemListener(ln))
	t.Cleanup(func() { srv.Close() })
	return func(raw string) *http.Response {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		return resp
	}
}

func TestNetHTTPErrorsAreProblems(t *testing.T) {
	send := serveRaw(t, newFixture(t, nil))
	for _, tc := range []struct {
		name   string
		raw    string
		status int
		code   string
	}{
		{"headers too large", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", 431, "header_too_large"},
		{"malformed request line", "GARBAGE\r\n\r\n", 400, "malformed_request"},
		{"missing host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed_request"},
		{"unknown transfer encoding", "POST /rooms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n", 501, "not_implemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := send(tc.raw)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != MIMEProblem {
				t.Fatalf("got %d %q %q, want %d problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
			}
			var p map[string]any
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			want := map[string]any{"type": "about:blank", "title": http.StatusText(tc.status), "status": float64(tc.status), "code": tc.code}
			if d := cmp.Diff(want, map[string]any{"type": p["type"], "title": p["title"], "status": p["status"], "code": p["code"]}); d != "" {
				t.Errorf("problem (-want +got):\n%s", d)
			}
			if d, _ := p["detail"].(string); d == "" || strings.Contains(d, "aaaa") {
				t.Errorf("detail = %q", d)
			}
		})
	}
	t.Run("handlers' answers pass untouched", func(t *testing.T) {
		resp := send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
			t.Errorf("healthz = %d %q", resp.StatusCode, body)
		}
		resp = send("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		defer resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != MIMEProblem || resp.Header.Get("X-Request-ID") == "" {
			t.Errorf("404 = %d %v", resp.StatusCode, resp.Header)
		}
	})
}
