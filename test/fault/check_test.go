package fault

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"chat/test/services"
)

const (
	rooms        = 3
	membersCount = 12 // four per room, two on each instance
	sendInterval = 300 * time.Millisecond
)

// traffic is the clients of a scenario.
type traffic struct {
	c       *cluster
	members []*member
	rooms   []int64
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// populate signs up the members, creates the rooms and connects every
// member to its room on its home instance (A or B, alternately), from the
// room's first message on.
func populate(t *testing.T, c *cluster) *traffic {
	t.Helper()
	tr := &traffic{c: c}
	tag := services.RandomID()[:6]
	type signed struct {
		id    int64
		token string
	}
	users := make([]signed, membersCount)
	errs := make([]error, membersCount)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			id, token, err := c.signup(c.instances()[i%2], fmt.Sprintf("f%d_%s", i, tag))
			users[i], errs[i] = signed{id, token}, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < rooms; r++ {
		var room struct {
			ID int64 `json:"id"`
		}
		c.must(c.A, 201, "POST", "/rooms", users[r].token, map[string]any{"name": fmt.Sprintf("fault-%d", r), "is_private": false}, &room)
		tr.rooms = append(tr.rooms, room.ID)
	}
	for i, u := range users {
		room := tr.rooms[i%rooms]
		if i >= rooms {
			c.must(c.instances()[i%2], 204, "POST", fmt.Sprintf("/rooms/%d/join", room), u.token, nil, nil)
		}
		tr.members = append(tr.members, newMember(c, fmt.Sprintf("f%d_%s", i, tag), u.id, u.token, room, c.instances()[i%2]))
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr.cancel = cancel
	t.Cleanup(tr.stop)
	for _, m := range tr.members {
		err := m.connect(m.home)
		// Before any fault a 503 is only a box too loaded to subscribe
		// within the deadlines: setup tries again rather than fail.
		for i := 0; i < 5 && err != nil && strings.Contains(err.Error(), "503"); i++ {
			time.Sleep(time.Duration(i+1) * 300 * time.Millisecond)
			err = m.connect(m.home)
		}
		if err != nil {
			t.Fatalf("connect %s: %v", m, err)
		}
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			m.run(ctx, sendInterval)
		}()
	}
	return tr
}

// stop ends every client.
func (tr *traffic) stop() {
	tr.cancel()
	tr.wg.Wait()
}

// send turns sending on for d, then off, and waits until no send awaits
// its answer any more.
func (tr *traffic) send(d time.Duration) {
	tr.startSending()
	time.Sleep(d)
	tr.stopSending()
}

func (tr *traffic) startSending() {
	for _, m := range tr.members {
		m.sending.Store(true)
	}
}

func (tr *traffic) stopSending() {
	for _, m := range tr.members {
		m.sending.Store(false)
	}
	for deadline := time.Now().Add(patience + 5*time.Second); time.Now().Before(deadline); {
		busy := false
		for _, m := range tr.members {
			busy = busy || m.busy.Load()
		}
		if !busy {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reader returns an instance to read history from and a member of room r
// whose token reads it.
func (tr *traffic) reader(r int64) (*instance, *member) {
	for _, m := range tr.members {
		if m.room == r {
			return tr.c.live()[0], m
		}
	}
	panic("no member in room")
}

// stored reads every room's messages.
func (tr *traffic) stored() (map[int64][]wire, error) {
	out := make(map[int64][]wire, len(tr.rooms))
	for _, r := range tr.rooms {
		in, m := tr.reader(r)
		ms, err := tr.c.history(in, m.token, r)
		if err != nil {
			return nil, err
		}
		out[r] = ms
	}
	return out, nil
}

// converged reports whether every member has received every stored
// message of its room (at least once).
func (tr *traffic) converged(stored map[int64][]wire) bool {
	for _, m := range tr.members {
		m.mu.Lock()
		for _, s := range stored[m.room] {
			if m.seen[s.Seq] == 0 {
				m.mu.Unlock()
				return false
			}
		}
		m.mu.Unlock()
	}
	return true
}

// verify is the end of every scenario: sending stops, the clients are
// given convergeWait to catch up, then
//
//   - the store holds each room's seqs 1..N once each;
//   - every acknowledged client_id is stored exactly once, with its content;
//   - every member holds every stored message of its room exactly once,
//     in seq order, and nothing else;
//   - no request outlived the deadline, and every answer was one the
//     contract allows.
func (tr *traffic) verify(t *testing.T) {
	t.Helper()
	c := tr.c
	tr.stopSending()
	c.setPhase("converging")
	var stored map[int64][]wire
	var err error
	start := time.Now()
	for {
		stored, err = tr.stored()
		if err == nil && tr.converged(stored) {
			// A send answered late may have been stored since: read again.
			again, err := tr.stored()
			if err == nil && count(again) == count(stored) {
				break
			}
		}
		if time.Since(start) > convergeWait {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("read the stored messages after the faults: %v", err)
	}
	total := 0
	for _, r := range tr.rooms {
		total += len(stored[r])
		checkStore(t, r, stored[r])
	}
	if total == 0 {
		t.Fatal("no message was stored: the scenario sent nothing")
	}
	t.Logf("%d messages stored in %d rooms; converged after %.1fs", total, len(tr.rooms), time.Since(start).Seconds())
	answers := map[string]string{} // "user/client_id" → "name: answer"
	for _, m := range tr.members {
		m.mu.Lock()
		for cid, a := range m.answered {
			answers[fmt.Sprintf("%d/%s", m.id, cid)] = a
		}
		m.mu.Unlock()
	}
	for _, m := range tr.members {
		checkAcked(t, m, stored[m.room])
		checkReceived(t, m, stored[m.room], answers)
	}
	c.reportRequests(t)
}

func count(stored map[int64][]wire) int {
	n := 0
	for _, ms := range stored {
		n += len(ms)
	}
	return n
}

// checkStore: seqs 1..N, each once, and no (user, client_id) twice.
func checkStore(t *testing.T, room int64, ms []wire) {
	t.Helper()
	keys := map[string]int64{}
	for i, s := range ms {
		if s.Seq != int64(i+1) {
			t.Errorf("room %d: stored seqs are not 1..%d: position %d holds seq %d", room, len(ms), i+1, s.Seq)
			return
		}
		if s.ClientID == "" {
			continue
		}
		k := fmt.Sprintf("%d/%s", s.UserID, s.ClientID)
		if first, dup := keys[k]; dup {
			t.Errorf("room %d: client_id %s of user %d stored twice, seqs %d and %d", room, s.ClientID, s.UserID, first, s.Seq)
		}
		keys[k] = s.Seq
	}
}

// checkAcked: every client_id m saw acknowledged is stored once, with the
// content m sent.
func checkAcked(t *testing.T, m *member, stored []wire) {
	t.Helper()
	_, acked, sent := m.snapshot()
	byCID := map[string][]wire{}
	for _, s := range stored {
		if s.UserID == m.id {
			byCID[s.ClientID] = append(byCID[s.ClientID], s)
		}
	}
	var lost []string
	for cid, how := range acked {
		switch copies := byCID[cid]; {
		case len(copies) == 0:
			lost = append(lost, fmt.Sprintf("%s (acknowledged by %s)", cid, how))
		case len(copies) > 1:
			t.Errorf("%s: acknowledged %s stored %d times", m, cid, len(copies))
		case copies[0].Content != sent[cid]:
			t.Errorf("%s: %s stored with content %q, sent %q", m, cid, copies[0].Content, sent[cid])
		}
	}
	for cid := range byCID {
		if _, ok := sent[cid]; !ok {
			t.Errorf("%s: stored a message with client_id %q it never sent", m, cid)
		}
	}
	if len(lost) > 0 {
		sort.Strings(lost)
		t.Errorf("%s: %d acknowledged messages are not stored: %s", m, len(lost), strings.Join(lost, ", "))
	}
}

// checkReceived: m holds stored exactly, once each, in seq order. A
// missing message is shown with how its own send was answered.
func checkReceived(t *testing.T, m *member, stored []wire, answers map[string]string) {
	t.Helper()
	got, _, _ := m.snapshot()
	bySeq := make(map[int64]wire, len(stored))
	for _, s := range stored {
		bySeq[s.Seq] = s
	}
	count := map[int64]int{}
	var dups, unknown, wrong, disorder []string
	var last int64
	for i, g := range got {
		count[g.Seq]++
		if count[g.Seq] == 2 {
			dups = append(dups, fmt.Sprint(g.Seq))
		}
		s, ok := bySeq[g.Seq]
		switch {
		case !ok:
			unknown = append(unknown, fmt.Sprint(g.Seq))
		case s.ID != g.ID || s.UserID != g.UserID || s.Content != g.Content || s.ClientID != g.ClientID:
			wrong = append(wrong, fmt.Sprintf("seq %d: got id %d %q, stored id %d %q", g.Seq, g.ID, g.Content, s.ID, s.Content))
		}
		if i > 0 && g.Seq <= last && count[g.Seq] == 1 {
			disorder = append(disorder, fmt.Sprintf("%d after %d", g.Seq, last))
		}
		last = max(last, g.Seq)
	}
	var missing []int64
	for _, s := range stored {
		if count[s.Seq] == 0 {
			missing = append(missing, s.Seq)
		}
	}
	var problems []string
	if len(missing) > 0 {
		var how []string
		for _, seq := range missing[:min(len(missing), 4)] {
			s := bySeq[seq]
			a := answers[fmt.Sprintf("%d/%s", s.UserID, s.ClientID)]
			if a == "" {
				a = "not recorded"
			}
			how = append(how, fmt.Sprintf("seq %d is %s, answered: %s", seq, s.ClientID, a))
		}
		problems = append(problems, fmt.Sprintf("missing %d of %d stored messages: seqs %s (%s)", len(missing), len(stored), ranges(missing), strings.Join(how, "; ")))
	}
	if len(dups) > 0 {
		problems = append(problems, fmt.Sprintf("received more than once: seqs %s", short(dups)))
	}
	if len(disorder) > 0 {
		problems = append(problems, fmt.Sprintf("out of seq order %d times: %s", len(disorder), short(disorder)))
	}
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("received seqs that are not stored: %s", short(unknown)))
	}
	if len(wrong) > 0 {
		problems = append(problems, fmt.Sprintf("received messages that differ from the stored ones: %s", short(wrong)))
	}
	if len(problems) > 0 {
		t.Errorf("%s, %s, received %d frames:\n    %s", m, m.connectionLog(), len(got), strings.Join(problems, "\n    "))
	}
}

// ranges writes sorted seqs compactly: 3-7 9 12-13.
func ranges(seqs []int64) string {
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	var parts []string
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(seqs[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", seqs[i], seqs[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, " ")
}

func short(items []string) string {
	if len(items) > 12 {
		return strings.Join(items[:12], ", ") + fmt.Sprintf(", … (%d in all)", len(items))
	}
	return strings.Join(items, ", ")
}
