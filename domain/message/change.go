package message

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
)

// Conversation limits.
const (
	QuoteMax        = 140                  // runes of a parent's text a reply carries
	ReactionsMax    = 20                   // distinct emoji on one message
	ReactorsShown   = 100                  // user ids listed per emoji (Count stays exact)
	EmojiMax        = 32                   // bytes of one reaction emoji
	FilesMax        = 10                   // files attached to one message
	MentionsMax     = 50                   // distinct members one message mentions
	ScheduleMax     = 366 * 24 * time.Hour // how far ahead a message may be scheduled
	ScheduleMin     = 5 * time.Second      // sooner than this is not "later"
	ScheduledMax    = 100                  // pending scheduled messages per user
	ScheduledClient = "scheduled-"         // client_id prefix of delivered scheduled messages
)

// Quote is what a reply shows of its parent: the parent's current state,
// its text cut to QuoteMax runes; Deleted (and no text) once the parent is
// deleted.
type Quote struct {
	ID       ID
	Seq      int64
	UserID   user.ID
	Username string
	Content  string
	Deleted  bool
}

// Cut returns s cut to QuoteMax runes, with an ellipsis when cut.
func Cut(s string) string {
	if utf8.RuneCountInString(s) <= QuoteMax {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:QuoteMax-1])) + "…"
}

// Reaction is one emoji on a message: how many reacted with it and (up to
// ReactorsShown of) who, in the order they reacted.
type Reaction struct {
	Emoji   string
	Count   int
	UserIDs []user.ID
}

// NewEmoji validates a reaction: 1 to EmojiMax bytes of valid UTF-8 holding
// no letters or digits of any script, no whitespace or control characters
// and no ASCII — an emoji sequence (flags, skin tones and ZWJ sequences
// included), not text.
func NewEmoji(s string) (string, error) {
	bad := domain.Errorf(domain.Invalid, "invalid_emoji", "a reaction is one emoji")
	if s == "" || len(s) > EmojiMax || !utf8.ValidString(s) {
		return "", bad
	}
	visible := false
	for _, r := range s {
		switch {
		case r < 0x80 && r != '#' && r != '*' && (r < '0' || r > '9'):
			return "", bad // keycaps (#️⃣ 1️⃣) start with ASCII; nothing else does
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsSpace(r) || unicode.IsControl(r)):
			return "", bad
		case r == 0x200D || r == 0xFE0F || r == 0xFE0E || r == 0x20E3 || r >= 0x1F3FB && r <= 0x1F3FF || r >= 0xE0020 && r <= 0xE007F:
			// joiners, variation selectors, keycap, skin tones, tag sequences
		case domain.Invisible(r):
			return "", bad
		default:
			if r >= 0x80 {
				visible = true
			}
		}
	}
	if !visible {
		return "", bad
	}
	return s, nil
}

// MentionNames returns the distinct usernames written as @name in content,
// folded to lower case, in order of first appearance, at most MentionsMax.
// A name starts after @ at the start of the text or after a character that
// cannot be part of a name (so e-mail addresses are not mentions), and runs
// over a–z, 0–9, '_', '.' and '-' (a trailing '.' or '-' is punctuation).
func MentionNames(content string) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(content); i++ {
		if content[i] != '@' || i > 0 && nameByte(content[i-1]) {
			continue
		}
		j := i + 1
		for j < len(content) && nameByte(content[j]) {
			j++
		}
		name := strings.TrimRight(strings.ToLower(content[i+1:j]), ".-")
		i = j - 1
		if _, err := user.NewUsername(name); err != nil || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
		if len(out) == MentionsMax {
			break
		}
	}
	return out
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// ChangeKind says what a Change did.
type ChangeKind uint8

const (
	Edited          ChangeKind = iota + 1 // the author replaced the text
	Deleted                               // the author or the room's owner deleted the message
	ReactionAdded                         // a member added an emoji
	ReactionRemoved                       // a member took theirs back
)

// Change is something that happened to a stored message. Like a message it
// takes the room's next seq, so a room's seqs order its messages and their
// changes in one gap-free stream.
type Change struct {
	Kind      ChangeKind
	RoomID    room.ID
	Seq       int64
	MessageID ID
	UserID    user.ID // who made the change
	Username  string
	At        time.Time
	// Edited: the text and mentions the message has now; replayed, the
	// message's current ones (empty once it is deleted).
	Content  string
	Mentions []user.ID
	// ReactionAdded, ReactionRemoved: the emoji and how many have it after
	// the change.
	Emoji string
	Count int
}

// Entry is one seq of a room's stream: a message (in its current state)
// or a change of one.
type Entry struct {
	Message *Message
	Change  *Change
}

// Seq is the entry's seq.
func (e Entry) Seq() int64 {
	if e.Message != nil {
		return e.Message.Seq
	}
	if e.Change != nil {
		return e.Change.Seq
	}
	return 0
}

// Version is an earlier text of an edited message, and when it was
// replaced (the original's At is the message's CreatedAt).
type Version struct {
	Content string
	At      time.Time // when this text was written
}

// ScheduledID identifies a scheduled message.
type ScheduledID int64

// Scheduled is a message its author asked to be sent later. At SendAt a
// job delivers it as a normal message (with ClientID ScheduledClient+id, so
// a job that runs twice stores it once) and the row goes.
type Scheduled struct {
	ID        ScheduledID
	RoomID    room.ID
	UserID    user.ID
	Content   string
	ReplyTo   ID // 0: not a reply
	SendAt    time.Time
	CreatedAt time.Time
}

// CheckSendAt refuses a send_at that is not in the future (at least
// ScheduleMin ahead) or beyond ScheduleMax.
func CheckSendAt(at, now time.Time) error {
	switch {
	case at.Before(now.Add(ScheduleMin)):
		return domain.Errorf(domain.Invalid, "invalid_send_at", "send_at must be at least %s in the future", ScheduleMin)
	case at.After(now.Add(ScheduleMax)):
		return domain.Errorf(domain.Invalid, "invalid_send_at", "send_at must be within a year")
	}
	return nil
}

// Draft is what a sender asks to send besides the text.
type Draft struct {
	Content  string
	ClientID string
	ReplyTo  ID              // 0: not a reply
	Files    []attachment.ID // the sender's files in the room, not yet in a message
	SendAt   time.Time       // zero: now
}
