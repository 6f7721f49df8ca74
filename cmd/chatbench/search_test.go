package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSearchPage(t *testing.T) {
	body := `{"hits":[{"message":{"id":9,"room_id":3,"seq":4,"user_id":1,"username":"a","content":"Deploy done","created_at":"2026-01-01T00:00:00Z"},` +
		`"snippet":[{"text":"Deploy","match":true},{"text":" done","match":false}]}],"next_before":9}`
	p, err := parseSearchPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var want searchPage
	want.NextBefore = 9
	want.Hits = make([]searchHit, 1)
	want.Hits[0].Message.ID, want.Hits[0].Message.RoomID, want.Hits[0].Message.Content = 9, 3, "Deploy done"
	want.Hits[0].Snippet = []fragment{{"Deploy", true}, {" done", false}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("parse (-want +got):\n%s", diff)
	}
	if p, err := parseSearchPage([]byte(`{"hits":[]}`)); err != nil || len(p.Hits) != 0 || p.NextBefore != 0 {
		t.Errorf("empty page = %+v, %v", p, err)
	}
	for _, bad := range []string{`{}`, `{"hits":null}`, `[]`, `{"hits":[`, `{"type":"about:blank","status":503}`} {
		if _, err := parseSearchPage([]byte(bad)); err == nil {
			t.Errorf("parseSearchPage(%s) succeeded, want an error", bad)
		}
	}
}

func TestCountHits(t *testing.T) {
	tests := []struct {
		body string
		want int
	}{
		{`{"hits":[]}`, 0},
		{` {"hits":[{"message":{"content":"a \"snippet\": b"},"snippet":[]},{"snippet":[],"message":{}}],"next_before":5}` + "\n", 2},
	}
	for _, tt := range tests {
		if got, err := countHits([]byte(tt.body)); err != nil || got != tt.want {
			t.Errorf("countHits(%s) = %d, %v; want %d", tt.body, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"title":"Service Unavailable"}`} {
		if _, err := countHits([]byte(bad)); err == nil {
			t.Errorf("countHits(%s) succeeded, want an error", bad)
		}
	}
}

func TestSearchPath(t *testing.T) {
	got, err := url.Parse(searchPath(`"rolling restart" сообщение 🚀&x`, 12, 99, 50))
	if err != nil {
		t.Fatal(err)
	}
	q := got.Query()
	if got.Path != "/search" || q.Get("q") != `"rolling restart" сообщение 🚀&x` || q.Get("room_id") != "12" || q.Get("before") != "99" || q.Get("limit") != "50" {
		t.Errorf("searchPath = %s", got)
	}
	if p := searchPath("deploy", 0, 0, 0); p != "/search?q=deploy" {
		t.Errorf("searchPath without scope or page = %s", p)
	}
}

// hit builds a search hit whose snippet is the whole text, marked.
func hit(id, room int64, content string) searchHit {
	var h searchHit
	h.Message.ID, h.Message.RoomID, h.Message.Content = id, room, content
	h.Snippet = []fragment{{content, true}}
	return h
}

func TestCheckPage(t *testing.T) {
	common := searchClasses[0] // deploy
	inRooms := func(r int64) bool { return r == 1 || r == 2 }
	good := searchPage{Hits: []searchHit{hit(30, 1, "Deploy now"), hit(20, 2, "redeployed")}, NextBefore: 20}
	if err := checkPage(good, common, 0, 2, inRooms); err != nil {
		t.Fatalf("a good full page: %v", err)
	}
	if err := checkPage(searchPage{Hits: good.Hits[:1]}, common, 31, 2, inRooms); err != nil {
		t.Fatalf("a good last page: %v", err)
	}
	cut := hit(40, 1, "a long text … deploy")
	cut.Snippet = append([]fragment{{"…", false}}, cut.Snippet...)
	if err := checkPage(searchPage{Hits: []searchHit{cut}}, common, 0, 2, inRooms); err != nil {
		t.Fatalf("a snippet cut with an ellipsis: %v", err)
	}
	unmarked := hit(10, 1, "deploy")
	unmarked.Snippet[0].Match = false
	foreign := hit(10, 1, "deploy")
	foreign.Snippet[0].Text = "something else"
	for name, p := range map[string]searchPage{
		"oldest first":              {Hits: []searchHit{hit(20, 1, "deploy"), hit(30, 1, "deploy")}},
		"at the cursor":             {Hits: []searchHit{hit(50, 1, "deploy")}},
		"another room":              {Hits: []searchHit{hit(10, 3, "deploy")}},
		"no match":                  {Hits: []searchHit{hit(10, 1, "nothing here")}},
		"snippet marks nothing":     {Hits: []searchHit{unmarked}},
		"snippet not from the text": {Hits: []searchHit{foreign}},
		"full without next_before":  {Hits: []searchHit{hit(20, 1, "deploy"), hit(10, 1, "deploy")}},
		"next_before not the last":  {Hits: []searchHit{hit(20, 1, "deploy"), hit(10, 1, "deploy")}, NextBefore: 20},
		"short with next_before":    {Hits: []searchHit{hit(20, 1, "deploy")}, NextBefore: 20},
		"more than the limit":       {Hits: []searchHit{hit(30, 1, "deploy"), hit(20, 1, "deploy"), hit(10, 1, "deploy")}, NextBefore: 10},
	} {
		if err := checkPage(p, common, 50, 2, inRooms); err == nil {
			t.Errorf("%s: checkPage succeeded, want an error", name)
		}
	}
}

// fakeSearch serves GET /search over corpus c as stored with id k+1 in
// room id Room+1, the way chatd answers it; drop leaves the nth hit of
// every answer out (0: none), to see the checks fail.
func fakeSearch(t *testing.T, c corpus, drop int) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	byQuery := map[string]searchClass{}
	for _, cl := range searchClasses {
		byQuery[cl.Query] = cl
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		q := r.URL.Query()
		cl, ok := byQuery[q.Get("q")]
		if r.URL.Path != "/search" || !ok || r.Header.Get("Authorization") != "Bearer searcher" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		room, _ := strconv.ParseInt(q.Get("room_id"), 10, 64)
		before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit == 0 {
			limit = 20
		}
		if before == 0 {
			before = int64(c.messages) + 1
		}
		out := struct {
			Hits       []searchHit `json:"hits"`
			NextBefore int64       `json:"next_before,omitempty"`
		}{Hits: []searchHit{}}
		seen := 0
		for id := before - 1; id >= 1 && len(out.Hits) < limit; id-- {
			m := c.message(int(id - 1))
			if (room != 0 && int64(m.Room+1) != room) || !matches(m.Content, cl.Forms) {
				continue
			}
			if seen++; seen == drop {
				continue
			}
			out.Hits = append(out.Hits, hit(id, int64(m.Room+1), m.Content))
		}
		if len(out.Hits) == limit {
			out.NextBefore = out.Hits[limit-1].Message.ID
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// fakeWorld is the searchWorld of corpus c stored as fakeSearch serves it.
func fakeWorld(url string, c corpus) *searchWorld {
	w := &searchWorld{target: url, api: newAPI(url), searcher: "searcher", planted: make([]int64, len(searchClasses))}
	for r := range c.rooms {
		w.rooms = append(w.rooms, int64(r+1))
	}
	for k := range c.messages {
		if j := c.planted(k); j >= 0 {
			w.planted[j] = int64(k + 1)
		}
	}
	return w
}

func TestCheckSearchAgainstAFaithfulServer(t *testing.T) {
	c := corpus{seed: 1, messages: 3000, rooms: 5, senders: 2}
	srv, calls := fakeSearch(t, c, 0)
	w := fakeWorld(srv.URL, c)
	exp := c.expect(searchClasses)
	if err := w.checkSearch(context.Background(), exp); err != nil {
		t.Fatalf("checkSearch: %v", err)
	}
	if calls.Load() < int64(2*len(searchClasses)) {
		t.Errorf("only %d searches made", calls.Load())
	}
	// The timed loop counts the hits of the first page.
	s := w.scopes()[1]
	tm := w.timeSearch(context.Background(), searchClasses[0], s, min(s.want(exp[0]), searchDefaultPage), 2, 10)
	if tm.ok != 10 || tm.failed != 0 || tm.short != 0 {
		t.Errorf("timed loop: %d ok, %d failed (%v), %d with another count", tm.ok, tm.failed, tm.firstErr, tm.short)
	}
}

func TestCheckSearchCatchesAMissingHit(t *testing.T) {
	c := corpus{seed: 1, messages: 3000, rooms: 5, senders: 2}
	srv, _ := fakeSearch(t, c, 2) // every answer leaves out its second hit
	err := fakeWorld(srv.URL, c).checkSearch(context.Background(), c.expect(searchClasses))
	if err == nil || !strings.Contains(err.Error(), "the corpus has") {
		t.Fatalf("checkSearch of a server that loses hits = %v, want a count mismatch", err)
	}
}

func TestCheckSearchOffWantsSearchOff(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
		ok     bool
	}{
		{503, `{"status":503,"code":"search_off"}`, true},
		{503, `{"status":503,"code":"unavailable"}`, false},
		{200, `{"hits":[]}`, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			w.Write([]byte(tt.body))
		}))
		w := &searchWorld{target: srv.URL, api: newAPI(srv.URL), searcher: "x"}
		err := w.checkSearchOff(context.Background())
		srv.Close()
		if (err == nil) != tt.ok {
			t.Errorf("%d %s: checkSearchOff = %v, want ok %v", tt.status, tt.body, err, tt.ok)
		}
	}
}

func TestFillerRetriesAndHandsBackIDs(t *testing.T) {
	var mu sync.Mutex
	attempts := map[int]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ClientID string `json:"client_id"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		k, _ := strconv.Atoi(body.ClientID[strings.LastIndexByte(body.ClientID, ':')+1:])
		mu.Lock()
		attempts[k]++
		first := attempts[k] == 1
		mu.Unlock()
		if k%7 == 0 && first { // a passing failure: the same client_id comes again
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(storedMessage{ID: int64(1000 + k), Seq: int64(k)})
	}))
	defer srv.Close()
	got := map[int]int64{}
	f := filler{
		api: newAPI(srv.URL),
		send: func(k int) fillSend {
			return fillSend{token: "t", room: 1, content: "m" + strconv.Itoa(k), clientID: "x:" + strconv.Itoa(k), decode: k%10 == 0}
		},
		stored: func(k int, m storedMessage) {
			mu.Lock()
			got[k] = m.ID
			mu.Unlock()
		},
		log: &bytes.Buffer{},
	}
	if _, err := f.run(context.Background(), 5, 105); err != nil {
		t.Fatal(err)
	}
	want := map[int]int64{}
	for k := 10; k <= 100; k += 10 {
		want[k] = int64(1000 + k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ids handed back (-want +got):\n%s", diff)
	}
	for k := 5; k < 105; k++ {
		if want := 1 + btoi(k%7 == 0); attempts[k] != want {
			t.Errorf("message %d sent %d times, want %d", k, attempts[k], want)
		}
	}
	if len(attempts) != 100 {
		t.Errorf("%d messages sent, want 100 (5 to 104)", len(attempts))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestReportPrintsTablesOnceAndKeepsTheirMetrics(t *testing.T) {
	r := scenarioResult{Name: "search", Target: "x"}
	r.Tables = []table{{Title: "searches", Header: []string{"class", "p99 ms"}, Rows: [][]string{{"rare", "1.50"}}}}
	r.addTabulated("search_rare_all_p99_ms", 1.5, "ms")
	r.add("fill_messages_per_s", 3000, "messages/s")
	var out bytes.Buffer
	printReport(&out, &report{Scenario: "search", Results: []scenarioResult{r}})
	for _, want := range []string{"searches", "rare", "1.50", "fill_messages_per_s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "search_rare_all_p99_ms") {
		t.Errorf("a tabulated metric is printed again:\n%s", out.String())
	}
	b, err := json.Marshal(r)
	if err != nil || !bytes.Contains(b, []byte(`"search_rare_all_p99_ms"`)) || !bytes.Contains(b, []byte(`"rows":[["rare","1.50"]]`)) {
		t.Errorf("JSON %s, %v: want the table and every metric", b, err)
	}
}
