package httpapi

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// requests records what the server reports of each request.
type requests struct {
	mu  sync.Mutex
	got []string
}

func (o *requests) Request(method, route string, status int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d <= 0 {
		route += " (no duration)"
	}
	o.got = append(o.got, method+" "+route+" "+http.StatusText(status))
}

// TestRequestsObservedByRouteTemplate: the observer hears the route's
// template, never the raw path (ids, codes); the web client's files are
// "static"; /metrics is not served here at all.
func TestRequestsObservedByRouteTemplate(t *testing.T) {
	obs := &requests{}
	f := newFixture(t, func(c *Config) {
		c.Observer = obs
		c.Static = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(time.Millisecond)
			w.WriteHeader(http.StatusOK)
		})
	})
	for _, rq := range []request{
		{method: "GET", path: "/rooms/10/messages?limit=5", auth: true},
		{method: "GET", path: "/rooms/10/messages", auth: false},
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/some/page"},
		{method: "GET", path: "/metrics"},
	} {
		f.do(t, rq)
	}
	want := []string{
		"GET /rooms/:id/messages OK",
		"GET /rooms/:id/messages Unauthorized",
		"GET /healthz OK",
		"GET static OK",
		"GET  Not Found",
	}
	if diff := cmp.Diff(want, obs.got); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}
