package wire

import (
	"chat/domain/message"
	"chat/domain/user"
)

// SearchResult is the body of GET /search: the hits, newest first, and
// the cursor of the next page (the id of the last hit), present only when
// the page is full.
type SearchResult struct {
	Hits       []SearchHit `json:"hits"`
	NextBefore *int64      `json:"next_before,omitempty"`
}

// SearchHit is one message a search found: the message as history pages
// give it, and the snippet of its text around the first match.
type SearchHit struct {
	Message Message    `json:"message"`
	Snippet []Fragment `json:"snippet"`
}

// Fragment is a piece of a snippet; Match marks what the search matched.
type Fragment struct {
	Text  string `json:"text"`
	Match bool   `json:"match"`
}

// SearchResultOf encodes a page of hits for viewer (limit: the page size
// asked for, which says whether the page is full).
func SearchResultOf(hits []message.Hit, limit int, l *Links, viewer user.ID) SearchResult {
	msg := MessageOf(l, viewer)
	out := SearchResult{Hits: make([]SearchHit, 0, len(hits))}
	for _, h := range hits {
		out.Hits = append(out.Hits, SearchHit{Message: msg(h.Message), Snippet: List(h.Snippet, FragmentOf)})
	}
	if n := len(hits); n > 0 && n >= limit {
		next := int64(hits[n-1].Message.ID)
		out.NextBefore = &next
	}
	return out
}

// FragmentOf encodes a piece of a snippet.
func FragmentOf(f message.Fragment) Fragment { return Fragment{Text: f.Text, Match: f.Match} }
