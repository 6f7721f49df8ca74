package message_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chat/domain"
	"chat/domain/message"
)

func TestNewContent(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		code string
	}{
		{"trimmed", "  hi \n", "hi", ""},
		{"max", strings.Repeat("é", message.ContentMax), strings.Repeat("é", message.ContentMax), ""},
		{"empty", "", "", "empty_message"},
		{"blank", " \t\n ", "", "empty_message"},
		{"zero-width spaces", "\u200b\u200b\u200b", "", "empty_message"},
		{"invisible and spaces", " \u200d\ufeff \u2060\u3164 ", "", "empty_message"},
		{"bidi controls only", "\u202e\u2066\u2069", "", "empty_message"},
		{"no-break spaces", "\u00a0\u3000", "", "empty_message"},
		{"text among zero-width", "\u200bhi\u200b", "\u200bhi\u200b", ""},
		{"right-to-left text kept", "שלום \u202bworld", "שלום \u202bworld", ""},
		{"emoji", "👍", "👍", ""},
		{"too long", strings.Repeat("a", message.ContentMax+1), "", "message_too_long"},
		{"nul", "a\x00b", "", "invalid_content"},
		{"bad utf8", "a\xffb", "", "invalid_content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := message.NewContent(tt.in)
			if tt.code != "" {
				if domain.KindOf(err) != domain.Invalid || domain.CodeOf(err) != tt.code {
					t.Fatalf("err = %v (code %q), want Invalid %q", err, domain.CodeOf(err), tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.String() != tt.want {
				t.Errorf("got %q, want %q", c.String(), tt.want)
			}
		})
	}
}

func TestPageNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in      message.Page
		want    message.Page
		invalid bool
	}{
		{"defaults", message.Page{}, message.Page{Limit: 50}, false},
		{"after implies forward", message.Page{AfterSeq: 3, Limit: 10}, message.Page{AfterSeq: 3, Forward: true, Limit: 10}, false},
		{"forward from start", message.Page{Forward: true}, message.Page{Forward: true, Limit: 50}, false},
		{"max", message.Page{Limit: 100}, message.Page{Limit: 100}, false},
		{"over max", message.Page{Limit: 101}, message.Page{}, true},
		{"negative", message.Page{Before: -1}, message.Page{}, true},
		{"both", message.Page{Before: 5, AfterSeq: 2}, message.Page{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Normalize()
			if tt.invalid {
				if domain.KindOf(err) != domain.Invalid {
					t.Fatalf("err = %v, want Invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("-want +got\n%s", diff)
			}
		})
	}
}

func TestValidateClientID(t *testing.T) {
	for _, ok := range []string{"", "550e8400-e29b-41d4-a716-446655440000", strings.Repeat("x", 64)} {
		if err := message.ValidateClientID(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{strings.Repeat("x", 65), "a b", "é", "a\nb"} {
		if domain.KindOf(message.ValidateClientID(bad)) != domain.Invalid {
			t.Errorf("%q accepted", bad)
		}
	}
}
