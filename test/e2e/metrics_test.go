package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"chat/test/proc"
	"chat/test/services"
)

// TestMetrics boots chatd with METRICS_ADDR in both modes, sends messages
// over sockets and reads history, and sees the series move in what
// Prometheus would scrape; the public port answers 404 for /metrics.
func TestMetrics(t *testing.T) {
	modes := map[string]func(t *testing.T) map[string]string{
		"embedded": func(t *testing.T) map[string]string {
			return map[string]string{"DATA_DIR": t.TempDir(), "RATE_REGISTER": "off"}
		},
		"scale-out": func(t *testing.T) map[string]string {
			return map[string]string{
				"DATABASE_URL": services.Postgres(t), "REDIS_URL": services.Redis(t), "REDIS_PREFIX": services.Prefix(t),
				"JWT_SECRET": "e2e-secret-e2e-secret-e2e-secret-0123", "DATA_DIR": t.TempDir(), "UPLOAD_PATH": t.TempDir(),
				"RATE_REGISTER": "off",
			}
		},
	}
	for name, envOf := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := envOf(t)
			metricsAddr := proc.FreeAddr(t)
			env["METRICS_ADDR"] = metricsAddr
			s := start(t, env)
			metricsURL := "http://" + metricsAddr + "/metrics"

			before := scrapeMetrics(t, metricsURL)
			alice, bob := newUser(t, s, "mal"), newUser(t, s, "mbob")
			room := alice.createRoom("metrics "+name, false)
			bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", room.ID), nil, nil)
			a, b := alice.dial(room.ID, ""), bob.dial(room.ID, "")
			stream := bob.stream("")
			stream.next("ready")
			const sent = 5
			for i := range sent {
				a.send(map[string]any{"type": "message", "content": fmt.Sprintf("m%d", i), "client_id": fmt.Sprintf("c%d", i)})
			}
			for range sent {
				a.next("message")
				b.next("message")
				stream.next("message")
			}
			bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages?limit=10", room.ID), nil, nil)
			after := scrapeMetrics(t, metricsURL)

			moved := func(name string, labels ...string) float64 {
				return sample(after, name, labels...) - max(sample(before, name, labels...), 0)
			}
			checks := []struct {
				what string
				got  float64
				want func(float64) bool
				says string
			}{
				{"message frames received", moved("chat_ws_frames_received_total", "type=message"), eq(sent), "5"},
				{"message deliveries", moved("chat_ws_deliveries_total", "type=message"), atLeast(3 * sent), "≥ 15 (three sockets)"},
				{"send-to-delivery latencies", moved("chat_message_delivery_seconds"), eq(sent), "5 (one per message per instance)"},
				{"messages committed", moved("chat_store_commit_batch_messages:sum"), eq(sent), "5"},
				{"commit batches", moved("chat_store_commit_batch_seconds"), between(1, sent), "1 to 5"},
				{"room sockets open", sample(after, "chat_ws_sockets", "kind=room"), eq(2), "2"},
				{"streams open", sample(after, "chat_ws_sockets", "kind=stream"), eq(1), "1"},
				{"history requests", moved("chat_http_request_duration_seconds", "method=GET", "route=/rooms/:id/messages"), eq(1), "1"},
				{"2xx answers to joins", moved("chat_http_responses_total", "method=POST", "route=/rooms/:id/join", "code=2xx"), eq(1), "1"},
				{"available jobs counted", sample(after, "chat_job_queue_jobs", "state=available"), atLeast(0), "a count"},
				{"goroutines", sample(after, "go_goroutines"), atLeast(1), "the Go collector"},
				{"bus reconnects", sample(after, "chat_bus_reconnects_total"), eq(0), "0"},
			}
			for _, c := range checks {
				if !c.want(c.got) {
					t.Errorf("%s: %v, want %s", c.what, c.got, c.says)
				}
			}
			for k := range after {
				if rawPath.MatchString(k) {
					t.Errorf("a raw path made a series: %s", k)
				}
			}

			if r := do(t, "GET", s.URL+"/metrics", "", "", nil); r.Status != http.StatusNotFound {
				t.Errorf("GET /metrics on the public port = %d, want 404", r.Status)
			}
			if r := do(t, "GET", "http://"+metricsAddr+"/rooms", "", "", nil); r.Status != http.StatusNotFound {
				t.Errorf("the metrics listener answers GET /rooms with %d, want 404", r.Status)
			}
		})
	}
}

// rawPath matches a route label holding an id where its template has one.
var rawPath = regexp.MustCompile(`route=[^,}]*/[0-9]`)

func eq(v float64) func(float64) bool      { return func(g float64) bool { return g == v } }
func atLeast(v float64) func(float64) bool { return func(g float64) bool { return g >= v } }
func between(lo, hi float64) func(float64) bool {
	return func(g float64) bool { return g >= lo && g <= hi }
}

// scrapedSeries are a scrape's samples by name and sorted labels; a
// histogram gives its count under its name and its sum under name:sum.
type scrapedSeries map[string]float64

func scrapeMetrics(t *testing.T, u string) scrapedSeries {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	out := scrapedSeries{}
	for name, f := range fams {
		for _, m := range f.Metric {
			key := seriesKey(name, m.Label)
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.Histogram.GetSampleCount())
				out[seriesKey(name+":sum", m.Label)] = m.Histogram.GetSampleSum()
			case m.Untyped != nil:
				out[key] = m.Untyped.GetValue()
			}
		}
	}
	return out
}

func seriesKey(name string, labels []*dto.LabelPair) string {
	parts := make([]string, 0, len(labels))
	for _, l := range labels {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// sample is the value of the series of name whose labels include labels
// ("k=v"), summed over the series that match; -1 when none does.
func sample(s scrapedSeries, name string, labels ...string) float64 {
	total, found := 0.0, false
	for k, v := range s {
		n, rest, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		have := "," + strings.TrimSuffix(rest, "}") + ","
		ok := true
		for _, l := range labels {
			if !strings.Contains(have, ","+l+",") {
				ok = false
				break
			}
		}
		if ok {
			total, found = total+v, true
		}
	}
	if !found {
		return -1
	}
	return total
}
