package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The unread scenario: the room list of a user in hundreds of rooms, with
// an unread count in each, over a long history. Setup fills the history
// through the API (POST /rooms/{id}/messages); some of it is the measured
// user's own, which the unread counts must leave out, and its read
// pointers are moved to random seqs. The counts GET /rooms then returns are
// checked exactly against what chatbench sent before anything is timed.

// listedRoom is what unread reads of a GET /rooms entry.
type listedRoom struct {
	ID          int64 `json:"id"`
	IsMember    bool  `json:"is_member"`
	LastSeq     int64 `json:"last_seq"`
	LastReadSeq int64 `json:"last_read_seq"`
	UnreadCount int64 `json:"unread_count"`
}

// readState is the answer of POST /rooms/{id}/read.
type readState struct {
	RoomID      int64 `json:"room_id"`
	LastSeq     int64 `json:"last_seq"`
	LastReadSeq int64 `json:"last_read_seq"`
	UnreadCount int64 `json:"unread_count"`
}

// listRooms fetches GET /rooms into buf (the raw body).
func (a *api) listRooms(ctx context.Context, token string, buf *bytes.Buffer) error {
	buf.Reset()
	return a.call(ctx, http.MethodGet, "/rooms", token, nil, buf, http.StatusOK)
}

// markRead moves token's read pointer in room to seq.
func (a *api) markRead(ctx context.Context, token string, room, seq int64) (readState, error) {
	var out readState
	err := a.call(ctx, http.MethodPost, "/rooms/"+strconv.FormatInt(room, 10)+"/read", token, map[string]int64{"seq": seq}, &out, http.StatusOK)
	return out, err
}

// unreadPlan is who is where and who sends what in the unread scenario.
type unreadPlan struct {
	rooms   int // rooms, indexed 0 … rooms−1
	member  int // rooms the measured user belongs to
	senders int // other users, members of every room
	// ownEvery: in a room of the measured user, every ownEvery-th message
	// (by round) is its own.
	ownEvery int
}

// isMember reports whether the measured user belongs to room r: member
// rooms spread evenly over the rooms, so their ids interleave with the
// others' in the list (exactly member of them, for member ≤ rooms).
func (p unreadPlan) isMember(r int) bool { return r*p.member%p.rooms < p.member }

// message k goes to room k mod rooms; sender is -1 for the measured user,
// else the index of a sender.
func (p unreadPlan) message(k int) (room, sender int) {
	room, round := k%p.rooms, k/p.rooms
	if p.isMember(room) && round%p.ownEvery == 0 {
		return room, -1
	}
	return room, round % p.senders
}

// expectedUnread is the unread count of a room whose newest seq is last,
// with the pointer at ptr and the measured user's own messages at own.
func expectedUnread(last, ptr int64, own []int64) int64 {
	n := last - ptr
	for _, s := range own {
		if s > ptr {
			n--
		}
	}
	return n
}

func (b *bench) unread(ctx context.Context) (scenarioResult, error) {
	plan := unreadPlan{rooms: or(b.cfg.Rooms, 1_000), senders: 8, ownEvery: 10}
	plan.member = min(or(b.cfg.RoomsPerUser, 500), plan.rooms) // -rooms-per-user above -rooms is refused
	if b.cfg.set["users"] {
		plan.senders = b.cfg.Users
	}
	messages := 1_000_000
	if b.cfg.set["messages"] {
		messages = b.cfg.Messages
	}
	requests := or(b.cfg.Requests, 2_000)
	workers := 4
	if b.cfg.set["concurrency"] {
		workers = b.cfg.Concurrency
	}
	r := scenarioResult{Name: "unread", Target: b.cfg.URLs[0], Rooms: plan.rooms}
	if err := b.checkHealth(ctx); err != nil {
		return r, err
	}
	a := newAPI(b.cfg.URLs[0])

	// Users: the measured one, then the senders; sender 0 creates the
	// rooms, the others join them all, the measured user its share.
	start := time.Now()
	if err := b.users.grow(ctx, a, 1+plan.senders, b.log); err != nil {
		return r, err
	}
	me, senders := b.users.tokens[0], b.users.tokens[1:1+plan.senders]
	ids, err := a.createRooms(ctx, senders[0], plan.rooms, b.users.run)
	if err != nil {
		return r, err
	}
	if err := a.joinSpread(ctx, senders[1:], ids, plan.rooms, b.log); err != nil {
		return r, err
	}
	var mine []int // indexes of the measured user's rooms
	for i := range plan.rooms {
		if plan.isMember(i) {
			mine = append(mine, i)
		}
	}
	if err := forEach(ctx, len(mine), 32, func(ctx context.Context, j int) error {
		return a.join(ctx, me, ids[mine[j]])
	}); err != nil {
		return r, fmt.Errorf("join the measured user to %d rooms: %w", len(mine), err)
	}
	workers = min(workers, len(mine)) // the read loop gives each worker rooms of its own
	fmt.Fprintf(b.log, "  setup (%d users, %d rooms, the measured user in %d) took %v\n", 1+plan.senders, plan.rooms, len(mine), time.Since(start).Round(time.Millisecond))

	own, fillTime, err := fillHistory(ctx, a, plan, ids, me, senders, b.users.run, messages, b.log)
	if err != nil {
		return r, err
	}
	ownCount := 0
	for _, s := range own {
		ownCount += len(s)
	}
	r.add("messages_filled", float64(messages), "messages")
	r.add("own_messages", float64(ownCount), "messages")
	r.add("fill_messages_per_s", float64(messages)/fillTime.Seconds(), "messages/s")

	// Read pointers at random seqs, then the exactness check.
	var buf bytes.Buffer
	listed, err := decodeRooms(ctx, a, me, &buf)
	if err != nil {
		return r, err
	}
	pointers := make([]int64, plan.rooms)
	rnd := rand.New(rand.NewPCG(uint64(messages), uint64(plan.rooms)))
	seqs := make([]int64, plan.rooms)
	for _, i := range mine {
		l, ok := listed[ids[i]]
		if !ok || !l.IsMember {
			return r, fmt.Errorf("GET /rooms does not list room %d as the measured user's", ids[i])
		}
		seqs[i] = rnd.Int64N(l.LastSeq + 1)
	}
	if err := forEach(ctx, len(mine), 16, func(ctx context.Context, j int) error {
		i := mine[j]
		st, err := a.markRead(ctx, me, ids[i], seqs[i])
		if err == nil && st.LastReadSeq != seqs[i] {
			err = fmt.Errorf("POST /rooms/%d/read {seq: %d} answered last_read_seq %d", ids[i], seqs[i], st.LastReadSeq)
		}
		pointers[i] = st.LastReadSeq
		return err
	}); err != nil {
		return r, fmt.Errorf("move read pointers: %w", err)
	}
	if listed, err = decodeRooms(ctx, a, me, &buf); err != nil {
		return r, err
	}
	var unreadTotal int64
	var wrong []string
	for _, i := range mine {
		l := listed[ids[i]]
		want := expectedUnread(l.LastSeq, pointers[i], own[i])
		unreadTotal += l.UnreadCount
		if l.LastReadSeq != pointers[i] || l.UnreadCount != want {
			wrong = append(wrong, fmt.Sprintf("room %d: last_read_seq %d unread_count %d, want %d and %d", ids[i], l.LastReadSeq, l.UnreadCount, pointers[i], want))
		}
	}
	listBytes := buf.Len()
	r.add("rooms_listed", float64(len(listed)), "rooms")
	r.add("member_rooms", float64(len(mine)), "rooms")
	r.add("unread_total", float64(unreadTotal), "messages")
	r.add("unread_mismatches", float64(len(wrong)), "rooms")
	r.add("rooms_list_body", float64(listBytes)/1024, "KiB")
	if len(wrong) > 0 {
		return r, fmt.Errorf("GET /rooms: %d of %d unread counts or pointers wrong, first: %s", len(wrong), len(mine), wrong[0])
	}
	fmt.Fprintf(b.log, "  %d read pointers moved, unread counts exact (%d unread in all); %d GET /rooms with %d workers\n", len(mine), unreadTotal, requests, workers)

	// GET /rooms, closed loop; each answer's rooms are counted, not decoded.
	bufs := make([]bytes.Buffer, workers)
	var short atomic.Int64
	ok, failed, firstErr, h, took := countedLoop(ctx, workers, requests, func(ctx context.Context, w int, _ *rand.Rand) error {
		if err := a.listRooms(ctx, me, &bufs[w]); err != nil {
			return err
		}
		if bytes.Count(bufs[w].Bytes(), []byte(`{"id":`)) != len(listed) {
			short.Add(1)
		}
		return nil
	})
	addLatency(&r, "rooms_list", ok, failed, h, took)
	if firstErr != nil {
		r.Notes = append(r.Notes, "first GET /rooms error: "+firstErr.Error())
	}
	if short.Load() > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d GET /rooms answers listed another number of rooms than %d", short.Load(), len(listed)))
	}

	// POST /rooms/{id}/read, closed loop: worker w moves the pointers of
	// its own share of the rooms forward, so every request is a real move.
	fmt.Fprintf(b.log, "  %d POST /rooms/{id}/read with %d workers\n", requests, workers)
	var stuck, mismatched atomic.Int64
	next := make([]int, workers)
	ok, failed, firstErr, h, took = countedLoop(ctx, workers, requests, func(ctx context.Context, w int, rnd *rand.Rand) error {
		share := (len(mine) - w + workers - 1) / workers // rooms j ≡ w (mod workers)
		i := mine[w+workers*(next[w]%share)]
		next[w]++
		seq := advance(pointers[i], listed[ids[i]].LastSeq, rnd)
		if seq == pointers[i] {
			stuck.Add(1)
		}
		st, err := a.markRead(ctx, me, ids[i], seq)
		if err != nil {
			return err
		}
		if st.LastReadSeq != seq {
			mismatched.Add(1)
		}
		pointers[i] = st.LastReadSeq
		return nil
	})
	addLatency(&r, "read", ok, failed, h, took)
	if firstErr != nil {
		r.Notes = append(r.Notes, "first POST read error: "+firstErr.Error())
	}
	if n := stuck.Load(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d read moves were no-ops (the pointer was at the room's newest message)", n))
	}
	if n := mismatched.Load(); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d read moves answered another last_read_seq than asked", n))
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("history: %d messages over %d rooms, sent by %d users and by the measured user (one message in %d of each of its rooms); GET /rooms lists every public room on the server, here %d, of which %d carry the measured user's pointer and unread count", messages, plan.rooms, plan.senders, plan.ownEvery, len(listed), len(mine)),
		fmt.Sprintf("closed loops of %d workers, %d requests each; before them GET /rooms's unread counts were checked against what chatbench sent: exact", workers, requests))
	return r, nil
}

// advance is the next read pointer of a room at ptr whose newest seq is
// last: a step forward of up to an eighth of what is left, so a few
// thousand moves over hundreds of rooms seldom reach the end.
func advance(ptr, last int64, rnd *rand.Rand) int64 {
	if ptr >= last {
		return ptr
	}
	return ptr + 1 + rnd.Int64N(max(1, (last-ptr)/8))
}

// fillHistory sends messages (plan.message(k) for k < messages) through
// the API and returns the seqs of the measured user's own messages per
// room index.
func fillHistory(ctx context.Context, a *api, plan unreadPlan, ids []int64, me string, senders []string, run string, messages int, log io.Writer) ([][]int64, time.Duration, error) {
	own := make([][]int64, plan.rooms)
	var mu sync.Mutex
	f := filler{
		api: a,
		send: func(k int) fillSend {
			room, sender := plan.message(k)
			s := fillSend{token: me, room: ids[room], content: "chatbench unread fill", clientID: "u:" + run + ":" + strconv.Itoa(k), decode: sender < 0}
			if sender >= 0 {
				s.token = senders[sender]
			}
			return s
		},
		stored: func(k int, m storedMessage) {
			room, _ := plan.message(k)
			mu.Lock()
			own[room] = append(own[room], m.Seq)
			mu.Unlock()
		},
		log:   log,
		every: max(messages/20, 1000),
	}
	fmt.Fprintf(log, "  filling %d messages over %d rooms, %d requests in flight\n", messages, plan.rooms, fillWorkers)
	took, err := f.run(ctx, 0, messages)
	if err != nil {
		return nil, took, err
	}
	fmt.Fprintf(log, "  %d messages filled in %v (%.0f/s)\n", messages, took.Round(time.Millisecond), float64(messages)/took.Seconds())
	return own, took, nil
}

// decodeRooms fetches and decodes the user's GET /rooms, by room id.
func decodeRooms(ctx context.Context, a *api, token string, buf *bytes.Buffer) (map[int64]listedRoom, error) {
	if err := a.listRooms(ctx, token, buf); err != nil {
		return nil, err
	}
	var list []listedRoom
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
		return nil, fmt.Errorf("GET /rooms: %w", err)
	}
	out := make(map[int64]listedRoom, len(list))
	for _, l := range list {
		out[l.ID] = l
	}
	return out, nil
}

// countedLoop runs fn n times in all on workers goroutines, back to back,
// and returns how many calls succeeded, how many failed (with the first
// failure), the latency histogram of the successful ones in µs and how long
// it all took.
func countedLoop(ctx context.Context, workers, n int, fn func(ctx context.Context, worker int, rnd *rand.Rand) error) (ok, failed int64, firstErr error, h *Histogram, took time.Duration) {
	hist := newShardedHist(workers)
	var okN, failN, next atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 13))
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				t := time.Now()
				if err := fn(ctx, w, rnd); err != nil {
					failN.Add(1)
					once.Do(func() { firstErr = err })
					continue
				}
				okN.Add(1)
				hist.Record(w, time.Since(t).Microseconds())
			}
		})
	}
	wg.Wait()
	return okN.Load(), failN.Load(), firstErr, hist.Merged(), time.Since(start)
}

// addLatency adds the figures of one counted loop named what.
func addLatency(r *scenarioResult, what string, ok, failed int64, h *Histogram, took time.Duration) {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	r.add(what+"_requests", float64(ok), "requests")
	r.add(what+"_per_s", float64(ok)/took.Seconds(), "requests/s")
	r.add(what+"_p50_ms", ms(h.Quantile(0.5)), "ms")
	r.add(what+"_p99_ms", ms(h.Quantile(0.99)), "ms")
	r.add(what+"_max_ms", ms(h.Max()), "ms")
	r.add(what+"_errors", float64(failed), "requests")
}
