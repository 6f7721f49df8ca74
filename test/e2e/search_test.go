package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"chat/test/services"
)

// Issue 16: GET /search end to end — who may find what, deleted and
// edited messages, both instances, and history around a hit.

func runSearchScenarios(t *testing.T, c cluster) {
	t.Run("search finds only what the caller may read", func(t *testing.T) { searchAuthorization(t, c) })
	t.Run("search forgets deleted and edited text", func(t *testing.T) { searchDeletedEdited(t, c) })
	t.Run("search finds on one instance what was sent on the other", func(t *testing.T) { searchAcrossInstances(t, c) })
	t.Run("history around a hit; bad search parameters", func(t *testing.T) { searchAroundAndBadInput(t, c) })
}

type searchHitJSON struct {
	Message struct {
		ID       int64  `json:"id"`
		RoomID   int64  `json:"room_id"`
		Seq      int64  `json:"seq"`
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
		Content  string `json:"content"`
		EditedAt string `json:"edited_at"`
	} `json:"message"`
	Snippet []struct {
		Text  string `json:"text"`
		Match bool   `json:"match"`
	} `json:"snippet"`
}

type searchJSON struct {
	Hits       []searchHitJSON `json:"hits"`
	NextBefore int64           `json:"next_before"`
}

// searchWord is a word no other test writes: the database is shared by
// every scenario of the cluster.
func searchWord() string { return "srch" + services.RandomID()[:12] }

// search runs GET /search with q and extra parameters (k, v, …) and wants 200.
func (c *client) search(q string, params ...string) searchJSON {
	c.t.Helper()
	v := url.Values{"q": {q}}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	var out searchJSON
	c.must(200, "GET", "/search?"+v.Encode(), nil, &out)
	if out.Hits == nil {
		c.t.Fatalf("GET /search?%s: no hits array", v.Encode())
	}
	return out
}

// hitIDs are the message ids of a search's hits, in order.
func hitIDs(r searchJSON) []int64 {
	ids := []int64{}
	for _, h := range r.Hits {
		ids = append(ids, h.Message.ID)
	}
	return ids
}

// wantHits checks that c's search finds exactly ids, newest first.
func (c *client) wantHits(q string, ids []int64, params ...string) searchJSON {
	c.t.Helper()
	r := c.search(q, params...)
	if got := hitIDs(r); !slices.Equal(got, ids) {
		c.t.Errorf("%s on %s: search %q %v found %v, want %v", c.Name, c.base, q, params, got, ids)
	}
	return r
}

// marked is the text of the snippet's matched fragments.
func marked(h searchHitJSON) []string {
	var out []string
	for _, f := range h.Snippet {
		if f.Match {
			out = append(out, f.Text)
		}
	}
	return out
}

func searchAuthorization(t *testing.T, c cluster) {
	owner, member := newUser(t, c.A, "owner"), newUser(t, c.B, "member")
	outsider, removed := newUser(t, c.A, "outsider"), newUser(t, c.B, "removed")
	word := searchWord()
	pub, priv := owner.createRoom("found", false), owner.createRoom("hidden", true)
	for _, r := range []roomJSON{pub, priv} {
		for _, u := range []*client{member, removed} {
			owner.must(204, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"user_id": u.ID}, nil)
		}
	}
	mPub := owner.send(pub.ID, map[string]any{"content": "public " + word})
	mPriv := owner.send(priv.ID, map[string]any{"content": "private " + strings.ToUpper(word)})
	both := []int64{mPriv.ID, mPub.ID}
	for _, u := range []*client{owner, member, removed, member.on(c.A), removed.on(c.A)} {
		r := u.wantHits(word, both)
		for i, h := range r.Hits {
			if wantRoom := []int64{priv.ID, pub.ID}[i]; h.Message.RoomID != wantRoom || h.Message.UserID != owner.ID || h.Message.Username != owner.Name {
				t.Errorf("hit %d: room %d by %d %q, want room %d by %d %q", i, h.Message.RoomID, h.Message.UserID, h.Message.Username, wantRoom, owner.ID, owner.Name)
			}
			if m := marked(h); len(m) != 1 || strings.ToLower(m[0]) != word {
				t.Errorf("hit %d's snippet marks %q, want the word %s: %+v", i, m, word, h.Snippet)
			}
		}
		u.wantHits(word, []int64{mPriv.ID}, "room_id", fmt.Sprint(priv.ID))
	}

	// An outsider finds nothing, and asking for a room directly is
	// refused the way history refuses it: a private room is as missing
	// as one that does not exist, a public one is forbidden.
	outsiderRefused := func(u *client) {
		t.Helper()
		u.wantHits(word, []int64{})
		q := "/search?q=" + word + "&room_id="
		hidden, missing := u.call("GET", q+fmt.Sprint(priv.ID), nil), u.call("GET", q+fmt.Sprint(priv.ID+1_000_000), nil)
		if hidden.Status != 404 || missing.Status != 404 || !bytes.Equal(hidden.Body, missing.Body) {
			t.Errorf("%s: search in the private room = %d %s; in a missing room = %d %s; want the same 404", u.Name, hidden.Status, hidden.Body, missing.Status, missing.Body)
		}
		if r := u.call("GET", q+fmt.Sprint(pub.ID), nil); r.Status != 403 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s: search in the public room = %d %s, want 403 problem+json", u.Name, r.Status, r.Body)
		}
	}
	outsiderRefused(outsider)
	outsiderRefused(outsider.on(c.B))

	// A removed member stops finding the rooms' messages, on every instance.
	for _, r := range []roomJSON{pub, priv} {
		owner.must(204, "DELETE", fmt.Sprintf("/rooms/%d/members/%d", r.ID, removed.ID), nil, nil)
	}
	outsiderRefused(removed)
	outsiderRefused(removed.on(c.A))

	// Joining the public room finds its messages, and only its.
	outsider.must(204, "POST", fmt.Sprintf("/rooms/%d/join", pub.ID), nil, nil)
	outsider.on(c.B).wantHits(word, []int64{mPub.ID})
}

func searchDeletedEdited(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("rewrites", true)
	alice.must(204, "POST", fmt.Sprintf("/rooms/%d/members", r.ID), map[string]any{"user_id": bob.ID}, nil)
	before, after := searchWord(), searchWord()
	keep := alice.send(r.ID, map[string]any{"content": "keep " + before})
	gone := bob.send(r.ID, map[string]any{"content": "gone " + before})
	edited := alice.send(r.ID, map[string]any{"content": "draft " + before})
	bob.wantHits(before, []int64{edited.ID, gone.ID, keep.ID})

	bob.must(204, "DELETE", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, gone.ID), nil, nil)
	var e convMessage
	alice.must(200, "PATCH", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, edited.ID), map[string]any{"content": "final " + after}, &e)
	if e.EditedAt == "" {
		t.Fatalf("edit answered %+v", e)
	}
	for _, u := range []*client{alice, bob, alice.on(c.B), bob.on(c.A)} {
		u.wantHits(before, []int64{keep.ID})
		u.wantHits(before, []int64{keep.ID}, "room_id", fmt.Sprint(r.ID))
		u.wantHits("gone "+before, []int64{})
		u.wantHits(`"draft `+before+`"`, []int64{})
		res := u.wantHits(after, []int64{edited.ID}, "room_id", fmt.Sprint(r.ID))
		if len(res.Hits) == 1 && (res.Hits[0].Message.Content != "final "+after || res.Hits[0].Message.EditedAt == "") {
			t.Errorf("the edited hit is %+v, want its current text and edited_at", res.Hits[0].Message)
		}
		for _, h := range u.search(before).Hits {
			if strings.Contains(h.Message.Content, "gone") || strings.Contains(h.Message.Content, "draft") {
				t.Errorf("search shows old text: %+v", h.Message)
			}
		}
	}
	// A deleted message's text is not found by its own words either.
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/messages/%d", r.ID, edited.ID), nil, nil)
	bob.on(c.A).wantHits(after, []int64{})
	bob.wantHits("final", []int64{}, "room_id", fmt.Sprint(r.ID))
}

func searchAcrossInstances(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("languages", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	word := searchWord()
	// Sent on A, each found through B by a word form, a CJK word, part of
	// an identifier, a phrase and an emoji.
	ru := alice.send(r.ID, map[string]any{"content": "Сообщения о релизе " + word})
	zh := alice.send(r.ID, map[string]any{"content": "服务器部署完成了 " + word})
	id := alice.send(r.ID, map[string]any{"content": "ran kubectl-apply -f deploy_config.yaml " + word})
	emoji := alice.send(r.ID, map[string]any{"content": "shipped 🚀 " + word})
	for q, want := range map[string][]int64{
		"сообщение " + word:             {ru.ID},
		"部署 " + word:                    {zh.ID},
		"kubectl " + word:               {id.ID},
		`"deploy_config.yaml" ` + word:  {id.ID},
		"🚀 " + word:                     {emoji.ID},
		word:                            {emoji.ID, id.ID, zh.ID, ru.ID},
		`"о релизе ` + word + `"`:       {ru.ID},
		`"релизе о ` + word + `"`:       {},
		strings.ToUpper(word) + " ПРОД": {},
	} {
		bob.wantHits(q, want)
	}
	// Pages: the cursor from one instance works on the other.
	p1 := bob.wantHits(word, []int64{emoji.ID, id.ID, zh.ID}, "limit", "3")
	if p1.NextBefore != zh.ID {
		t.Fatalf("a full page's next_before = %d, want %d", p1.NextBefore, zh.ID)
	}
	p2 := alice.wantHits(word, []int64{ru.ID}, "limit", "3", "before", fmt.Sprint(p1.NextBefore))
	if p2.NextBefore != 0 {
		t.Errorf("the last page's next_before = %d, want none", p2.NextBefore)
	}
}

func searchAroundAndBadInput(t *testing.T, c cluster) {
	alice, bob := newUser(t, c.A, "alice"), newUser(t, c.B, "bob")
	r := alice.createRoom("context", false)
	bob.must(204, "POST", fmt.Sprintf("/rooms/%d/join", r.ID), nil, nil)
	word := searchWord()
	var ids []int64
	for i := range 30 {
		content := fmt.Sprintf("context %d", i)
		if i == 12 {
			content = "the one " + word
		}
		ids = append(ids, alice.send(r.ID, map[string]any{"content": content}).ID)
	}
	hit := bob.wantHits(word, []int64{ids[12]})
	if len(hit.Hits) != 1 {
		t.FailNow()
	}
	// The page around the hit, from the other instance: the message with
	// half the page older and the rest newer, newest first.
	var page []convMessage
	bob.on(c.A).must(200, "GET", fmt.Sprintf("/rooms/%d/messages?around=%d&limit=10", r.ID, hit.Hits[0].Message.ID), nil, &page)
	var got []int64
	for _, m := range page {
		got = append(got, m.ID)
	}
	want := []int64{ids[16], ids[15], ids[14], ids[13], ids[12], ids[11], ids[10], ids[9], ids[8], ids[7]}
	if !slices.Equal(got, want) {
		t.Errorf("around %d, limit 10 = %v, want %v", ids[12], got, want)
	}
	other := alice.createRoom("elsewhere", false)
	elsewhere := alice.send(other.ID, map[string]any{"content": "not in the first room"})

	long := strings.Repeat("я", 201)
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{"/search", 422, "empty_query"},
		{"/search?q=" + url.QueryEscape(`  "" `), 422, "empty_query"},
		{"/search?q=%FF", 422, "invalid_query"},
		{"/search?q=" + url.QueryEscape(long), 422, "query_too_long"},
		{"/search?q=a+b+c+d+e+f+g+h+i", 422, "too_many_terms"},
		{"/search?q=x&limit=51", 422, "invalid_limit"},
		{"/search?q=x&limit=0x10", 400, "malformed_request"},
		{"/search?q=x&room_id=general", 400, "malformed_request"},
		{"/search?q=x&before=-1", 422, "invalid_cursor"},
		{fmt.Sprintf("/rooms/%d/messages?around=%d&before=%d", r.ID, ids[12], ids[20]), 422, "invalid_cursor"},
		{fmt.Sprintf("/rooms/%d/messages?around=%d&after_seq=3", r.ID, ids[12]), 422, "invalid_cursor"},
		{fmt.Sprintf("/rooms/%d/messages?around=%d", r.ID, elsewhere.ID), 404, "message_not_found"},
		{fmt.Sprintf("/rooms/%d/messages?around=abc", r.ID), 400, "malformed_request"},
	} {
		for _, u := range []*client{bob, bob.on(c.A)} {
			got := u.call("GET", tc.path, nil)
			var p struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
			}
			_ = json.Unmarshal(got.Body, &p)
			if got.Status != tc.status || p.Status != tc.status || p.Code != tc.code || got.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET %s on %s = %d %s (%s), want %d problem+json %s", tc.path, u.base, got.Status, got.Body, got.Header.Get("Content-Type"), tc.status, tc.code)
			}
		}
	}
	if got := do(t, "GET", c.B.URL+"/search?q="+word, "", "", nil); got.Status != 401 {
		t.Errorf("search without a token = %d %s, want 401", got.Status, got.Body)
	}
}
