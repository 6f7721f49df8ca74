package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// These tests drive the in-process baseline server over real loopback
// WebSockets. They assert counts, never timings.

func startTestBaseline(t *testing.T) *baselineServer {
	t.Helper()
	srv, err := startBaseline()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.stop)
	return srv
}

func TestFanoutAgainstBaselineDeliversEverySendToEveryMember(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := startTestBaseline(t)
	clients, err := dialers(nil)
	if err != nil {
		t.Fatal(err)
	}
	const rooms, members = 3, 4
	f := baselineFleet(srv.url(), rooms, members, clients)
	e := newEngine(f, loadSpec{
		unitsPerSend: members,
		phases:       []phase{{oncePhase, 120 * members, time.Second}}, // 120 sends in 1 s
		grace:        10 * time.Second,
	})
	ctx := context.Background()
	if err := e.connect(ctx); err != nil {
		t.Fatal(err)
	}
	results, err := e.run(ctx)
	e.close()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("got %d phase results, want 1", len(results))
	}
	got := results[0]
	if got.Sends != 120 || got.SendErrors != 0 {
		t.Fatalf("sends = %d (%d failed), want 120 (0 failed)", got.Sends, got.SendErrors)
	}
	if got.Expected != got.Sends*members || got.Received != got.Expected {
		t.Fatalf("received %d deliveries, expected %d = %d sends × %d members", got.Received, got.Expected, got.Sends, members)
	}
	if got.Dead != 0 {
		t.Fatalf("%d sockets died", got.Dead)
	}
	srv.stop()
}

func TestSmokeAgainstBaselineIsExactlyOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := startTestBaseline(t)
	clients, err := dialers(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := baselineFleet(srv.url(), 2, 3, clients)
	r, err := runSmoke(context.Background(), scenarioResult{Name: "smoke"}, f, 50, nil)
	if err != nil {
		t.Fatalf("smoke against the baseline: %v (metrics %+v)", err, r.Metrics)
	}
	for name, want := range map[string]float64{"messages_sent": 50, "deliveries_expected": 150, "deliveries_missing": 0, "deliveries_duplicated": 0} {
		if got, _ := r.metric(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	srv.stop()
}

func TestRunBaselineScenarioWritesReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.json")
	var stdout bytes.Buffer
	args := []string{"-scenario", "baseline", "-rooms", "2", "-members", "3", "-warmup", "0", "-step", "1s",
		"-max-steps", "2", "-start-rate", "60", "-fixed-rates", "", "-quiet", "-json", out,
		"-source-ips", "127.0.0.1,127.0.0.2"} // two source addresses, as beyond ~28k sockets
	if err := run(context.Background(), args, &stdout); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Name != "baseline" {
		t.Fatalf("results = %+v, want one baseline result", rep.Results)
	}
	res := rep.Results[0]
	if len(res.Phases) != 2 {
		t.Fatalf("got %d phases, want 2 steps", len(res.Phases))
	}
	for _, p := range res.Phases {
		if p.Received != p.Sends*3 || p.Sends == 0 {
			t.Errorf("phase %d: received %d deliveries of %d sends × 3 members", p.Index, p.Received, p.Sends)
		}
	}
	if rep.Machine.NumCPU == 0 || rep.Machine.GoVersion == "" {
		t.Errorf("machine not described: %+v", rep.Machine)
	}
	if !bytes.Contains(stdout.Bytes(), []byte("max_sustained_deliveries_per_s")) {
		t.Errorf("the table lacks the headline figure:\n%s", stdout.String())
	}
}

func TestParseConfigRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{"-scenario", "nope"},
		{"-rate-factor", "1"},
		{"-fixed-rates", "10k"},
		{"-cpuprofile-step", "2"},
		{"-source-ips", "x"},
		{"extra"},
		{"-scenario", "persist", "-stream"},
		{"-scenario", "streams", "-stream"},
		{"-scenario", "idle-stream", "-rooms-per-user", "-1"},
		{"-scenario", "unread", "-rooms", "10", "-rooms-per-user", "11"},
		{"-scenario", "unread", "-requests", "-5"},
		{"-scenario", "persist", "-compare-url", "http://127.0.0.1:8001"},
		{"-scenario", "search", "-url", "http://a:1", "-compare-url", "http://b:1,http://a:1"},
		{"-scenario", "search", "-persist-rooms", "-1"},
		{"-scenario", "search", "-persist-rounds", "-2"},
	}
	for _, args := range tests {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}

func TestParseConfigAcceptsStreamFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-scenario", "fanout", "-stream", "-rooms-per-user", "3"},
		{"-scenario", "smoke", "-stream"},
		{"-scenario", "streams", "-rooms", "10", "-members", "5"},
		{"-scenario", "idle-stream", "-sockets", "100", "-rooms-per-user", "50"},
		{"-scenario", "unread", "-rooms", "20", "-rooms-per-user", "10", "-messages", "2000", "-requests", "50"},
		{"-scenario", "search", "-url", "http://a:1,http://a:2", "-compare-url", "http://b:1,http://b:2", "-seed", "9", "-persist-rooms", "10", "-persist-rounds", "2"},
	} {
		if _, err := parseConfig(args, &bytes.Buffer{}); err != nil {
			t.Errorf("parseConfig(%q) = %v, want nil", args, err)
		}
	}
}

func TestHelpListsEveryScenario(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios {
		if !bytes.Contains(out.Bytes(), []byte("\n  "+s+" ")) {
			t.Errorf("-h does not describe scenario %s:\n%s", s, out.String())
		}
	}
}
