package user

import (
	"strings"
	"testing"
	"time"

	"chat/domain"
)

func TestNewSuspension(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		reason, want, code string
	}{
		{"", "", ""},
		{"  spam  ", "spam", ""},
		{"line\nbreak\ttab", "line\nbreak\ttab", ""},
		{strings.Repeat("é", SuspendReasonMax), strings.Repeat("é", SuspendReasonMax), ""},
		{strings.Repeat("a", SuspendReasonMax+1), "", "invalid_reason"},
		{"bidi\u202etext", "", "invalid_reason"},
		{"nul\x00", "", "invalid_reason"},
		{"bad\xff", "", "invalid_reason"},
	} {
		s, err := NewSuspension(tc.reason, now)
		if tc.code != "" {
			if domain.CodeOf(err) != tc.code {
				t.Errorf("NewSuspension(%q) = %v, want %s", tc.reason, err, tc.code)
			}
			continue
		}
		if err != nil || s.Reason != tc.want || !s.At.Equal(now) || s.At.Location() != time.UTC || !s.Active() {
			t.Errorf("NewSuspension(%q) = %+v, %v", tc.reason, s, err)
		}
	}
	if (Suspension{}).Active() || (User{}).Suspended() {
		t.Error("the zero suspension is active")
	}
}

func TestNewListQuery(t *testing.T) {
	for _, tc := range []struct {
		search string
		after  ID
		limit  int
		want   ListQuery
		code   string
	}{
		{"", 0, 0, ListQuery{Limit: ListDefault}, ""},
		{" Al ", 5, 10, ListQuery{Search: "Al", After: 5, Limit: 10}, ""},
		{"", 0, ListMax, ListQuery{Limit: ListMax}, ""},
		{"", 0, ListMax + 1, ListQuery{}, "invalid_limit"},
		{"", 0, -1, ListQuery{}, "invalid_limit"},
		{"", -1, 0, ListQuery{}, "invalid_after"},
		{strings.Repeat("a", SearchMax+1), 0, 0, ListQuery{}, "invalid_search"},
		{"\xff", 0, 0, ListQuery{}, "invalid_search"},
	} {
		got, err := NewListQuery(tc.search, tc.after, tc.limit)
		if domain.CodeOf(err) != tc.code && !(tc.code == "" && err == nil) {
			t.Errorf("NewListQuery(%q, %d, %d) error %v, want %q", tc.search, tc.after, tc.limit, err, tc.code)
		}
		if tc.code == "" && got != tc.want {
			t.Errorf("NewListQuery(%q, %d, %d) = %+v, want %+v", tc.search, tc.after, tc.limit, got, tc.want)
		}
	}
}
