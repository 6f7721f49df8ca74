package domain

import (
	"unicode"
	"unicode/utf8"
)

// Text hygiene shared by the aggregates. A name (display name, room name,
// file name) is read to decide who or what something is, so characters
// that change how the text around them is shown without showing anything
// themselves must not reach one: "\u202egnp.exe" displays as "exe.png",
// and "ad\u200bmin" as "admin". Each aggregate decides per field whether
// such characters refuse the input or are stripped from it.

// Invisible reports characters that show nothing themselves:
//
//   - bidirectional controls: U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069;
//   - zero-width characters: U+200B–U+200D, U+2060, U+FEFF;
//   - other format characters and fillers that render as nothing: U+00AD
//     (soft hyphen), U+034F, U+115F, U+1160, U+180E, U+2061–U+2064,
//     U+3164, U+FFA0, U+2800 (the blank braille pattern);
//   - line and paragraph separators, U+2028 and U+2029.
//
// Control characters (Cc) are not included: IsControl covers them.
func Invisible(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional controls
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
		return true // zero-width
	case r == 0x00AD, r == 0x034F, r == 0x115F, r == 0x1160, r == 0x180E, r >= 0x2061 && r <= 0x2064,
		r == 0x3164, r == 0xFFA0, r == 0x2800, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// Blank reports whether s shows nothing: it is empty or holds only
// whitespace, control and invisible characters.
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.IsControl(r) && !Invisible(r) {
			return false
		}
	}
	return true
}

// CleanName reports whether s may be a name as it is: valid UTF-8 without
// control or invisible characters. The one exception is U+200D (zero-width
// joiner) between two symbols, which joins emoji into one (👩‍💻) and
// cannot make one word look like another.
func CleanName(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	prev := rune(-1)
	for i, r := range s {
		switch {
		case unicode.IsControl(r):
			return false
		case r == 0x200D:
			if !joinsEmoji(prev, s[i+len("\u200d"):]) {
				return false
			}
		case Invisible(r):
			return false
		}
		prev = r
	}
	return true
}

// StripName removes from s what CleanName refuses, replacing invalid UTF-8
// with nothing.
func StripName(s string) string {
	out := make([]rune, 0, len(s))
	prev := rune(-1)
	for i, r := range s {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r):
			continue
		case r == 0x200D:
			if !joinsEmoji(prev, s[i+len("\u200d"):]) {
				continue
			}
		case Invisible(r):
			continue
		}
		out = append(out, r)
		prev = r
	}
	return string(out)
}

// joinsEmoji reports whether a zero-width joiner after prev and before
// rest joins two parts of an emoji.
func joinsEmoji(prev rune, rest string) bool {
	next, n := utf8.DecodeRuneInString(rest)
	return n > 0 && next != utf8.RuneError && emojiPart(prev) && emojiPart(next)
}

// emojiPart reports the characters an emoji zero-width-joiner sequence
// joins: symbols (So, Sk: emoji, skin tones) and the emoji variation
// selector U+FE0F.
func emojiPart(r rune) bool {
	return r == 0xFE0F || unicode.In(r, unicode.So, unicode.Sk)
}
