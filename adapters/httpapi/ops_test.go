package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/docs"
)

func TestReadyzFails(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Ready = func(context.Context) error { return errors.New("dial tcp 10.0.0.5:5432: connection refused") }
	})
	w := f.do(t, request{method: "GET", path: "/readyz"})
	p := checkProblem(t, w, 503, "not_ready")
	if strings.Contains(p["detail"].(string), "10.0.0.5") {
		t.Errorf("cause leaked: %v", p)
	}
	if !strings.Contains(f.logs.String(), "connection refused") {
		t.Errorf("cause not logged:\n%s", f.logs)
	}
}

func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do(t, request{method: "GET", path: "/openapi.yaml"})
	if w.Code != 200 || w.Body.String() != string(docs.OpenAPI) {
		t.Fatalf("status %d, %d bytes; want the embedded document", w.Code, w.Body.Len())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestRequestIDAndSecurityHeaders(t *testing.T) {
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"generated", "", false},
		{"kept", "req-123", true},
		{"too long is replaced", strings.Repeat("a", requestIDMax+1), false},
		{"control characters are replaced", "a\tb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			var hdr []string
			if tt.sent != "" {
				hdr = []string{"X-Request-ID: " + tt.sent}
			}
			w := f.do(t, request{method: "GET", path: "/nope", header: hdr})
			got := w.Header().Get("X-Request-ID")
			if got == "" || (got == tt.sent) != tt.keep {
				t.Errorf("X-Request-ID = %q for %q; keep=%v", got, tt.sent, tt.keep)
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
				if w.Header().Get(k) != v {
					t.Errorf("%s = %q, want %q", k, w.Header().Get(k), v)
				}
			}
			if !strings.Contains(f.logs.String(), `"request_id":"`+got+`"`) {
				t.Errorf("access log lacks the request id:\n%s", f.logs)
			}
		})
	}
}

func TestAccessLogRedactsSecrets(t *testing.T) {
	const secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig"
	ws := &statusHandler{status: http.StatusUnauthorized}
	f := newFixture(t, func(c *Config) { c.WebSocket = ws })

	f.do(t, request{method: "GET", path: "/ws/rooms/12?after_seq=3&token=" + secret})
	if ws.gotRoom != "12" || ws.gotToken != secret {
		t.Errorf("gateway got room %q token %q", ws.gotRoom, ws.gotToken)
	}
	f.do(t, request{method: "GET", path: "/ws/rooms/12?Token=" + secret + "&x=1"})
	f.do(t, request{method: "GET", path: "/ws/rooms/12?ticket=" + secret})
	f.do(t, request{method: "GET", path: "/rooms?access_token=" + secret, auth: true})
	f.do(t, request{method: "GET", path: "/invites/" + secret, auth: true})
	f.do(t, request{method: "POST", path: "/invites/" + secret + "/accept", auth: true})
	f.do(t, request{method: "DELETE", path: "/rooms/12/invites/" + secret, auth: true})
	f.do(t, request{method: "GET", path: "/invite/" + secret})
	f.do(t, request{method: "GET", path: "/search?room_id=12&q=" + url.QueryEscape("my secret plans"), auth: true})
	f.do(t, request{method: "POST", path: "/rooms/12/messages", body: `{"content":"my very private words"}`, auth: true})
	f.do(t, request{method: "POST", path: "/auth/login", body: "username=alice&password=correct+horse", contentType: "application/x-www-form-urlencoded"})

	logs := f.logs.String()
	for _, leak := range []string{secret, "my very private words", "correct", aliceToken, "secret+plans", "secret%20plans"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log contains %q:\n%s", leak, logs)
		}
	}
	for _, want := range []string{
		`"path":"/ws/rooms/12?after_seq=3&token=REDACTED"`,
		`"path":"/ws/rooms/12?Token=REDACTED&x=1"`,
		`"path":"/ws/rooms/12?ticket=REDACTED"`,
		`"path":"/rooms?access_token=REDACTED"`,
		`"path":"/invites/REDACTED"`,
		`"path":"/invites/REDACTED/accept"`,
		`"path":"/rooms/12/invites/REDACTED"`,
		`"path":"/invite/REDACTED"`,
		`"path":"/search?room_id=12&q=REDACTED"`,
		`"status":401`,
		`"user_id":1`,
		`"duration_ms":`,
		`"method":"POST"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}

func TestWebSocketUnconfigured(t *testing.T) {
	f := newFixture(t, nil)
	checkProblem(t, f.do(t, request{method: "GET", path: "/ws/rooms/1"}), 503, "websocket_unavailable")
}

func TestStaticFallback(t *testing.T) {
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("web client " + r.URL.Path))
	})
	tests := []struct {
		name       string
		rq         request
		wantStatus int
		wantBody   string
	}{
		{"root", request{method: "GET", path: "/"}, 200, "web client /"},
		{"asset", request{method: "GET", path: "/assets/app.js"}, 200, "web client /assets/app.js"},
		{"unknown api path", request{method: "GET", path: "/rooms/1/nope", auth: true}, 404, ""},
		{"unknown files path", request{method: "GET", path: "/files/1/nope"}, 404, ""},
		{"unknown avatars path", request{method: "GET", path: "/avatars/1"}, 404, ""},
		{"post is not static", request{method: "POST", path: "/assets/app.js"}, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Static = static })
			w := f.do(t, tt.rq)
			if tt.wantStatus == 404 {
				checkProblem(t, w, 404, "not_found")
				return
			}
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestRoutesMatchOpenAPI(t *testing.T) {
	f := newFixture(t, nil)
	undocumented, unserved, err := RouteDiff(f.srv.Echo().Routes(), docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if len(undocumented) > 0 {
		t.Errorf("routes served but missing from docs/openapi.yaml:\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(unserved) > 0 {
		t.Errorf("routes in docs/openapi.yaml that echo does not serve:\n  %s", strings.Join(unserved, "\n  "))
	}
}

func TestRouteDiff(t *testing.T) {
	doc := []byte(`
openapi: 3.1.0
paths:
  /a/{id}:
    parameters: []
    get: {}
  /b:
    post: {}
`)
	f := newFixture(t, nil)
	e := f.srv.Echo()
	undocumented, unserved, err := RouteDiff(e.Routes(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(undocumented) == 0 {
		t.Error("no undocumented routes reported")
	}
	if d := cmp.Diff([]string{"GET /a/{id}", "POST /b"}, unserved); d != "" {
		t.Errorf("unserved (-want +got):\n%s", d)
	}
	if got := openAPIPath("/ws/rooms/:room_id/x"); got != "/ws/rooms/{room_id}/x" {
		t.Errorf("openAPIPath = %q", got)
	}
}
