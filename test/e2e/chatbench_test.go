package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestChatbenchSmoke runs the load generator's seconds-long smoke scenario
// against a real embedded chatd: every message must reach every member
// exactly once (chatbench exits non-zero otherwise). It keeps chatbench
// working against the server as both change; the figures live in
// docs/BENCHMARKS.md, never in tests.
func TestChatbenchSmoke(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "chatbench")
	if out, err := exec.Command("go", "build", "-o", bin, "chat/cmd/chatbench").CombinedOutput(); err != nil {
		t.Fatalf("build chatbench: %v\n%s", err, out)
	}
	s := start(t, map[string]string{"DATA_DIR": t.TempDir()})
	out, err := exec.Command(bin, "-scenario", "smoke", "-url", s.URL, "-quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("chatbench smoke: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "smoke") {
		t.Fatalf("chatbench said:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestChatbenchSearch runs the search scenario small against two embedded
// chatd, one with the search index and one with SEARCH_INDEX=off: the
// corpus filled into both, every query class's answers checked against it
// (chatbench exits non-zero on a wrong answer), the searches timed and the
// persist ladder run on both, two rounds in swapped order.
func TestChatbenchSearch(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "chatbench")
	if out, err := exec.Command("go", "build", "-o", bin, "chat/cmd/chatbench").CombinedOutput(); err != nil {
		t.Fatalf("build chatbench: %v\n%s", err, out)
	}
	limits := map[string]string{"RATE_SEND": "off", "RATE_JOIN": "off", "RATE_REGISTER": "off", "RATE_LOGIN": "off", "RATE_SEARCH": "off", "MAX_CONNS_PER_ADDR": "0"}
	env := func(extra ...string) map[string]string {
		m := map[string]string{"DATA_DIR": t.TempDir()}
		for k, v := range limits {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	on, off := start(t, env()), start(t, env("SEARCH_INDEX", "off"))
	report := filepath.Join(t.TempDir(), "search.json")
	out, err := exec.Command(bin, "-scenario", "search", "-url", on.URL, "-compare-url", off.URL,
		"-messages", "1500", "-rooms", "10", "-users", "3", "-requests", "10", "-concurrency", "2",
		"-persist-rooms", "4", "-members", "2", "-persist-rounds", "2", "-start-rate", "20", "-step", "1s", "-warmup", "0", "-max-steps", "2",
		"-quiet", "-json", report).CombinedOutput()
	if err != nil {
		t.Fatalf("chatbench search: %v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Name    string
			Metrics []struct {
				Name  string
				Value float64
			}
		}
		Comparisons []struct{ Name string }
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	var names, metrics, comparisons []string
	for _, r := range rep.Results {
		names = append(names, r.Name)
		if r.Name == "search" {
			for _, m := range r.Metrics {
				metrics = append(metrics, m.Name)
			}
		}
	}
	for _, c := range rep.Comparisons {
		comparisons = append(comparisons, c.Name)
	}
	// Two rounds of the ladders, the order swapped in the second.
	if !slices.Equal(names, []string{"search", "persist-1", "persist-index-off-1", "persist-index-off-2", "persist-2"}) {
		t.Errorf("results %v", names)
	}
	for _, want := range []string{"fill_messages_per_s", "fill_messages_per_s_index_off", "search_rare_all_p99_ms", "search_phrase_room_p95_ms", "search_p99_ms_worst_one_word_or_phrase"} {
		if !slices.Contains(metrics, want) {
			t.Errorf("the search result lacks %s: %v", want, metrics)
		}
	}
	for _, want := range []string{"send_rate_index_on_of_off", "persist_index_on_of_off_round1", "persist_index_on_of_off_round2", "persist_index_on_of_off"} {
		if !slices.Contains(comparisons, want) {
			t.Errorf("comparisons %v lack %s", comparisons, want)
		}
	}
	t.Logf("%s", out)
}
