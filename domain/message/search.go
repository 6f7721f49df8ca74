package message

import (
	"strings"
	"unicode/utf8"

	"chat/domain"
	"chat/domain/room"
)

// Search limits.
const (
	SearchTextMax = 200 // runes of a query
	SearchTermMax = 8   // words and phrases of a query
	SearchDefault = 20
	SearchPageMax = 50
)

// Term is one word, or one "quoted phrase", of a search, folded to lower
// case. What it matches (its word forms, substrings, tokens) is the
// search index's business; every store means the same by it.
type Term struct {
	Text   string
	Phrase bool
}

// SearchQuery is a validated search: its terms (every one must match),
// where to look, and the page.
type SearchQuery struct {
	Terms  []Term
	RoomID room.ID // 0: every room the actor is a member of
	Before ID      // a cursor: hits with an id below it (0: from the newest)
	Limit  int
}

// NewSearchQuery validates a search typed by a user: 1–200 runes of valid
// UTF-8 holding 1–8 terms (words separated by spaces, or "quoted
// phrases"; punctuation at a word's ends is dropped, inside it kept).
func NewSearchQuery(text string, roomID room.ID, before ID, limit int) (SearchQuery, error) {
	if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
		return SearchQuery{}, domain.Errorf(domain.Invalid, "invalid_query", "search must be valid UTF-8")
	}
	if utf8.RuneCountInString(text) > SearchTextMax {
		return SearchQuery{}, domain.Errorf(domain.Invalid, "query_too_long", "search is longer than %d characters", SearchTextMax)
	}
	if roomID < 0 || before < 0 {
		return SearchQuery{}, domain.Errorf(domain.Invalid, "invalid_cursor", "cursor must not be negative")
	}
	switch {
	case limit == 0:
		limit = SearchDefault
	case limit < 0 || limit > SearchPageMax:
		return SearchQuery{}, domain.Errorf(domain.Invalid, "invalid_limit", "limit must be 1 to %d", SearchPageMax)
	}
	terms := parseTerms(text)
	if len(terms) == 0 {
		return SearchQuery{}, domain.Errorf(domain.Invalid, "empty_query", "search has no words")
	}
	if len(terms) > SearchTermMax {
		return SearchQuery{}, domain.Errorf(domain.Invalid, "too_many_terms", "search has more than %d words and phrases", SearchTermMax)
	}
	return SearchQuery{Terms: terms, RoomID: roomID, Before: before, Limit: limit}, nil
}

// termEdge is punctuation trimmed from a term's ends ("deploy," is
// "deploy"); inside a term it stays ("kubectl-apply").
const termEdge = ".,;:!?()[]{}<>'`*_~\"«»“”„"

func parseTerms(q string) []Term {
	var out []Term
	seen := map[Term]bool{}
	add := func(s string) {
		s = strings.Trim(strings.Join(strings.Fields(strings.ToLower(s)), " "), termEdge)
		if s == "" || domain.Blank(s) {
			return
		}
		t := Term{Text: s, Phrase: strings.Contains(s, " ")}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	rest := q
	for {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			for _, w := range strings.Fields(rest) {
				add(w)
			}
			return out
		}
		for _, w := range strings.Fields(rest[:i]) {
			add(w)
		}
		rest = rest[i+1:]
		j := strings.IndexByte(rest, '"')
		if j < 0 { // an unclosed quote: the rest is the phrase
			add(rest)
			return out
		}
		add(rest[:j])
		rest = rest[j+1:]
	}
}

// Fragment is a piece of a hit's snippet; Match marks the pieces the
// search matched.
type Fragment struct {
	Text  string
	Match bool
}

// Hit is one message a search found: the message (ID, RoomID, Seq,
// UserID, Username, Content, CreatedAt, EditedAt; not its reactions,
// reply or files) and the part of its text around the first match.
type Hit struct {
	Message Message
	Snippet []Fragment
}
