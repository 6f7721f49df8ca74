package textindex

import (
	"encoding/hex"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball"

	"chat/domain/message"
)

// Limits of the index.
const (
	// SubstringMin is the shortest form matched as a substring; shorter
	// forms match whole tokens.
	SubstringMin = 3
	// TokenMax bounds an indexed token (runes); longer ones are found by
	// substring only.
	TokenMax = 64
)

// Fold is the one case folding of indexed and queried text.
func Fold(s string) string { return strings.ToLower(s) }

// Term is one term of a query with what it matches.
type Term struct {
	Text   string   // folded, as typed
	Forms  []string // folded strings, any of which matching matches the term
	Phrase bool
}

// Query is a search compiled for the index.
type Query struct{ Terms []Term }

// Compile gives each term of q its forms: the term itself and, for a
// word, its English and Russian stems.
func Compile(q message.SearchQuery) Query {
	var out Query
	for _, t := range q.Terms {
		ct := Term{Text: Fold(t.Text), Phrase: t.Phrase}
		ct.Forms = []string{ct.Text}
		if !t.Phrase {
			for _, st := range stems(ct.Text) {
				if !contains(ct.Forms, st) {
					ct.Forms = append(ct.Forms, st)
				}
			}
		}
		out.Terms = append(out.Terms, ct)
	}
	return out
}

// Parse validates and compiles a typed search (message.NewSearchQuery).
func Parse(text string) (Query, bool) {
	q, err := message.NewSearchQuery(text, 0, 0, 0)
	if err != nil {
		return Query{}, false
	}
	return Compile(q), true
}

// stems are w's English and Russian stems that are at least SubstringMin
// runes long (a shorter stem would match too much as a substring).
func stems(w string) []string {
	if strings.ContainsAny(w, " \t") || utf8.RuneCountInString(w) < SubstringMin+1 {
		return nil
	}
	var out []string
	for _, lang := range []string{"english", "russian"} {
		st, err := snowball.Stem(w, lang, true)
		if err == nil && utf8.RuneCountInString(st) >= SubstringMin && strings.Contains(w, st) {
			out = append(out, st)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Substring reports whether form is matched as a substring (else as a
// whole token).
func Substring(form string) bool { return utf8.RuneCountInString(form) >= SubstringMin }

// Doc is what the stores index of a message's text: Body, the folded
// text, for substrings; Tokens, the text's tokens, each EncodeToken'd,
// separated by spaces, for whole-token matches.
type Doc struct {
	Body   string
	Tokens string
}

// NewDoc indexes content.
func NewDoc(content string) Doc {
	body := Fold(content)
	var b strings.Builder
	for _, t := range Tokens(body) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(EncodeToken(t))
	}
	return Doc{Body: body, Tokens: b.String()}
}

// Tokens splits folded text into its tokens: runs of letters, digits,
// '_', '-' and '.' (trimmed of trailing '.' and '-'); every CJK character
// on its own and every pair of neighbouring ones (Chinese and Japanese
// words are mostly one or two characters and written without spaces);
// and every other symbol (emoji) on its own. Tokens longer than TokenMax
// runes are left out.
func Tokens(folded string) []string {
	var out []string
	seen := map[string]bool{}
	segment(folded, func(t string) {
		if t != "" && !seen[t] && utf8.RuneCountInString(t) <= TokenMax {
			seen[t] = true
			out = append(out, t)
		}
	})
	return out
}

// ShortTokens are the Tokens of folded shorter than SubstringMin runes, in
// the same order: those an index keeps (a longer form always matches as a
// substring). Every append computes them, so they are not collected into
// a set with the longer ones.
func ShortTokens(folded string) []string {
	var out []string
	segment(folded, func(t string) {
		if t != "" && !Substring(t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	})
	return out
}

// segment calls emit with each token of folded (Tokens' rules), in order,
// repeats and empty words included. A token is cut from folded itself; only
// a word with a joiner, a variation selector or a skin tone inside (which
// belong to no word, and the word goes on across them) is built of its
// runes, and an invalid byte is the token "\uFFFD".
func segment(folded string, emit func(string)) {
	start := -1      // the current word's first byte, -1: none
	var built []rune // the current word's runes, once one was left out of it
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := folded[start:end]
		if built != nil {
			w, built = string(built), nil
		}
		emit(strings.TrimRight(w, ".-"))
		start = -1
	}
	prevCJK := -1 // the first byte of the rune before, when it is CJK
	for i, size := 0, 0; i < len(folded); i += size {
		var r rune
		r, size = utf8.DecodeRuneInString(folded[i:])
		switch {
		case cjk(r):
			flush(i)
			emit(folded[i : i+size])
			if prevCJK >= 0 {
				emit(folded[prevCJK : i+size])
			}
			prevCJK = i
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '_' || (start >= 0 && (r == '-' || r == '.')):
			if start < 0 {
				start = i
			}
			if built != nil {
				built = append(built, r)
			}
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsControl(r):
			flush(i)
		case r == 0x200D || r == 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF:
			// joiners, variation selectors and skin tones belong to the
			// emoji before them
			if start >= 0 && built == nil {
				built = []rune(folded[start:i])
			}
		default:
			flush(i)
			if r == utf8.RuneError && size == 1 {
				emit(string(r))
			} else {
				emit(folded[i : i+size])
			}
		}
		prevCJK = -1
	}
	flush(len(folded))
}

// cjk reports Han, Hiragana, Katakana and Hangul characters.
func cjk(r rune) bool {
	if r < 0x1100 { // below Hangul Jamo: none of them, and most text
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// EncodeToken turns a token into one ASCII word that any tokenizer keeps
// whole: "t" and its UTF-8 bytes in hex.
func EncodeToken(t string) string { return "t" + hex.EncodeToString([]byte(t)) }

// Matches is the meaning of a query, which every store implements: each
// term has a form that is a substring of the folded text (forms of
// SubstringMin runes or more) or one of its Tokens (shorter forms).
func (q Query) Matches(content string) bool {
	body := Fold(content)
	var toks map[string]bool
	for _, t := range q.Terms {
		hit := false
		for _, f := range t.Forms {
			// Every token is a substring of the folded text, so the text
			// is split into tokens only when a short form occurs in it.
			hit = strings.Contains(body, f)
			if hit && !Substring(f) {
				if toks == nil {
					toks = map[string]bool{}
					for _, tok := range Tokens(body) {
						toks[tok] = true
					}
				}
				hit = toks[f]
			}
			if hit {
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// SnippetMax is how many runes of text a snippet shows around the first
// match.
const SnippetMax = 160

// Snippet is the part of content around its first match, with every
// match of a form (substring forms; token forms where they stand as
// tokens) marked, cut to about SnippetMax runes with "…" where cut.
func Snippet(content string, q Query) []message.Fragment {
	runes := []rune(content)
	folded := []rune(Fold(content))
	if len(folded) != len(runes) { // a case mapping changed the length: fold rune by rune
		folded = make([]rune, len(runes))
		for i, r := range runes {
			folded[i] = unicode.ToLower(r)
		}
	}
	mark := make([]bool, len(runes))
	first := -1
	for _, t := range q.Terms {
		for _, f := range t.Forms {
			fr := []rune(f)
			for i := 0; i+len(fr) <= len(folded); i++ {
				if !equalAt(folded, i, fr) || !Substring(f) && !tokenAt(folded, i, len(fr)) {
					continue
				}
				for k := i; k < i+len(fr); k++ {
					mark[k] = true
				}
				if first < 0 || i < first {
					first = i
				}
			}
		}
	}
	start, end := 0, len(runes)
	if len(runes) > SnippetMax {
		if first > SnippetMax/3 {
			start = first - SnippetMax/3
		}
		end = min(start+SnippetMax, len(runes))
	}
	var out []message.Fragment
	if start > 0 {
		out = append(out, message.Fragment{Text: "…"})
	}
	for i := start; i < end; {
		j := i
		for j < end && mark[j] == mark[i] {
			j++
		}
		out = append(out, message.Fragment{Text: string(runes[i:j]), Match: mark[i]})
		i = j
	}
	if end < len(runes) {
		out = append(out, message.Fragment{Text: "…"})
	}
	return out
}

func equalAt(s []rune, i int, f []rune) bool {
	for k, r := range f {
		if s[i+k] != r {
			return false
		}
	}
	return true
}

// tokenAt reports whether s[i:i+n] stands as a token: not inside a word
// (CJK characters are tokens on their own).
func tokenAt(s []rune, i, n int) bool {
	inWord := func(r rune) bool { return !cjk(r) && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') }
	if cjk(s[i]) {
		return true
	}
	return (i == 0 || !inWord(s[i-1])) && (i+n == len(s) || !inWord(s[i+n]))
}
