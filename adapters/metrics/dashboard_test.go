package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"chat/ports"
)

// seriesName matches the names of the series a PromQL expression reads.
var seriesName = regexp.MustCompile(`\b(chat|go|process)_[a-z0-9_]+`)

// TestDashboardChartsOurSeries: deployments/grafana-dashboard.json is a
// Grafana dashboard, and every series its panels query is one chatd
// exports (a renamed series breaks this test, not the dashboard).
func TestDashboardChartsOurSeries(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deployments", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID           string `json:"uid"`
		Title         string `json:"title"`
		SchemaVersion int    `json:"schemaVersion"`
		Panels        []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			GridPos *struct {
				X, Y, W, H int
			} `json:"gridPos"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 || len(d.Panels) == 0 {
		t.Fatalf("not a Grafana dashboard: uid %q, title %q, schemaVersion %d, %d panels", d.UID, d.Title, d.SchemaVersion, len(d.Panels))
	}

	m := New()
	m.JobFinished(ports.JobThumbnail, ports.JobCompleted, time.Second)
	m.QueueDepth("available", 0)
	m.Request("GET", "/healthz", 200, time.Millisecond)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range fams {
		exported[f.GetName()] = true
	}
	ids := map[int]bool{}
	charted := map[string]bool{}
	for _, p := range d.Panels {
		if p.ID == 0 || ids[p.ID] || p.Title == "" || p.GridPos == nil {
			t.Errorf("panel %+v: needs a unique id, a title and a gridPos", p)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			names := seriesName.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: %q reads no series", p.Title, tg.Expr)
			}
			for _, n := range names {
				base := n
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if s, ok := strings.CutSuffix(n, suffix); ok && exported[s] {
						base = s
					}
				}
				if !exported[base] {
					t.Errorf("panel %q reads %s, which chatd does not export", p.Title, n)
				}
				charted[base] = true
			}
		}
	}
	for name := range exported {
		if strings.HasPrefix(name, "chat_") && !charted[name] {
			t.Errorf("%s is exported but no panel charts it", name)
		}
	}
}
