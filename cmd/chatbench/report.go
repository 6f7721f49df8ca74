package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one chatbench invocation measured.
type report struct {
	Scenario    string           `json:"scenario"`
	Started     time.Time        `json:"started"`
	Finished    time.Time        `json:"finished"`
	Params      config           `json:"params"`
	Machine     machine          `json:"machine"`
	Bar         string           `json:"bar"`
	Results     []scenarioResult `json:"results"`
	Comparisons []metric         `json:"comparisons,omitempty"`
	// ComparisonNotes say when a comparison is not between two ceilings.
	ComparisonNotes []string `json:"comparison_notes,omitempty"`
}

type machine struct {
	NumCPU     int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUModel   string `json:"cpu_model,omitempty"`
	MemTotal   string `json:"mem_total,omitempty"`
	// Load averages (1, 5, 15 min) when the run started and ended: on a
	// shared box, a run beside other work is not a figure.
	LoadStart string `json:"loadavg_start,omitempty"`
	LoadEnd   string `json:"loadavg_end,omitempty"`
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// scenarioResult is one scenario's outcome: the per-phase rows of a load
// ladder (if any) and the headline metrics.
type scenarioResult struct {
	Name    string        `json:"name"`
	Target  string        `json:"target"`
	Rooms   int           `json:"rooms,omitempty"`
	Members int           `json:"members,omitempty"`
	Sockets int           `json:"sockets,omitempty"`
	Phases  []phaseResult `json:"phases,omitempty"`
	Tables  []table       `json:"tables,omitempty"`
	Metrics []metric      `json:"metrics"`
	Notes   []string      `json:"notes,omitempty"`
	Error   string        `json:"error,omitempty"`

	tabulated map[string]bool // metrics a table shows: not printed again
}

// table is a scenario's figures laid out by row (the metrics carry the
// same numbers by name).
type table struct {
	Title  string     `json:"title"`
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

type metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

func (r *scenarioResult) add(name string, v float64, unit string) {
	r.Metrics = append(r.Metrics, metric{name, v, unit})
}

// addTabulated adds a metric that one of r's tables shows.
func (r *scenarioResult) addTabulated(name string, v float64, unit string) {
	r.add(name, v, unit)
	if r.tabulated == nil {
		r.tabulated = map[string]bool{}
	}
	r.tabulated[name] = true
}

// metric returns the value of a named metric and whether it exists.
func (r *scenarioResult) metric(name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

func thisMachine() machine {
	m := machine{
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	m.LoadStart = loadAvg()
	return m
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func printReport(w io.Writer, rep *report) {
	m := rep.Machine
	fmt.Fprintf(w, "\nchatbench %s — %d CPU (%s), GOMAXPROCS %d, %s, %s; load average %s at start, %s at end\n",
		rep.Scenario, m.NumCPU, m.CPUModel, m.GOMAXPROCS, m.GoVersion, rep.Finished.Sub(rep.Started).Round(time.Second), m.LoadStart, m.LoadEnd)
	for _, r := range rep.Results {
		if len(r.Phases) > 0 {
			fmt.Fprintf(w, "bar: %s\n", rep.Bar)
			break
		}
	}
	for _, r := range rep.Results {
		fmt.Fprintf(w, "\n== %s against %s", r.Name, r.Target)
		switch {
		case r.Sockets > 0 && r.Members > 0:
			fmt.Fprintf(w, " (%d rooms × %d members = %d sockets)", r.Rooms, r.Members, r.Sockets)
		case r.Sockets > 0: // user streams, not laid out by room
			fmt.Fprintf(w, " (%d sockets, %d rooms)", r.Sockets, r.Rooms)
		case r.Rooms > 0 && r.Members == 0:
			fmt.Fprintf(w, " (%d rooms)", r.Rooms)
		}
		fmt.Fprintln(w)
		if len(r.Phases) > 0 {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "phase\tkind\toffered/s\tsends\treceived\t≤1s %\tachieved/s\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\tsend lag ms\tdrain s\tdead\t\t")
			for _, p := range r.Phases {
				fmt.Fprintf(tw, "%d\t%s\t%.0f\t%d\t%d\t%.2f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t%d\t%s\t\n",
					p.Index, p.Kind, p.OfferedRate, p.Sends, p.Received, p.WithinPct, p.AchievedRate,
					p.P50Ms, p.P99Ms, p.P999Ms, p.MaxMs, p.MaxSendLagMs, p.DrainSeconds, p.Dead, passWord(p.Pass))
			}
			tw.Flush()
		}
		for _, t := range r.Tables {
			printTable(w, t)
		}
		var ms []metric
		for _, m := range r.Metrics {
			if !r.tabulated[m.Name] {
				ms = append(ms, m)
			}
		}
		printMetrics(w, ms)
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", r.Error)
		}
	}
	if len(rep.Comparisons) > 0 {
		fmt.Fprintln(w, "\n== comparisons (same run)")
		printMetrics(w, rep.Comparisons)
		for _, n := range rep.ComparisonNotes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
}

func printTable(w io.Writer, t table) {
	fmt.Fprintf(w, "  %s\n", t.Title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t\n", strings.Join(t.Header, "\t"))
	for _, row := range t.Rows {
		fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
	}
	tw.Flush()
}

func printMetrics(w io.Writer, ms []metric) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range ms {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Name, formatValue(m.Value), m.Unit)
	}
	tw.Flush()
}

func formatValue(v float64) string {
	switch {
	case v == float64(int64(v)) && v < 1e15 && v > -1e15:
		return fmt.Sprintf("%d", int64(v))
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func writeJSON(path string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
