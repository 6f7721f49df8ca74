package textindex

import (
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
