package textindex

import (
	"slices"
	"strings"
	"testing"

	"chat/domain/message"
)

func TestMatches(t *testing.T) {
	tests := []struct {
		q, text string
		want    bool
	}{
		{"сообщение", "Новые сообщения пришли", true},
		{"сообщения", "одно сообщение", true},
		{"run", "Running the tests", true},
		{"running", "we run nightly", true},
		{"kubectl", "try kubectl-apply first", true},
		{"deploy", "it was redeployed", true},
		{"東京", "明日は東京の会議です", true},
		{"会議", "明日は東京の会議です", true},
		{"大阪", "明日は東京の会議です", false},
		{"部署", "新しい部署に配属されました", true},
		{"🎉", "release done 🎉🎉", true},
		{`"release done"`, "the release done today", true},
		{`"done release"`, "the release done today", false},
		{"go", "let's go now", true},
		{"go", "good morning", false},
		{"deploy fail", "deploy failed on prod", true},
		{"deploy fail", "deploy ok", false},
		{"DEPLOY", "Deploy", true},
		{"привет", "ПРИВЕТ всем", true},
	}
	for _, tt := range tests {
		q, ok := Parse(tt.q)
		if !ok {
			t.Fatalf("Parse(%q) refused", tt.q)
		}
		if got := q.Matches(tt.text); got != tt.want {
			t.Errorf("%q in %q = %v, want %v (forms %+v)", tt.q, tt.text, got, tt.want, q.Terms)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, q := range []string{"", "   ", `""`, strings.Repeat("a", message.SearchTextMax+1), "a b c d e f g h i", "\xff"} {
		if _, ok := Parse(q); ok {
			t.Errorf("Parse(%q) accepted", q)
		}
	}
}

func TestSnippetMarksMatches(t *testing.T) {
	q, _ := Parse("deploy")
	got := Snippet("We Redeployed it, deploy again", q)
	var b strings.Builder
	for _, f := range got {
		if f.Match {
			b.WriteString("[" + f.Text + "]")
		} else {
			b.WriteString(f.Text)
		}
	}
	if want := "We Re[deploy]ed it, [deploy] again"; b.String() != want {
		t.Errorf("snippet %q, want %q", b.String(), want)
	}
	long := strings.Repeat("word ", 100) + "needle " + strings.Repeat("tail ", 100)
	q, _ = Parse("needle")
	s := Snippet(long, q)
	if s[0].Text != "…" || s[len(s)-1].Text != "…" {
		t.Errorf("long text not cut around the match: %+v", s)
	}
}

func TestDocTokens(t *testing.T) {
	d := NewDoc("Deploy 東京の会議 🎉 kubectl-apply.")
	for _, tok := range []string{"deploy", "東京", "会議", "東", "🎉", "kubectl-apply"} {
		if !strings.Contains(" "+d.Tokens+" ", " "+EncodeToken(tok)+" ") {
			t.Errorf("token %q missing from %q", tok, d.Tokens)
		}
	}
	if d.Body != "deploy 東京の会議 🎉 kubectl-apply." {
		t.Errorf("body %q", d.Body)
	}
}

// shortTokensSeeds are texts where cutting tokens out of the text and
// building them as Tokens does could part: joiners inside words, trailing
// dots and dashes, CJK runs, emoji with modifiers, invalid UTF-8.
var shortTokensSeeds = []string{
	"", "go to 部署 ok", "a.b- c-- d. .e -f", "東京の会議 🎉 ci kubectl-apply",
	"ab\u200dcd x\u200dy", "👍🏻 👨‍👩‍👧 ❤️ go", "x\xffy ab \xe3\x81 の", "\ufffd ok \ufffd",
	"сообщение я и ты", "日本語とEnglish混在 ok", "a_b __ 1.2.3 v1- ..", "ㄱ가 한국어 말",
	"the 🚀 is up, is it? ok!", "tab\tnew\nline ab", "e\u0301 café ó",
}

// TestShortTokensAreTokensShort: ShortTokens cuts from the text what
// Tokens builds, the short ones, in the same order.
func TestShortTokensAreTokensShort(t *testing.T) {
	for _, s := range shortTokensSeeds {
		checkShortTokens(t, s)
	}
}

func FuzzShortTokens(f *testing.F) {
	for _, s := range shortTokensSeeds {
		f.Add(s)
	}
	f.Fuzz(checkShortTokens)
}

func checkShortTokens(t *testing.T, s string) {
	folded := Fold(s)
	var want []string
	for _, tok := range Tokens(folded) {
		if !Substring(tok) {
			want = append(want, tok)
		}
	}
	if got := ShortTokens(folded); !slices.Equal(got, want) {
		t.Errorf("ShortTokens(%q) = %q, want %q", folded, got, want)
	}
}
