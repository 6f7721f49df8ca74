package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		os.Exit(1)
	}
}

// config is the parsed command line; it is also written into the JSON report.
type config struct {
	URLs             []string      `json:"urls"`
	Scenario         string        `json:"scenario"`
	Rooms            int           `json:"rooms,omitempty"`
	Members          int           `json:"members,omitempty"`
	Users            int           `json:"users,omitempty"`
	Duration         time.Duration `json:"duration_ns"`
	Warmup           time.Duration `json:"warmup_ns"`
	Step             time.Duration `json:"step_ns"`
	StartRate        float64       `json:"start_rate,omitempty"`
	RateFactor       float64       `json:"rate_factor"`
	PersistStartRate float64       `json:"persist_start_rate,omitempty"`
	MaxSteps         int           `json:"max_steps"`
	FixedRates       []float64     `json:"fixed_rates"`
	Messages         int           `json:"messages,omitempty"`
	Stream           bool          `json:"stream,omitempty"`
	RoomsPerUser     int           `json:"rooms_per_user,omitempty"`
	Sockets          int           `json:"sockets,omitempty"`
	Requests         int           `json:"requests,omitempty"`
	Concurrency      int           `json:"concurrency"`
	CompareURLs      []string      `json:"compare_urls,omitempty"`
	Seed             uint64        `json:"seed,omitempty"`
	PersistRooms     int           `json:"persist_rooms,omitempty"`
	PersistRounds    int           `json:"persist_rounds,omitempty"`
	JSON             string        `json:"-"`
	SourceIPs        []string      `json:"source_ips,omitempty"`
	PprofURL         string        `json:"pprof_url,omitempty"`
	CPUProfileStep   int           `json:"cpuprofile_step"`
	ServerPID        int           `json:"server_pid,omitempty"`
	Quiet            bool          `json:"-"`
	SelfProfile      string        `json:"-"`

	set map[string]bool // flags given on the command line
}

const usage = `usage: chatbench [-scenario S] [-url http://host:port[,…]] [flags]

Scenarios (docs/BENCHMARKS.md has the definitions and figures):
  smoke        2 rooms × 3 members, 50 messages: exit 1 unless every member got each exactly once
               (-stream: each member a user stream of its own user)
  fanout       100 rooms × 10 members: fixed loads, then a ×1.5 ladder of deliveries/s until the bar breaks
               (-stream: over user streams, GET /ws, one distinct user per member)
  streams      the fanout ladder over room sockets, then over user streams, same users and server:
               both ceilings and stream_of_room_fanout (%)
  persist      500 rooms × 4 members, all sending: messages/s acknowledged (sender's echo), ack latency
  idle         rooms × members idle sockets (10k): server RSS, Go memory and goroutines per socket
  idle-stream  -sockets idle user streams (5k) of users in 1 room, then 5k more of users in
               -rooms-per-user rooms (50): cost per stream and per room registration
  rest         history pages/s and p99 (closed loop), logins/s
  unread       -rooms rooms (1,000), one user in -rooms-per-user (500) with read pointers at random
               seqs, -messages (1,000,000) filled over REST: GET /rooms and POST /rooms/{id}/read latency
  search       -messages (1,000,000) of a generated multilingual corpus in -rooms (1,000), filled over
               REST; every query class checked, then GET /search p50/p95/p99 per class, in all the
               searcher's rooms and in one; -compare-url (a chatd with SEARCH_INDEX=off): the same
               fill there in alternating chunks and the persist ladder on both, the index's cost on sends
  baseline     the fanout ladder against a minimal broadcast server inside chatbench: the box's ceiling
  standard     baseline, fanout, persist, rest, idle in one run (make bench)

Flags:
`

var scenarios = []string{"fanout", "persist", "idle", "rest", "baseline", "standard", "smoke", "streams", "idle-stream", "unread", "search"}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("chatbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	urls := fs.String("url", "http://localhost:8000", "chatd base URL, or a comma list of instances (sockets round-robin, REST to the first)")
	fs.StringVar(&c.Scenario, "scenario", "smoke", strings.Join(scenarios, "|"))
	fs.IntVar(&c.Rooms, "rooms", 0, "rooms (0: the scenario's default)")
	fs.IntVar(&c.Members, "members", 0, "sockets per room (0: the scenario's default)")
	fs.IntVar(&c.Users, "users", 200, "distinct users behind the sockets (each logs in once); idle-stream: in each of its two sets; unread: senders besides the measured user (default there 8); search: senders of the corpus (default there 8)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of the idle hold and of each rest loop; for a ladder (fanout, persist, baseline) given without -step, the whole run's time budget")
	fs.DurationVar(&c.Warmup, "warmup", 5*time.Second, "warm-up before the measured steps")
	fs.DurationVar(&c.Step, "step", 20*time.Second, "length of each load step")
	fs.Float64Var(&c.StartRate, "start-rate", 0, "first step's offered rate: deliveries/s (fanout, baseline) or messages/s (persist); 0: the scenario's default")
	fs.Float64Var(&c.RateFactor, "rate-factor", 1.5, "rate multiplier between steps")
	fs.Float64Var(&c.PersistStartRate, "persist-start-rate", 0, "standard only: the persist ladder's first rate, messages/s (0: 1000; -start-rate is the fan-out ladders' there)")
	fs.IntVar(&c.MaxSteps, "max-steps", 20, "most steps of the ladder")
	fixed := fs.String("fixed-rates", "10000,30000", "fixed loads to report p99 at, deliveries/s (empty: none)")
	fs.IntVar(&c.Messages, "messages", 50, "messages sent by the smoke run; unread, search: messages filled (default there 1,000,000)")
	fs.BoolVar(&c.Stream, "stream", false, "fanout, smoke: each member is a user stream (GET /ws) of a distinct user instead of a room socket")
	fs.IntVar(&c.RoomsPerUser, "rooms-per-user", 0, "idle-stream: rooms of each stream's user (0: 50); unread: rooms of the measured user (0: 500); with user streams in fanout, smoke, streams: the bench room plus this many − 1 quiet rooms (0: 1)")
	fs.IntVar(&c.Sockets, "sockets", 0, "idle-stream: user streams in each of its two sets (0: 5,000)")
	fs.IntVar(&c.Requests, "requests", 0, "unread: GET /rooms requests, and as many POST /rooms/{id}/read (0: 2,000); search: searches per query class and scope (0: 500)")
	fs.IntVar(&c.Concurrency, "concurrency", 16, "closed-loop workers of the rest scenario; unread, search: of its measured requests (default there 4)")
	compare := fs.String("compare-url", "", "search: a second chatd (or comma list of its instances) started with SEARCH_INDEX=off on a database of its own; filled alongside -url and measured with the persist ladder, for the index's cost on sends in the same run")
	fs.Uint64Var(&c.Seed, "seed", 1, "search: the corpus's seed")
	fs.IntVar(&c.PersistRooms, "persist-rooms", 0, "search with -compare-url: rooms of the persist ladders, -members members each (0: 500 × 4)")
	fs.IntVar(&c.PersistRounds, "persist-rounds", 0, "search with -compare-url: rounds of the two persist ladders, the order swapped each round (0: 1, with the index first)")
	fs.StringVar(&c.JSON, "json", "", "also write the report as JSON to this file")
	ips := fs.String("source-ips", "", "comma list of local addresses to dial from, e.g. 127.0.0.1,127.0.0.2 (beyond ~28k sockets)")
	fs.StringVar(&c.PprofURL, "pprof-url", "", "chatd's pprof listener (PPROF_ADDR), e.g. http://127.0.0.1:6060")
	fs.IntVar(&c.CPUProfileStep, "cpuprofile-step", -1, "phase index (as printed) during which to take a CPU profile of chatd; needs -pprof-url")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "chatd's process id for RSS (default: the process listening on -url's port)")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress lines")
	fs.StringVar(&c.SelfProfile, "self-cpuprofile", "", "write chatbench's own CPU profile to this file (the load generator's share of the cores)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	c.URLs = splitList(*urls)
	c.SourceIPs = splitList(*ips)
	c.CompareURLs = splitList(*compare)
	for _, s := range splitList(*fixed) {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r <= 0 {
			return c, fmt.Errorf("-fixed-rates: %q is not a positive number", s)
		}
		c.FixedRates = append(c.FixedRates, r)
	}
	switch {
	case !contains(scenarios, c.Scenario):
		return c, fmt.Errorf("-scenario %q: want one of %s", c.Scenario, strings.Join(scenarios, ", "))
	case len(c.URLs) == 0:
		return c, errors.New("-url is empty")
	case c.RateFactor <= 1:
		return c, errors.New("-rate-factor must be above 1")
	case c.Step <= 0 || c.Warmup < 0 || c.Duration <= 0:
		return c, errors.New("-step and -duration must be positive, -warmup not negative")
	case c.Rooms < 0 || c.Members < 0 || c.PersistStartRate < 0 || c.Users <= 0 || c.Concurrency <= 0 || c.Messages <= 0 || c.MaxSteps <= 0:
		return c, errors.New("-rooms, -members must not be negative; -users, -concurrency, -messages, -max-steps must be positive")
	case c.CPUProfileStep >= 0 && c.PprofURL == "":
		return c, errors.New("-cpuprofile-step needs -pprof-url")
	case c.RoomsPerUser < 0 || c.Sockets < 0 || c.Requests < 0 || c.PersistRooms < 0 || c.PersistRounds < 0:
		return c, errors.New("-rooms-per-user, -sockets, -requests, -persist-rooms, -persist-rounds must not be negative")
	case len(c.CompareURLs) > 0 && c.Scenario != "search":
		return c, fmt.Errorf("-compare-url applies to search, not to %s", c.Scenario)
	case slices.ContainsFunc(c.CompareURLs, func(u string) bool { return contains(c.URLs, u) }):
		return c, errors.New("-compare-url must name other servers than -url (a chatd with SEARCH_INDEX=off on its own database)")
	case c.Stream && c.Scenario != "fanout" && c.Scenario != "smoke":
		return c, fmt.Errorf("-stream applies to fanout and smoke (streams runs both kinds), not to %s", c.Scenario)
	case c.Scenario == "unread" && c.RoomsPerUser > or(c.Rooms, 1000):
		return c, fmt.Errorf("-rooms-per-user %d: the measured user cannot belong to more than the %d rooms", c.RoomsPerUser, or(c.Rooms, 1000))
	}
	return c, nil
}

// or returns v, or def when v is zero (the flag was left to the scenario).
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// run parses args, runs the chosen scenario, prints the report to stdout and
// writes it as JSON when asked. It returns an error when the run could not be
// made, or when the smoke run's exactness check fails.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseConfig(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := newBench(cfg, stdout)
	if err != nil {
		return err
	}
	if cfg.SelfProfile != "" {
		f, err := os.Create(cfg.SelfProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep := b.newReport()
	runErr := b.runScenario(ctx, rep)
	rep.Finished = time.Now().UTC()
	rep.Machine.LoadEnd = loadAvg()
	printReport(stdout, rep)
	if cfg.JSON != "" {
		if err := writeJSON(cfg.JSON, rep); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}
