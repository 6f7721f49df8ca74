package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"chat/ports"
)

// scrape serves m's handler once and parses the text it answers.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %d", resp.StatusCode)
	}
	body, _ := io.ReadAll(resp.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse scrape: %v\n%s", err, body)
	}
	return families
}

// value is the counter, gauge or histogram count of the series of name
// whose labels include labels ("k=v" pairs); -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func TestObservationsReachTheScrape(t *testing.T) {
	m := New()
	m.SocketOpened(ports.RoomSocket)
	m.SocketOpened(ports.RoomSocket)
	m.SocketOpened(ports.UserStream)
	m.SocketClosed(ports.RoomSocket, true)
	for _, typ := range []string{"message", "message", "typing", "made-up", "invalid"} {
		m.FrameReceived(typ)
	}
	m.Delivered(ports.EventMessage, 3)
	m.Delivered(ports.EventTyping, 0)
	m.Delivered(ports.EventKind(200), 1)
	m.MessageLatency(3 * time.Millisecond)
	m.Committed(4, 2*time.Millisecond)
	m.BusReconnected()
	m.JobFinished(ports.JobThumbnail, ports.JobCompleted, time.Second)
	m.JobFinished(ports.JobThumbnail, ports.JobRetried, time.Second)
	m.QueueDepth("available", 7)
	m.Request("GET", "/rooms/:id/messages", 200, time.Millisecond)
	m.Request("GET", "/rooms/:id/messages", 404, time.Millisecond)
	m.Request("BREW", "", 405, time.Millisecond)

	fams := scrape(t, m)
	got := map[string]float64{}
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"chat_ws_sockets", []string{"kind=room"}},
		{"chat_ws_sockets", []string{"kind=stream"}},
		{"chat_ws_slow_consumer_closes_total", []string{"kind=room"}},
		{"chat_ws_frames_received_total", []string{"type=message"}},
		{"chat_ws_frames_received_total", []string{"type=typing"}},
		{"chat_ws_frames_received_total", []string{"type=other"}},
		{"chat_ws_frames_received_total", []string{"type=invalid"}},
		{"chat_ws_deliveries_total", []string{"type=message"}},
		{"chat_ws_deliveries_total", []string{"type=typing"}},
		{"chat_ws_deliveries_total", []string{"type=other"}},
		{"chat_message_delivery_seconds", nil},
		{"chat_store_commit_batch_messages", nil},
		{"chat_store_commit_batch_seconds", nil},
		{"chat_bus_reconnects_total", nil},
		{"chat_jobs_total", []string{"kind=thumbnail", "outcome=completed"}},
		{"chat_jobs_total", []string{"kind=thumbnail", "outcome=retried"}},
		{"chat_job_duration_seconds", []string{"kind=thumbnail"}},
		{"chat_job_queue_jobs", []string{"state=available"}},
		{"chat_http_request_duration_seconds", []string{"method=GET", "route=/rooms/:id/messages"}},
		{"chat_http_responses_total", []string{"method=GET", "route=/rooms/:id/messages", "code=2xx"}},
		{"chat_http_responses_total", []string{"method=GET", "route=/rooms/:id/messages", "code=4xx"}},
		{"chat_http_responses_total", []string{"method=OTHER", "route=unmatched", "code=4xx"}},
	} {
		got[c.name+" "+fmt.Sprint(c.labels)] = value(fams, c.name, c.labels...)
	}
	want := map[string]float64{
		"chat_ws_sockets [kind=room]":                                               1,
		"chat_ws_sockets [kind=stream]":                                             1,
		"chat_ws_slow_consumer_closes_total [kind=room]":                            1,
		"chat_ws_frames_received_total [type=message]":                              2,
		"chat_ws_frames_received_total [type=typing]":                               1,
		"chat_ws_frames_received_total [type=other]":                                1,
		"chat_ws_frames_received_total [type=invalid]":                              1,
		"chat_ws_deliveries_total [type=message]":                                   3,
		"chat_ws_deliveries_total [type=typing]":                                    0,
		"chat_ws_deliveries_total [type=other]":                                     1,
		"chat_message_delivery_seconds []":                                          1,
		"chat_store_commit_batch_messages []":                                       1,
		"chat_store_commit_batch_seconds []":                                        1,
		"chat_bus_reconnects_total []":                                              1,
		"chat_jobs_total [kind=thumbnail outcome=completed]":                        1,
		"chat_jobs_total [kind=thumbnail outcome=retried]":                          1,
		"chat_job_duration_seconds [kind=thumbnail]":                                2,
		"chat_job_queue_jobs [state=available]":                                     7,
		"chat_http_request_duration_seconds [method=GET route=/rooms/:id/messages]": 2,
		"chat_http_responses_total [method=GET route=/rooms/:id/messages code=2xx]": 1,
		"chat_http_responses_total [method=GET route=/rooms/:id/messages code=4xx]": 1,
		"chat_http_responses_total [method=OTHER route=unmatched code=4xx]":         1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scraped values (-want +got):\n%s", diff)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("no %s: the Go runtime and process collectors are missing", name)
		}
	}
}

// TestRoutesBounded: whatever routes come, the series stop growing at
// maxRoutes and the rest is counted as route "other".
func TestRoutesBounded(t *testing.T) {
	m := New()
	for i := range maxRoutes + 50 {
		m.Request("GET", fmt.Sprintf("/r%d", i), 200, time.Millisecond)
	}
	fams := scrape(t, m)
	if n := len(fams["chat_http_request_duration_seconds"].Metric); n != maxRoutes+1 {
		t.Errorf("%d route series, want %d", n, maxRoutes+1)
	}
	if v := value(fams, "chat_http_request_duration_seconds", "route=other"); v != 50 {
		t.Errorf("route other counted %v requests, want 50", v)
	}
}

// TestHotPathsDoNotAllocate: what a message's path reports costs atomic
// adds, never an allocation.
func TestHotPathsDoNotAllocate(t *testing.T) {
	m := New()
	m.Request("POST", "/rooms/:id/messages", 201, time.Millisecond) // the route's first request makes its series
	for name, f := range map[string]func(){
		"FrameReceived":  func() { m.FrameReceived("message") },
		"Delivered":      func() { m.Delivered(ports.EventMessage, 10) },
		"MessageLatency": func() { m.MessageLatency(time.Millisecond) },
		"Committed":      func() { m.Committed(8, time.Millisecond) },
		"Request":        func() { m.Request("POST", "/rooms/:id/messages", 201, time.Millisecond) },
		"Sockets":        func() { m.SocketOpened(ports.UserStream); m.SocketClosed(ports.UserStream, false) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}
