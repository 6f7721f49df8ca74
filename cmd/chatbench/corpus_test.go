package main

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCorpusIsDeterministic(t *testing.T) {
	a := corpus{seed: 7, messages: 500, rooms: 10, senders: 3}
	b := a
	other := a
	other.seed = 8
	differ := 0
	for k := range a.messages {
		if diff := cmp.Diff(a.message(k), b.message(k)); diff != "" {
			t.Fatalf("message %d differs between two generations (-first +second):\n%s", k, diff)
		}
		if a.message(k).Content != other.message(k).Content {
			differ++
		}
	}
	if differ < a.messages/2 {
		t.Errorf("seeds 7 and 8 give %d different messages of %d, want most", differ, a.messages)
	}
}

func TestCorpusRoomsSendersAndNeedles(t *testing.T) {
	c := corpus{seed: 1, messages: 5000, rooms: 100, senders: 3}
	for k := range c.messages {
		m := c.message(k)
		if m.Room != k%c.rooms || m.Sender != (k/c.rooms)%c.senders {
			t.Fatalf("message %d: room %d sender %d, want %d and %d", k, m.Room, m.Sender, k%c.rooms, (k/c.rooms)%c.senders)
		}
		want := -1
		if k%c.rooms == 0 && k/c.rooms < len(searchClasses) {
			want = k / c.rooms
		}
		if m.Planted != want {
			t.Fatalf("message %d planted for class %d, want %d", k, m.Planted, want)
		}
		if want >= 0 && m.Content != searchClasses[want].Needle {
			t.Fatalf("message %d = %q, want class %s's needle", k, m.Content, searchClasses[want].Name)
		}
	}
}

func TestCorpusMessagesAreValidChat(t *testing.T) {
	c := corpus{seed: 1, messages: 20_000, rooms: 1000, senders: 8}
	scripts := map[string]int{}
	words := map[string]int{}
	for k := range c.messages {
		s := c.message(k).Content
		if !utf8.ValidString(s) || strings.TrimSpace(s) != s || s == "" || utf8.RuneCountInString(s) > 4000 {
			t.Fatalf("message %d is no valid chat message: %q", k, s)
		}
		seen := map[string]bool{}
		for _, r := range s {
			switch {
			case unicode.Is(unicode.Cyrillic, r):
				seen["cyrillic"] = true
			case unicode.Is(unicode.Han, r):
				seen["han"] = true
			case unicode.In(r, unicode.Hiragana, unicode.Katakana):
				seen["kana"] = true
			case r >= 0x1F300 || r == '☕' || r == '⚠' || r == '✅' || r == '❤':
				seen["emoji"] = true
			case r == '_' || r == '/':
				seen["identifier"] = true
			}
		}
		for sc := range seen {
			scripts[sc]++
		}
		for _, w := range strings.Fields(s) {
			words[w]++
		}
	}
	// Shares in percent of messages (seeded, so these are stable), with
	// room for the mix to be retuned.
	for sc, want := range map[string][2]int{"cyrillic": {20, 32}, "han": {12, 30}, "kana": {9, 16}, "emoji": {10, 20}, "identifier": {4, 15}} {
		pct := 100 * scripts[sc] / c.messages
		if pct < want[0] || pct > want[1] {
			t.Errorf("%d %% of the messages hold %s, want %d–%d %%", pct, sc, want[0], want[1])
		}
	}
	// Zipf: the head word is everywhere, the tail is rare.
	if head, tail := words["the"], words[enWords[len(enWords)-1]]; head < 50*max(tail, 1) {
		t.Errorf(`"the" %d times, %q %d times: want a Zipf head far above the tail`, head, enWords[len(enWords)-1], tail)
	}
}

func TestSearchClassesFindTheirNeedles(t *testing.T) {
	for _, cl := range searchClasses {
		if !matches(cl.Needle, cl.Forms) {
			t.Errorf("%s: the needle %q does not match %v", cl.Name, cl.Needle, cl.Forms)
		}
		// The first form of each term is the term as typed, folded.
		var terms []string
		if strings.HasPrefix(cl.Query, `"`) {
			terms = []string{strings.Trim(cl.Query, `"`)}
		} else {
			terms = strings.Fields(strings.ToLower(cl.Query))
		}
		if len(terms) != len(cl.Forms) {
			t.Errorf("%s: %d terms in %q, %d in the forms", cl.Name, len(terms), cl.Query, len(cl.Forms))
			continue
		}
		for i, term := range terms {
			if cl.Forms[i][0] != term {
				t.Errorf("%s: term %d is %q, its first form %q", cl.Name, i, term, cl.Forms[i][0])
			}
		}
	}
}

func TestMatches(t *testing.T) {
	forms := func(name string) [][]string {
		for _, cl := range searchClasses {
			if cl.Name == name {
				return cl.Forms
			}
		}
		t.Fatalf("no class %s", name)
		return nil
	}
	tests := []struct {
		class, content string
		want           bool
	}{
		{"common", "Deploy it now", true},
		{"common", "we redeployed twice", true},
		{"common", "dep loy", false},
		{"rare", "XYLOPHONES everywhere", true},
		{"ru_form", "Сообщением больше", true},
		{"ru_form", "сообщить", false},
		{"zh", "服务器部署完成", true},
		{"zh", "部 署", false},
		{"ja", "デプロイしました", true},
		{"ident", "ran kubectl-apply", true},
		{"phrase", "a Rolling Restart now", true},
		{"phrase", "rolling the restart", false},
		{"and", "builds are failing", true},
		{"and", "the build passed", false},
		{"and", "it failed", false},
		{"emoji", "shipped 🚀🚀", true},
		{"emoji", "shipped", false},
	}
	for _, tt := range tests {
		if got := matches(tt.content, forms(tt.class)); got != tt.want {
			t.Errorf("%s matches %q = %v, want %v", tt.class, tt.content, got, tt.want)
		}
	}
}

func TestExpectCountsWhatMatches(t *testing.T) {
	c := corpus{seed: 3, messages: 3000, rooms: 7, senders: 2}
	want := make([]expected, len(searchClasses))
	for k := range c.messages {
		m := c.message(k)
		for i, cl := range searchClasses {
			if matches(m.Content, cl.Forms) {
				want[i].All++
				if m.Room == 0 {
					want[i].Room0++
				}
			}
		}
	}
	got := c.expect(searchClasses)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("expect (-want +got):\n%s", diff)
	}
	for i, cl := range searchClasses {
		if got[i].Room0 == 0 {
			t.Errorf("%s: no hit in room 0, which holds its needle", cl.Name)
		}
	}
}
