package message

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
)

// ID identifies a message globally. Within a room, Seq orders messages
// without gaps, starting at 1.
type ID int64

// Limits.
const (
	ContentMax  = 4000 // runes
	ClientIDMax = 64   // bytes
	PageDefault = 50
	PageMax     = 100
)

// Content is validated message text: trimmed, 1–4000 runes, valid UTF-8, no
// NUL, and not blank: text of only whitespace, control and invisible
// characters (zero-width, bidirectional controls; domain.Blank) is empty.
// Bidirectional text is kept as sent: clients isolate each message's
// direction when they show it.
type Content struct{ s string }

// NewContent validates s.
func NewContent(s string) (Content, error) {
	if !utf8.ValidString(s) {
		return Content{}, domain.Errorf(domain.Invalid, "invalid_content", "message must be valid UTF-8")
	}
	if strings.ContainsRune(s, 0) {
		return Content{}, domain.Errorf(domain.Invalid, "invalid_content", "message must not contain NUL")
	}
	t := strings.TrimSpace(s)
	if domain.Blank(t) { // nothing but whitespace and invisible characters
		return Content{}, domain.Errorf(domain.Invalid, "empty_message", "message is empty")
	}
	if utf8.RuneCountInString(t) > ContentMax {
		return Content{}, domain.Errorf(domain.Invalid, "message_too_long", "message is longer than %d characters", ContentMax)
	}
	return Content{t}, nil
}

func (c Content) String() string { return c.s }

// ValidateClientID checks an optional client-chosen idempotency key.
func ValidateClientID(id string) error {
	if len(id) > ClientIDMax {
		return domain.Errorf(domain.Invalid, "invalid_client_id", "client_id must be at most %d bytes", ClientIDMax)
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			return domain.Errorf(domain.Invalid, "invalid_client_id", "client_id must be printable ASCII")
		}
	}
	if strings.HasPrefix(id, ScheduledClient) {
		return domain.Errorf(domain.Invalid, "invalid_client_id", "client_id must not start with %q (the server's scheduled messages)", ScheduledClient)
	}
	return nil
}

// Message is one stored chat message.
type Message struct {
	ID        ID
	RoomID    room.ID
	Seq       int64
	UserID    user.ID
	Username  string
	Content   string
	ClientID  string
	CreatedAt time.Time

	// The conversation around the text, all in the message's current
	// state (history pages and replays show it so).
	EditedAt  time.Time // zero: never edited
	Deleted   bool      // a tombstone: Content, Mentions, Reactions and Files are empty
	ReplyTo   *Quote    // nil: not a reply; on Append only ReplyTo.ID counts
	Mentions  []user.ID // the members @mentioned, resolved when sent or edited
	Reactions []Reaction
	Files     []attachment.Attachment // on Append only the IDs count
}

// Page selects a slice of a room's history. Forward (implied by AfterSeq >
// 0) selects the oldest messages with seq > AfterSeq, oldest first: catch-up,
// where after_seq=0 means from the start. Around selects message Around
// with up to Limit/2 messages before it and the rest of Limit after it,
// newest first (where a search hit opens the room). Otherwise the page is
// the newest messages with id < Before (0: from the end), newest first.
type Page struct {
	Before   ID
	AfterSeq int64
	Forward  bool
	Around   ID
	Limit    int
}

// Normalize applies the default and maximum limit and rejects nonsense.
func (p Page) Normalize() (Page, error) {
	if p.Before < 0 || p.AfterSeq < 0 {
		return p, domain.Errorf(domain.Invalid, "invalid_cursor", "cursor must not be negative")
	}
	if p.AfterSeq > 0 {
		p.Forward = true
	}
	if p.Before > 0 && p.Forward {
		return p, domain.Errorf(domain.Invalid, "invalid_cursor", "use either before or after_seq, not both")
	}
	if p.Around < 0 || p.Around > 0 && (p.Before > 0 || p.Forward) {
		return p, domain.Errorf(domain.Invalid, "invalid_cursor", "around goes alone, without before or after_seq")
	}
	switch {
	case p.Limit == 0:
		p.Limit = PageDefault
	case p.Limit < 0 || p.Limit > PageMax:
		return p, domain.Errorf(domain.Invalid, "invalid_limit", "limit must be 1 to %d", PageMax)
	}
	return p, nil
}

// Service is what driving adapters may ask of messages. Every call checks
// that the actor is a member of the room.
type Service interface {
	// Send stores a message and, after the commit, publishes it to the room.
	// A repeated (actor, room, clientID) with the same content returns the
	// first stored copy; with other content it is refused with Conflict
	// "client_id_reused". A clientID is scoped to its room.
	Send(ctx context.Context, actor user.ID, roomID room.ID, content, clientID string) (Message, error)
	// SendOnce is Send, also reporting whether this call stored the message
	// (created) or found the first copy of a retried client ID, which was
	// published when it was stored and is not published again.
	SendOnce(ctx context.Context, actor user.ID, roomID room.ID, content, clientID string) (m Message, created bool, err error)
	// History returns one page of a room's messages (see Page).
	History(ctx context.Context, actor user.ID, roomID room.ID, p Page) ([]Message, error)
	// Typing announces that the actor is typing (not stored).
	Typing(ctx context.Context, actor user.ID, roomID room.ID) error

	// Compose is Send with everything a message may carry besides its
	// text (a reply, files, a send_at). With SendAt set nothing is sent
	// now: the message is scheduled (see Schedule) and s is returned.
	Compose(ctx context.Context, actor user.ID, roomID room.ID, d Draft) (m Message, created bool, s Scheduled, err error)
	// Entries returns up to limit entries of the room's stream after seq,
	// oldest first: messages in their current state and the changes made
	// to them — what a socket replays on resume.
	Entries(ctx context.Context, actor user.ID, roomID room.ID, afterSeq int64, limit int) ([]Entry, error)
	// Get returns one message of the room in its current state.
	Get(ctx context.Context, actor user.ID, roomID room.ID, id ID) (Message, error)
	// Edit replaces the text of the actor's own message (within the room's
	// edit window), keeping the earlier text as a version.
	Edit(ctx context.Context, actor user.ID, roomID room.ID, id ID, content string) (Change, error)
	// Delete deletes a message: its author's or, in their room, the owner's
	// right. Its text, versions, reactions and files are gone; a tombstone
	// keeps its place.
	Delete(ctx context.Context, actor user.ID, roomID room.ID, id ID) (Change, error)
	// React adds (add) or removes the actor's emoji on a message;
	// idempotent: changed is false, and no seq is taken, when it was so.
	React(ctx context.Context, actor user.ID, roomID room.ID, id ID, emoji string, add bool) (c Change, changed bool, err error)
	// Versions lists an edited message's earlier texts, oldest first.
	Versions(ctx context.Context, actor user.ID, roomID room.ID, id ID) ([]Version, error)
	// Search finds messages by their current text in the rooms the actor
	// is a member of (q.RoomID only, when set: refused like History to
	// a non-member), newest first; deleted messages are never found.
	Search(ctx context.Context, actor user.ID, q SearchQuery) ([]Hit, error)

	// Scheduled lists the actor's pending scheduled messages by SendAt.
	Scheduled(ctx context.Context, actor user.ID) ([]Scheduled, error)
	// Reschedule changes the text and/or time of the actor's pending
	// message (nil: unchanged).
	Reschedule(ctx context.Context, actor user.ID, id ScheduledID, content *string, sendAt *time.Time) (Scheduled, error)
	// Unschedule cancels the actor's pending message.
	Unschedule(ctx context.Context, actor user.ID, id ScheduledID) error
}

// Moderation is what an administrator may do to any message. It refuses
// anyone but a live administrator: Forbidden "not_admin".
type Moderation interface {
	// DeleteMessage deletes a message of any room with the effects of its
	// author's Delete: a tombstone, the room's next seq, the event, the
	// files' bytes purged.
	DeleteMessage(ctx context.Context, actor user.ID, roomID room.ID, id ID) (Change, error)
}
