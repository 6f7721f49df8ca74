package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// api is a small client of chatd's REST API: just what setup and the rest
// scenario need.
type api struct {
	base string // http://host:port of the first instance
	hc   *http.Client
}

func newAPI(base string) *api {
	return &api{
		base: strings.TrimRight(base, "/"),
		hc: &http.Client{
			Timeout:   60 * time.Second,
			Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute},
		},
	}
}

// call sends a JSON request and decodes a JSON answer into out (if not nil).
// Any status other than want is an error carrying the problem's detail.
func (a *api) call(ctx context.Context, method, path, token string, body, out any, want ...int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	ok := false
	for _, w := range want {
		ok = ok || resp.StatusCode == w
	}
	if !ok {
		detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(detail))
	}
	switch out := out.(type) {
	case nil:
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	case *bytes.Buffer: // the raw body
		_, err = out.ReadFrom(resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

const benchPassword = "chatbench-password"

func (a *api) register(ctx context.Context, name string) error {
	return a.call(ctx, http.MethodPost, "/auth/register", "", map[string]string{"username": name, "password": benchPassword}, nil, http.StatusCreated)
}

func (a *api) login(ctx context.Context, name string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err := a.call(ctx, http.MethodPost, "/auth/login", "", map[string]string{"username": name, "password": benchPassword}, &out, http.StatusOK)
	if err == nil && out.AccessToken == "" {
		err = fmt.Errorf("login %s: no access_token in the answer", name)
	}
	return out.AccessToken, err
}

func (a *api) createRoom(ctx context.Context, token, name string) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	err := a.call(ctx, http.MethodPost, "/rooms", token, map[string]any{"name": name, "is_private": false}, &out, http.StatusCreated, http.StatusOK)
	return out.ID, err
}

func (a *api) join(ctx context.Context, token string, room int64) error {
	return a.call(ctx, http.MethodPost, "/rooms/"+strconv.FormatInt(room, 10)+"/join", token, nil, nil,
		http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusConflict)
}

// createRooms creates n public rooms owned by token's user and returns
// their ids.
func (a *api) createRooms(ctx context.Context, token string, n int, run string) ([]int64, error) {
	ids := make([]int64, n)
	err := forEach(ctx, n, 16, func(ctx context.Context, r int) error {
		id, err := a.createRoom(ctx, token, fmt.Sprintf("cb-%s-%s", run, runID()))
		ids[r] = id
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create %d rooms: %w", n, err)
	}
	return ids, nil
}

// joinSpread makes user u (of tokens) join the k rooms spreadRoom picks
// for it among rooms. A join of a room the user already belongs to (its
// creator's) is not an error.
func (a *api) joinSpread(ctx context.Context, tokens []string, rooms []int64, k int, log io.Writer) error {
	n := len(tokens) * k
	start := time.Now()
	var done atomic.Int64
	err := forEach(ctx, n, 32, func(ctx context.Context, j int) error {
		u, i := j/k, j%k
		if err := a.join(ctx, tokens[u], rooms[spreadRoom(u, i, k, len(rooms))]); err != nil {
			return err
		}
		if d := done.Add(1); d%10_000 == 0 {
			fmt.Fprintf(log, "  %d/%d joins\n", d, n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("join %d users to %d rooms each: %w", len(tokens), k, err)
	}
	fmt.Fprintf(log, "  %d users joined %d of %d rooms each in %v\n", len(tokens), k, len(rooms), time.Since(start).Round(time.Millisecond))
	return nil
}

// spreadRoom is the index of the i-th of the k rooms (of n, k ≤ n) user u
// belongs to: user u takes the k rooms from u·k on, wrapping, so no user
// gets a room twice and every room gets about users·k/n members.
func spreadRoom(u, i, k, n int) int { return (u*k + i) % n }

// history fetches one page of a room's messages into buf and returns its
// length. It counts the messages instead of decoding them: on a box shared
// with the server, decoding every page took half of the load generator's
// CPU. Each message object starts with {"id": and that sequence cannot
// occur unescaped inside a JSON string, so the count is exact.
func (a *api) history(ctx context.Context, token string, room int64, limit int, buf *bytes.Buffer) (int, error) {
	buf.Reset()
	err := a.call(ctx, http.MethodGet, "/rooms/"+strconv.FormatInt(room, 10)+"/messages?limit="+strconv.Itoa(limit), token, nil, buf, http.StatusOK)
	if err != nil {
		return 0, err
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return 0, fmt.Errorf("history of room %d: not a JSON array: %.80q", room, b)
	}
	return bytes.Count(b, []byte(`{"id":`)), nil
}

// runID is a short random prefix that keeps one run's user and room names
// apart from every other run's.
func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// forEach runs fn(i) for i in [0, n) on at most workers goroutines and
// stops at the first error.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx, i) })
	}
	return g.Wait()
}

// chatdSetup describes the users, rooms and sockets a chatd run needs.
type chatdSetup struct {
	instances []string // base URLs; REST goes to the first
	rooms     int
	members   int // sockets per room
	users     int // distinct users; member j of room r is user (r·members+j) mod users
	// distinct gives every member of every room a user of its own (users
	// is then rooms·members), as user streams need: a user in two bench
	// rooms would get both rooms' messages on each of its streams.
	distinct bool
	// quiet, when above zero, also makes every member's user join that
	// many rooms where nothing is sent (a user stream registers in each);
	// a user who joins no bench room creates them.
	quiet   int
	clients []*http.Client
	pool    *userPool // users already registered by this run, reused across scenarios
	log     io.Writer
}

// userPool holds the users one chatbench run registered, each logged in
// once: argon2id makes a registration or login tens of milliseconds of
// server CPU, so tokens are reused across rooms and scenarios.
type userPool struct {
	run    string // random prefix of this run's names
	names  []string
	tokens []string
}

func newUserPool() *userPool { return &userPool{run: runID()} }

// grow registers and logs in users until the pool holds n.
func (p *userPool) grow(ctx context.Context, a *api, n int, log io.Writer) error {
	have := len(p.names)
	if n <= have {
		return nil
	}
	names, tokens := make([]string, n-have), make([]string, n-have)
	start := time.Now()
	var done atomic.Int64
	// argon2id is CPU- and memory-bound on the server: more than two
	// requests per core in flight adds no throughput, only memory (19 MiB
	// each with chatd's parameters) that would then blur the idle figures.
	workers := max(4, 2*runtime.NumCPU())
	err := forEach(ctx, n-have, workers, func(ctx context.Context, i int) error {
		name := fmt.Sprintf("cb%su%d", p.run, have+i)
		if err := a.register(ctx, name); err != nil {
			return err
		}
		tok, err := a.login(ctx, name)
		if err != nil {
			return err
		}
		names[i], tokens[i] = name, tok
		if d := done.Add(1); d%200 == 0 {
			fmt.Fprintf(log, "  %d/%d users registered and logged in\n", d, n-have)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("register users: %w", err)
	}
	p.names, p.tokens = append(p.names, names...), append(p.tokens, tokens...)
	fmt.Fprintf(log, "  %d users registered and logged in in %v\n", n-have, time.Since(start).Round(time.Millisecond))
	return nil
}

// world is what setup created: users with their tokens and rooms with their ids.
type world struct {
	setup   chatdSetup
	api     *api
	names   []string
	tokens  []string
	roomIDs []int64
	fleet   *fleet
}

// userOf is the user behind member j of room r.
func (s chatdSetup) userOf(r, j int) int { return (r*s.members + j) % s.users }

// setupChatd makes sure enough users exist, creates the rooms and joins the
// members, all through the API, and lays out the sockets: socket k dials
// instance k mod len(instances).
func setupChatd(ctx context.Context, s chatdSetup) (*world, error) {
	s.users = min(max(s.users, s.members), s.rooms*s.members) // members of one room are distinct users
	if s.distinct {
		s.users = s.rooms * s.members
	}
	if s.pool == nil {
		s.pool = newUserPool()
	}
	if s.log == nil {
		s.log = io.Discard
	}
	a := newAPI(s.instances[0])
	owners := s.users
	if s.quiet > 0 {
		owners++ // the quiet rooms' creator, in no bench room
	}
	if err := s.pool.grow(ctx, a, owners, s.log); err != nil {
		return nil, err
	}
	w := &world{setup: s, api: a, names: s.pool.names, tokens: s.pool.tokens, roomIDs: make([]int64, s.rooms)}
	const workers = 16
	err := forEach(ctx, s.rooms, workers, func(ctx context.Context, r int) error {
		id, err := a.createRoom(ctx, w.tokens[s.userOf(r, 0)], fmt.Sprintf("cb-%s-%s", s.pool.run, runID()))
		w.roomIDs[r] = id
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create rooms: %w", err)
	}
	if s.quiet > 0 {
		quiet, err := a.createRooms(ctx, w.tokens[s.users], max(s.rooms, s.quiet), s.pool.run)
		if err != nil {
			return nil, err
		}
		if err := a.joinSpread(ctx, w.tokens[:s.users], quiet, s.quiet, s.log); err != nil {
			return nil, err
		}
	}
	err = forEach(ctx, s.rooms*s.members, workers*2, func(ctx context.Context, k int) error {
		r, j := k/s.members, k%s.members
		if j == 0 {
			return nil // the creator is already a member
		}
		return a.join(ctx, w.tokens[s.userOf(r, j)], w.roomIDs[r])
	})
	if err != nil {
		return nil, fmt.Errorf("join rooms: %w", err)
	}
	w.fleet = w.roomFleet()
	return w, nil
}

// roomFleet lays out one room socket (/ws/rooms/{id}) per member: socket k
// dials instance k mod len(instances).
func (w *world) roomFleet() *fleet {
	s := w.setup
	f := &fleet{rooms: make([][]*sock, s.rooms)}
	id := 0
	for r := range s.rooms {
		for j := range s.members {
			u := roomSocketURL(s.instances[id%len(s.instances)], w.roomIDs[r], w.tokens[s.userOf(r, j)])
			f.rooms[r] = append(f.rooms[r], &sock{id: id, room: r, url: u, client: s.clients[id%len(s.clients)]})
			id++
		}
	}
	return f
}

// streamFleet lays out one user stream (/ws) per member instead, on the
// same instances. A stream carries every room of its user, so the
// deliveries are those of the room sockets only when each member is a
// distinct user: setupChatd with distinct set.
func (w *world) streamFleet() *fleet {
	s := w.setup
	f := &fleet{rooms: make([][]*sock, s.rooms)}
	id := 0
	for r := range s.rooms {
		for j := range s.members {
			u := streamURL(s.instances[id%len(s.instances)], w.tokens[s.userOf(r, j)])
			f.rooms[r] = append(f.rooms[r], &sock{id: id, room: r, url: u, client: s.clients[id%len(s.clients)], stream: true, roomID: w.roomIDs[r]})
			id++
		}
	}
	return f
}

// roomSocketURL is the room socket of room on the instance at base.
func roomSocketURL(base string, room int64, token string) string {
	return wsBase(base) + "/ws/rooms/" + strconv.FormatInt(room, 10) + "?token=" + url.QueryEscape(token)
}

// streamURL is the user stream of token's user on the instance at base.
func streamURL(base, token string) string {
	return wsBase(base) + "/ws?token=" + url.QueryEscape(token)
}

// wsBase turns http(s)://host into ws(s)://host.
func wsBase(base string) string {
	base = strings.TrimRight(base, "/")
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(base, "http://"); ok {
		return "ws://" + rest
	}
	return base
}

// baselineFleet is the fleet for the in-process baseline server: no users,
// rooms are just numbers.
func baselineFleet(base string, rooms, members int, clients []*http.Client) *fleet {
	f := &fleet{rooms: make([][]*sock, rooms)}
	id := 0
	for r := range rooms {
		for range members {
			u := fmt.Sprintf("%s/ws/rooms/%d", base, r+1)
			f.rooms[r] = append(f.rooms[r], &sock{id: id, room: r, url: u, client: clients[id%len(clients)]})
			id++
		}
	}
	return f
}
