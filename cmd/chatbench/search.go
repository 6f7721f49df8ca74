package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The search scenario: GET /search over a generated multilingual history
// (corpus.go). Setup fills the history through the API; then every search
// class is checked — its planted needle found, its hits counted exactly
// against the corpus where there are few enough to page through, every
// hit matching and in order — before anything is timed. With -compare-url
// (a chatd with SEARCH_INDEX=off on a database of its own) the same
// history is filled there too, in alternating chunks, and the persist
// ladder runs against both: the index's cost on sends, same run.

// searchHit is what chatbench reads of a GET /search hit.
type searchHit struct {
	Message struct {
		ID      int64  `json:"id"`
		RoomID  int64  `json:"room_id"`
		Content string `json:"content"`
	} `json:"message"`
	Snippet []fragment `json:"snippet"`
}

// fragment is a piece of a hit's snippet; Match marks what the search
// matched.
type fragment struct {
	Text  string `json:"text"`
	Match bool   `json:"match"`
}

// searchPage is a GET /search answer.
type searchPage struct {
	Hits       []searchHit
	NextBefore int64
}

// parseSearchPage decodes a GET /search body; a body without a hits array
// is an error.
func parseSearchPage(b []byte) (searchPage, error) {
	var raw struct {
		Hits       *[]searchHit `json:"hits"`
		NextBefore int64        `json:"next_before"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return searchPage{}, fmt.Errorf("search answer: %w", err)
	}
	if raw.Hits == nil {
		return searchPage{}, fmt.Errorf("search answer without a hits array: %.120q", b)
	}
	return searchPage{Hits: *raw.Hits, NextBefore: raw.NextBefore}, nil
}

// countHits counts the hits of a GET /search body without decoding it (on
// a box shared with the server, decoding would cost the load generator
// what the server is measured on). Every hit carries one "snippet" key;
// inside a JSON string that text would have its quotes escaped, so the
// count is exact.
func countHits(b []byte) (int, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' || !bytes.Contains(b, []byte(`"hits":[`)) {
		return 0, fmt.Errorf("not a search answer: %.120q", b)
	}
	return bytes.Count(b, []byte(`"snippet":`)), nil
}

// search fetches one page of GET /search into buf. room 0 searches all the
// user's rooms, before 0 starts from the newest, limit 0 is the server's
// default.
func (a *api) search(ctx context.Context, token, query string, room, before int64, limit int, buf *bytes.Buffer) error {
	buf.Reset()
	return a.call(ctx, http.MethodGet, searchPath(query, room, before, limit), token, nil, buf, http.StatusOK)
}

func searchPath(query string, room, before int64, limit int) string {
	v := url.Values{"q": {query}}
	if room != 0 {
		v.Set("room_id", strconv.FormatInt(room, 10))
	}
	if before != 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	return "/search?" + v.Encode()
}

// checkPage checks one page of class cl's hits: at most limit of them,
// newest first and below before (when set), each in a room of the search
// (in(room)), matching the class, with a snippet cut from its text that
// marks a match; next_before is the last hit's id exactly when the page is
// full.
func checkPage(p searchPage, cl searchClass, before int64, limit int, in func(room int64) bool) error {
	if len(p.Hits) > limit {
		return fmt.Errorf("%d hits on a page of %d", len(p.Hits), limit)
	}
	last := before
	for _, h := range p.Hits {
		m := h.Message
		switch {
		case last != 0 && m.ID >= last:
			return fmt.Errorf("hit %d after %d: not newest first below the cursor", m.ID, last)
		case !in(m.RoomID):
			return fmt.Errorf("hit %d from room %d, outside the search", m.ID, m.RoomID)
		case !matches(m.Content, cl.Forms):
			return fmt.Errorf("hit %d does not match %s: %q", m.ID, cl.Query, m.Content)
		}
		last = m.ID
		marked := false
		for _, f := range h.Snippet {
			if f.Text != "…" && !strings.Contains(m.Content, f.Text) {
				return fmt.Errorf("hit %d: snippet fragment %q is not from its text %q", m.ID, f.Text, m.Content)
			}
			marked = marked || f.Match && containsForm(f.Text, cl.Forms)
		}
		if !marked {
			return fmt.Errorf("hit %d: no snippet fragment marks a match: %+v", m.ID, h.Snippet)
		}
	}
	switch full := len(p.Hits) == limit; {
	case full && p.NextBefore != last:
		return fmt.Errorf("a full page ending at %d has next_before %d", last, p.NextBefore)
	case !full && p.NextBefore != 0:
		return fmt.Errorf("a page of %d (limit %d) has next_before %d", len(p.Hits), limit, p.NextBefore)
	}
	return nil
}

// containsForm reports whether text, folded, contains a form of any term.
func containsForm(text string, forms [][]string) bool {
	folded := strings.ToLower(text)
	for _, term := range forms {
		for _, f := range term {
			if strings.Contains(folded, f) {
				return true
			}
		}
	}
	return false
}

// searchCheckPage is the page size of the checks (the server's maximum).
const searchCheckPage = 50

// searchWorld is one server's side of the scenario: the searcher, who
// created every room, and the senders, members of every room.
type searchWorld struct {
	target   string
	api      *api
	searcher string
	senders  []string
	rooms    []int64
	run      string
	planted  []int64 // id of each class's planted message, 0 when not sent
}

// searchSetup registers the searcher and the senders on the first of
// urls, creates the rooms and joins every sender to every room.
func (b *bench) searchSetup(ctx context.Context, urls []string, pool *userPool, c corpus) (*searchWorld, error) {
	a := newAPI(urls[0])
	start := time.Now()
	if err := pool.grow(ctx, a, 1+c.senders, b.log); err != nil {
		return nil, err
	}
	w := &searchWorld{target: strings.Join(urls, ","), api: a, searcher: pool.tokens[0], senders: pool.tokens[1 : 1+c.senders], run: pool.run,
		planted: make([]int64, len(searchClasses))}
	var err error
	if w.rooms, err = a.createRooms(ctx, w.searcher, c.rooms, pool.run); err != nil {
		return nil, err
	}
	if err := a.joinSpread(ctx, w.senders, w.rooms, c.rooms, b.log); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.log, "  setup on %s (%d senders and the searcher, %d rooms) took %v\n", w.target, c.senders, c.rooms, time.Since(start).Round(time.Millisecond))
	return w, nil
}

// filler sends corpus c into w; the ids of the planted messages are kept.
func (w *searchWorld) filler(c corpus, every int, log io.Writer) filler {
	var mu sync.Mutex
	return filler{
		api: w.api,
		send: func(k int) fillSend {
			m := c.message(k)
			return fillSend{token: w.senders[m.Sender], room: w.rooms[m.Room], content: m.Content,
				clientID: "s:" + w.run + ":" + strconv.Itoa(k), decode: m.Planted >= 0}
		},
		stored: func(k int, m storedMessage) {
			mu.Lock()
			w.planted[c.planted(k)] = m.ID
			mu.Unlock()
		},
		log:   log,
		every: every,
	}
}

// fillBoth sends the corpus into each world, in chunks of about a
// twentieth of it that alternate between the worlds (the first world goes
// first in even chunks, second in odd ones), so both histories grow alike
// and drift on the box hits both; it returns each world's time spent
// sending and each chunk's rate ratio (first to second world).
func (b *bench) fillBoth(ctx context.Context, worlds []*searchWorld, c corpus) ([]time.Duration, []float64, error) {
	took := make([]time.Duration, len(worlds))
	if len(worlds) == 1 {
		f := worlds[0].filler(c, max(c.messages/20, 1000), b.log)
		d, err := f.run(ctx, 0, c.messages)
		took[0] = d
		return took, nil, err
	}
	chunk := max(c.messages/20, 1000)
	var ratios []float64
	for i, from := 0, 0; from < c.messages; i, from = i+1, from+chunk {
		to := min(from+chunk, c.messages)
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		var leg [2]time.Duration
		for _, j := range order {
			d, err := worlds[j].filler(c, 0, b.log).run(ctx, from, to)
			if err != nil {
				return took, ratios, fmt.Errorf("%s: %w", worlds[j].target, err)
			}
			leg[j] = d
			took[j] += d
		}
		n := float64(to - from)
		ratios = append(ratios, leg[1].Seconds()/leg[0].Seconds())
		fmt.Fprintf(b.log, "  messages %d–%d: %.0f/s with the index, %.0f/s without (%.1f %%)\n", from, to-1,
			n/leg[0].Seconds(), n/leg[1].Seconds(), 100*ratios[len(ratios)-1])
	}
	return took, ratios, nil
}

// searchScope is where a search looks: all the searcher's rooms (room 0)
// or one room.
type searchScope struct {
	name string
	room int64
	want func(expected) int
}

func (w *searchWorld) scopes() []searchScope {
	return []searchScope{
		{"all", 0, func(e expected) int { return e.All }},
		{"room", w.rooms[0], func(e expected) int { return e.Room0 }},
	}
}

// in reports whether room is one the search of scope s may answer from.
func (w *searchWorld) in(s searchScope) func(int64) bool {
	if s.room != 0 {
		return func(r int64) bool { return r == s.room }
	}
	ids := map[int64]bool{}
	for _, r := range w.rooms {
		ids[r] = true
	}
	return func(r int64) bool { return ids[r] }
}

// searchExactMax: a class with at most this many hits in a scope is paged
// through and counted exactly; with more, its first searchSpotPages pages
// are checked.
const (
	searchExactMax  = 2000
	searchSpotPages = 3
)

// checkSearch checks every class's answers before anything is timed.
func (w *searchWorld) checkSearch(ctx context.Context, exp []expected) error {
	var buf bytes.Buffer
	for i, cl := range searchClasses {
		// The planted message is the newest hit below itself + 1.
		if id := w.planted[i]; id != 0 {
			if err := w.api.search(ctx, w.searcher, cl.Query, w.rooms[0], id+1, 1, &buf); err != nil {
				return err
			}
			p, err := parseSearchPage(buf.Bytes())
			if err == nil {
				err = checkPage(p, cl, id+1, 1, func(r int64) bool { return r == w.rooms[0] })
			}
			if err == nil && (len(p.Hits) != 1 || p.Hits[0].Message.ID != id) {
				err = fmt.Errorf("%d hits, want the planted message %d", len(p.Hits), id)
			}
			if err != nil {
				return fmt.Errorf("search %s (%s) for its planted message: %w", cl.Query, cl.Name, err)
			}
		}
		for _, s := range w.scopes() {
			want := s.want(exp[i])
			got, err := w.pageThrough(ctx, cl, s, want, &buf)
			if err != nil {
				return fmt.Errorf("search %s (%s) in %s rooms: %w", cl.Query, cl.Name, s.name, err)
			}
			if want <= searchExactMax && got != want {
				return fmt.Errorf("search %s (%s) in %s rooms found %d messages, the corpus has %d", cl.Query, cl.Name, s.name, got, want)
			}
		}
	}
	return nil
}

// pageThrough pages through a class's hits in scope s, checking each
// page, and returns how many it saw: all of them when want is at most
// searchExactMax, else searchSpotPages pages, which must be full.
func (w *searchWorld) pageThrough(ctx context.Context, cl searchClass, s searchScope, want int, buf *bytes.Buffer) (int, error) {
	in := w.in(s)
	var before int64
	seen := 0
	for page := 0; ; page++ {
		if want > searchExactMax && page == searchSpotPages {
			return seen, nil
		}
		if err := w.api.search(ctx, w.searcher, cl.Query, s.room, before, searchCheckPage, buf); err != nil {
			return seen, err
		}
		p, err := parseSearchPage(buf.Bytes())
		if err == nil {
			err = checkPage(p, cl, before, searchCheckPage, in)
		}
		if err == nil && want > searchExactMax && len(p.Hits) != searchCheckPage {
			err = fmt.Errorf("page %d holds %d hits; the corpus has %d", page+1, len(p.Hits), want)
		}
		if err != nil {
			return seen, fmt.Errorf("page %d: %w", page+1, err)
		}
		seen += len(p.Hits)
		if p.NextBefore == 0 {
			return seen, nil
		}
		if seen > want+searchCheckPage {
			return seen, fmt.Errorf("more than %d hits, the corpus has %d", seen, want)
		}
		before = p.NextBefore
	}
}

// checkSearchOff makes sure the comparison server really runs without the
// index: its GET /search answers 503 search_off.
func (w *searchWorld) checkSearchOff(ctx context.Context) error {
	var buf bytes.Buffer
	err := w.api.call(ctx, http.MethodGet, searchPath("deploy", 0, 0, 0), w.searcher, nil, &buf, http.StatusServiceUnavailable)
	if err == nil && !bytes.Contains(buf.Bytes(), []byte("search_off")) {
		err = fmt.Errorf("503 without search_off: %.200s", buf.Bytes())
	}
	if err != nil {
		return fmt.Errorf("-compare-url %s must run with SEARCH_INDEX=off (its GET /search must answer 503 search_off): %w", w.target, err)
	}
	return nil
}

// searchTiming is one timed loop: a class in a scope.
type searchTiming struct {
	class          searchClass
	scope          string
	want           int // hits on the first page
	ok, failed     int64
	short          int64
	p50, p95, p99  float64 // ms
	max, perSecond float64
	firstErr       error
}

// timeSearch runs the closed loop of one class in one scope: requests
// searches on workers, each answer's hits counted (not decoded) against
// the first page the corpus gives.
func (w *searchWorld) timeSearch(ctx context.Context, cl searchClass, s searchScope, want, workers, requests int) searchTiming {
	bufs := make([]bytes.Buffer, workers)
	var short atomic.Int64
	ok, failed, firstErr, h, took := countedLoop(ctx, workers, requests, func(ctx context.Context, wk int, _ *rand.Rand) error {
		if err := w.api.search(ctx, w.searcher, cl.Query, s.room, 0, 0, &bufs[wk]); err != nil {
			return err
		}
		n, err := countHits(bufs[wk].Bytes())
		if err != nil {
			return err
		}
		if n != want {
			short.Add(1)
		}
		return nil
	})
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return searchTiming{class: cl, scope: s.name, want: want, ok: ok, failed: failed, short: short.Load(), firstErr: firstErr,
		p50: ms(h.Quantile(0.5)), p95: ms(h.Quantile(0.95)), p99: ms(h.Quantile(0.99)), max: ms(h.Max()),
		perSecond: float64(ok) / took.Seconds()}
}

// searchDefaultPage is the server's default page (message.SearchDefault).
const searchDefaultPage = 20

func (b *bench) search(ctx context.Context) (scenarioResult, error) {
	c := corpus{seed: b.cfg.Seed, messages: 1_000_000, rooms: or(b.cfg.Rooms, 1_000), senders: 8}
	if b.cfg.set["messages"] {
		c.messages = b.cfg.Messages
	}
	if b.cfg.set["users"] {
		c.senders = b.cfg.Users
	}
	requests, workers := or(b.cfg.Requests, 500), 4
	if b.cfg.set["concurrency"] {
		workers = b.cfg.Concurrency
	}
	r := scenarioResult{Name: "search", Target: strings.Join(b.cfg.URLs, ","), Rooms: c.rooms}
	if err := b.checkHealth(ctx); err != nil {
		return r, err
	}

	start := time.Now()
	exp := c.expect(searchClasses)
	fmt.Fprintf(b.log, "  corpus of %d messages (seed %d) generated and counted in %v\n", c.messages, c.seed, time.Since(start).Round(time.Millisecond))

	on, err := b.searchSetup(ctx, b.cfg.URLs, b.users, c)
	if err != nil {
		return r, err
	}
	worlds := []*searchWorld{on}
	if len(b.cfg.CompareURLs) > 0 {
		twin := b.twin(b.cfg.CompareURLs)
		if err := twin.checkHealth(ctx); err != nil {
			return r, err
		}
		off, err := twin.searchSetup(ctx, twin.cfg.URLs, twin.users, c)
		if err != nil {
			return r, err
		}
		if err := off.checkSearchOff(ctx); err != nil {
			return r, err
		}
		worlds = append(worlds, off)
	}
	fmt.Fprintf(b.log, "  filling %d messages over %d rooms into %d server(s), %d requests in flight\n", c.messages, c.rooms, len(worlds), fillWorkers)
	took, ratios, err := b.fillBoth(ctx, worlds, c)
	if err != nil {
		return r, err
	}
	r.add("messages_filled", float64(c.messages), "messages")
	r.add("fill_messages_per_s", float64(c.messages)/took[0].Seconds(), "messages/s")
	if len(worlds) == 2 {
		r.add("fill_messages_per_s_index_off", float64(c.messages)/took[1].Seconds(), "messages/s")
		slices.Sort(ratios)
		r.Notes = append(r.Notes, fmt.Sprintf("fill: %d chunks alternating between the servers (-url with the index, -compare-url without); each chunk's rate with the index ran %.1f–%.1f %% (median %.1f %%) of the rate without",
			len(ratios), 100*ratios[0], 100*ratios[len(ratios)-1], 100*ratios[len(ratios)/2]))
	}
	fmt.Fprintf(b.log, "  filled in %v (%.0f/s with the index)\n", took[0].Round(time.Millisecond), float64(c.messages)/took[0].Seconds())

	// Right answers first.
	start = time.Now()
	if err := on.checkSearch(ctx, exp); err != nil {
		return r, err
	}
	fmt.Fprintf(b.log, "  every class's answers checked in %v; %d searches per class and scope with %d workers\n", time.Since(start).Round(time.Millisecond), requests, workers)

	tab := table{Title: "GET /search, first page (up to 20 hits), closed loop", Header: []string{"class", "query", "rooms", "hits", "first page", "p50 ms", "p95 ms", "p99 ms", "max ms", "searches/s"}}
	var worst float64
	var errs []error
	for i, cl := range searchClasses {
		for _, s := range on.scopes() {
			total := s.want(exp[i])
			t := on.timeSearch(ctx, cl, s, min(total, searchDefaultPage), workers, requests)
			key := "search_" + cl.Name + "_" + s.name
			r.addTabulated(key+"_hits", float64(total), "messages")
			r.addTabulated(key+"_p50_ms", t.p50, "ms")
			r.addTabulated(key+"_p95_ms", t.p95, "ms")
			r.addTabulated(key+"_p99_ms", t.p99, "ms")
			r.addTabulated(key+"_max_ms", t.max, "ms")
			r.addTabulated(key+"_per_s", t.perSecond, "searches/s")
			if t.failed > 0 {
				r.add(key+"_errors", float64(t.failed), "requests")
				errs = append(errs, fmt.Errorf("%d of %d searches %s (%s) failed, first: %w", t.failed, requests, cl.Query, s.name, t.firstErr))
			}
			if t.short > 0 {
				errs = append(errs, fmt.Errorf("%d searches %s (%s) answered another number of hits than %d", t.short, cl.Query, s.name, t.want))
			}
			if cl.Name != "and" { // the bar: one-word and phrase queries
				worst = max(worst, t.p99)
			}
			tab.Rows = append(tab.Rows, []string{cl.What, cl.Query, s.name, strconv.Itoa(total), strconv.Itoa(t.want),
				fmt.Sprintf("%.2f", t.p50), fmt.Sprintf("%.2f", t.p95), fmt.Sprintf("%.2f", t.p99), fmt.Sprintf("%.2f", t.max), fmt.Sprintf("%.0f", t.perSecond)})
		}
	}
	r.add("search_p99_ms_worst_one_word_or_phrase", worst, "ms")
	r.Tables = append(r.Tables, tab)
	r.Notes = append(r.Notes,
		fmt.Sprintf("corpus: %d messages (seed %d) in %d rooms, sent in turns by %d users who are members of every room; %s", c.messages, c.seed, c.rooms, c.senders, corpusMix),
		fmt.Sprintf("the searcher created every room and is a member of all %d: \"all\" searches every message of the run; \"room\" is one room (room_id=%d) of about %d messages", c.rooms, on.rooms[0], c.messages/c.rooms),
		fmt.Sprintf("before timing, every class's planted message was found and its hits checked (newest first, in the searched rooms, matching, snippets marking a match); counted exactly against the corpus where at most %d, else %d full pages", searchExactMax, searchSpotPages),
		fmt.Sprintf("closed loops of %d workers, %d searches per class and scope, the searcher's token (run chatd with RATE_SEARCH=off)", workers, requests))
	return r, errors.Join(errs...)
}

// twin is a bench like b against other instances, with users of its own.
func (b *bench) twin(urls []string) *bench {
	t := *b
	t.cfg.URLs = urls
	t.users = newUserPool()
	return &t
}
