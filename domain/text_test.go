package domain_test

import (
	"testing"

	"chat/domain"
)

func TestInvisible(t *testing.T) {
	invisible := []rune{0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
		0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF, 0x00AD, 0x3164, 0x2800, 0x2028, 0x2029}
	for _, r := range invisible {
		if !domain.Invisible(r) {
			t.Errorf("Invisible(%U) = false", r)
		}
	}
	for _, r := range []rune{'a', ' ', '\n', 'é', 'ش', '😀', 0x00A0, 0xFFFD} {
		if domain.Invisible(r) {
			t.Errorf("Invisible(%U) = true", r)
		}
	}
}

func TestBlank(t *testing.T) {
	tests := []struct {
		in    string
		blank bool
	}{
		{"", true},
		{" \t\r\n", true},
		{"\u200b\u200b\u200b", true},
		{" \u200d \ufeff\u2060 ", true},
		{"\u202e\u2066", true},
		{"\u3164", true},
		{"\u00a0\u3000", true}, // no-break and ideographic spaces
		{"\x01\x7f", true},
		{".", false},
		{"\u200bhi\u200b", false},
		{"😀", false},
	}
	for _, tt := range tests {
		if got := domain.Blank(tt.in); got != tt.blank {
			t.Errorf("Blank(%+q) = %v, want %v", tt.in, got, tt.blank)
		}
	}
}

func TestCleanAndStripName(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		clean bool
		strip string
	}{
		{"plain", "Alice B.", true, "Alice B."},
		{"accents and scripts", "Zoë ش 東京", true, "Zoë ش 東京"},
		{"right-to-left override", "\u202egnp.exe", false, "gnp.exe"},
		{"isolates", "a\u2066b\u2069c", false, "abc"},
		{"marks", "a\u200eb\u200fc\u061c", false, "abc"},
		{"zero-width space", "ad\u200bmin", false, "admin"},
		{"zero-width joiner between letters", "ad\u200dmin", false, "admin"},
		{"zero-width non-joiner", "ad\u200cmin", false, "admin"},
		{"word joiner and BOM", "\ufeffad\u2060min", false, "admin"},
		{"emoji joined", "👩\u200d💻 dev", true, "👩\u200d💻 dev"},
		{"emoji with variation selector", "🏳\ufe0f\u200d🌈", true, "🏳\ufe0f\u200d🌈"},
		{"joiner at the end", "👩\u200d", false, "👩"},
		{"tab", "a\tb", false, "ab"},
		{"newline", "a\nb", false, "ab"},
		{"C1 control", "a\u0085b", false, "ab"},
		{"NUL", "a\x00b", false, "ab"},
		{"line separator", "a\u2028b", false, "ab"},
		{"hangul filler", "\u3164", false, ""},
		{"invalid UTF-8", "a\xffb", false, "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.CleanName(tt.in); got != tt.clean {
				t.Errorf("CleanName(%+q) = %v, want %v", tt.in, got, tt.clean)
			}
			if got := domain.StripName(tt.in); got != tt.strip {
				t.Errorf("StripName(%+q) = %+q, want %+q", tt.in, got, tt.strip)
			}
			if s := domain.StripName(tt.in); !domain.CleanName(s) {
				t.Errorf("StripName(%+q) = %+q is not clean", tt.in, s)
			}
		})
	}
}
