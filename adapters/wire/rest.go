package wire

import (
	"time"

	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// The JSON bodies of the REST routes (DESIGN.md's contract, docs/openapi.yaml).
// Every timestamp is a string in TimeFormat.

// Profile is a user as GET /users/me and registration show it.
type Profile struct {
	ID          int64   `json:"id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	Bio         string  `json:"bio"`
	AvatarURL   *string `json:"avatar_url"`
	CreatedAt   string  `json:"created_at"`
	// ReadReceipts is set only on the user's own profile.
	ReadReceipts *bool `json:"read_receipts,omitempty"`
	// IsAdmin is set only on the user's own profile, and only when true:
	// the web client shows its Admin section.
	IsAdmin bool `json:"is_admin,omitempty"`
}

// Token is the answer of a login.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// Room is a room; IsMember is set in room lists.
type Room struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	IsPrivate   bool   `json:"is_private"`
	OwnerID     int64  `json:"owner_id"`
	CreatedAt   string `json:"created_at"`
	Kind        string `json:"kind"`        // "room" or "dm"
	EditWindow  int64  `json:"edit_window"` // seconds; 0: no limit
	IsMember    *bool  `json:"is_member,omitempty"`
	// Set in room lists (and room_added): where the viewer stands.
	LastSeq      *int64 `json:"last_seq,omitempty"`
	LastReadSeq  *int64 `json:"last_read_seq,omitempty"`
	UnreadCount  *int64 `json:"unread_count,omitempty"`
	MentionCount *int64 `json:"mention_count,omitempty"`
}

// AlreadyMember answers an add of a user who was a member already.
type AlreadyMember struct {
	AlreadyMember bool `json:"already_member"`
}

// ReadState is where the caller stands in a room (POST /rooms/{id}/read).
type ReadState struct {
	RoomID      int64 `json:"room_id"`
	LastSeq     int64 `json:"last_seq"`
	LastReadSeq int64 `json:"last_read_seq"`
	UnreadCount int64 `json:"unread_count"`
}

// ReadStateOf encodes where the caller stands in room id.
func ReadStateOf(id room.ID, st room.Standing) ReadState {
	return ReadState{RoomID: int64(id), LastSeq: st.LastSeq, LastReadSeq: st.LastReadSeq, UnreadCount: st.Unread}
}

// Member is one entry of GET /rooms/{id}/members.
type Member struct {
	ID          int64   `json:"id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Online      bool    `json:"online"`
	LastReadSeq *int64  `json:"last_read_seq,omitempty"` // absent: the member hides receipts
}

// Message is a message, over REST and (with its type) on the socket. The
// fields after ClientID are absent when empty, so a plain message is the
// shape it always was. History pages and message frames are appended by
// hand (messages.go), byte for byte what encoding/json writes for this.
type Message struct {
	ID        int64      `json:"id"`
	RoomID    int64      `json:"room_id"`
	Seq       int64      `json:"seq"`
	UserID    int64      `json:"user_id"`
	Username  string     `json:"username"`
	Content   string     `json:"content"`
	CreatedAt string     `json:"created_at"`
	ClientID  string     `json:"client_id,omitempty"`
	EditedAt  string     `json:"edited_at,omitempty"`
	Deleted   bool       `json:"deleted,omitempty"`
	ReplyTo   *Quote     `json:"reply_to,omitempty"`
	Mentions  []int64    `json:"mentions,omitempty"`
	Reactions []Reaction `json:"reactions,omitempty"`
	Files     []File     `json:"files,omitempty"`
}

// Quote is what a reply shows of its parent.
type Quote struct {
	ID       int64  `json:"id"`
	Seq      int64  `json:"seq"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Content  string `json:"content"`
	Deleted  bool   `json:"deleted"`
}

// Reaction is one emoji on a message; UserIDs is never null.
type Reaction struct {
	Emoji   string  `json:"emoji"`
	Count   int     `json:"count"`
	UserIDs []int64 `json:"user_ids"`
}

// MessageVersion is an earlier text of an edited message.
type MessageVersion struct {
	Content string `json:"content"`
	At      string `json:"at"`
}

// ScheduledMessage is a message waiting for its send_at.
type ScheduledMessage struct {
	ID        int64  `json:"id"`
	RoomID    int64  `json:"room_id"`
	Content   string `json:"content"`
	ReplyTo   int64  `json:"reply_to,omitempty"`
	SendAt    string `json:"send_at"`
	CreatedAt string `json:"created_at"`
}

// File is a shared file as viewer sees it: its links are signed for viewer.
type File struct {
	ID              int64   `json:"id"`
	RoomID          int64   `json:"room_id"`
	UserID          int64   `json:"user_id"`
	Filename        string  `json:"filename"`
	ContentType     string  `json:"content_type"`
	Size            int64   `json:"size"`
	FileURL         string  `json:"file_url"`
	ThumbnailURL    *string `json:"thumbnail_url"`
	ThumbnailStatus string  `json:"thumbnail_status"`
	CreatedAt       string  `json:"created_at"`
}

// optional is s as a JSON value that is null when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ProfileOf encodes u as viewer sees it (links may be nil: no avatar links).
func ProfileOf(l *Links, u user.User, viewer user.ID) Profile {
	p := Profile{
		ID:          int64(u.ID),
		Username:    u.Username.String(),
		DisplayName: u.DisplayName,
		Bio:         u.Bio,
		AvatarURL:   optional(l.Avatar(u, viewer)),
		CreatedAt:   FormatTime(u.CreatedAt),
	}
	if viewer == u.ID {
		shown := !u.HideReceipts
		p.ReadReceipts = &shown
		p.IsAdmin = u.Admin
	}
	return p
}

// TokenOf encodes a login's token.
func TokenOf(t user.Token) Token {
	return Token{AccessToken: t.AccessToken, TokenType: "bearer", ExpiresIn: int64(t.ExpiresIn / time.Second)}
}

// RoomOf encodes a room.
func RoomOf(r room.Room) Room {
	return Room{
		ID:          int64(r.ID),
		Name:        r.Name,
		Description: r.Description,
		IsPrivate:   r.IsPrivate,
		OwnerID:     int64(r.OwnerID),
		CreatedAt:   FormatTime(r.CreatedAt),
		Kind:        RoomKind(r.Kind),
		EditWindow:  Seconds(r.EditWindow),
	}
}

// RoomKind names a room's kind on the wire.
func RoomKind(k room.Kind) string {
	if k == room.Direct {
		return "dm"
	}
	return "room"
}

// Seconds is d in whole seconds, as durations travel.
func Seconds(d time.Duration) int64 { return int64(d / time.Second) }

// ListingOf encodes an entry of a room list.
func ListingOf(l room.Listing) Room {
	j := RoomOf(l.Room)
	j.IsMember = &l.IsMember
	st := l.Standing
	j.LastSeq, j.LastReadSeq, j.UnreadCount, j.MentionCount = &st.LastSeq, &st.LastReadSeq, &st.Unread, &st.Mentions
	return j
}

// MemberOf encodes room members as viewer sees them.
func MemberOf(l *Links, viewer user.ID) func(m room.Member) Member {
	return func(m room.Member) Member {
		return Member{
			ID:          int64(m.User.ID),
			Username:    m.User.Username.String(),
			DisplayName: m.User.DisplayName,
			AvatarURL:   optional(l.Avatar(m.User, viewer)),
			Online:      m.Online,
			LastReadSeq: pointer(m.LastReadSeq),
		}
	}
}

// pointer is a read pointer as an optional field: absent when negative
// (hidden).
func pointer(seq int64) *int64 {
	if seq < 0 {
		return nil
	}
	return &seq
}

// MessageOf encodes messages as viewer sees them: the links of their
// files are signed for viewer (l nil: unsigned paths).
func MessageOf(l *Links, viewer user.ID) func(m message.Message) Message {
	return func(m message.Message) Message {
		j := Message{
			ID:        int64(m.ID),
			RoomID:    int64(m.RoomID),
			Seq:       m.Seq,
			UserID:    int64(m.UserID),
			Username:  m.Username,
			Content:   m.Content,
			CreatedAt: FormatTime(m.CreatedAt),
			ClientID:  m.ClientID,
			Deleted:   m.Deleted,
			Mentions:  userIDs(m.Mentions),
		}
		if !m.EditedAt.IsZero() {
			j.EditedAt = FormatTime(m.EditedAt)
		}
		if q := m.ReplyTo; q != nil {
			j.ReplyTo = &Quote{ID: int64(q.ID), Seq: q.Seq, UserID: int64(q.UserID), Username: q.Username, Content: q.Content, Deleted: q.Deleted}
		}
		for _, r := range m.Reactions {
			j.Reactions = append(j.Reactions, Reaction{Emoji: r.Emoji, Count: r.Count, UserIDs: userIDs(r.UserIDs)})
		}
		if len(m.Files) > 0 {
			j.Files = List(m.Files, FileOf(l, viewer))
		}
		return j
	}
}

// userIDs is ids as JSON numbers; never nil.
func userIDs(ids []user.ID) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

// VersionOf encodes an earlier text of a message.
func VersionOf(v message.Version) MessageVersion {
	return MessageVersion{Content: v.Content, At: FormatTime(v.At)}
}

// ScheduledOf encodes a scheduled message.
func ScheduledOf(s message.Scheduled) ScheduledMessage {
	return ScheduledMessage{ID: int64(s.ID), RoomID: int64(s.RoomID), Content: s.Content, ReplyTo: int64(s.ReplyTo),
		SendAt: FormatTime(s.SendAt), CreatedAt: FormatTime(s.CreatedAt)}
}

// FileOf encodes files as viewer sees them: their links are signed for
// viewer (l nil: unsigned paths).
func FileOf(l *Links, viewer user.ID) func(a attachment.Attachment) File {
	return func(a attachment.Attachment) File {
		return File{
			ID: int64(a.ID), RoomID: int64(a.RoomID), UserID: int64(a.UserID), Filename: a.Filename,
			ContentType: a.ContentType, Size: a.Size, FileURL: l.File(a.ID, viewer),
			ThumbnailURL: optional(l.Thumbnail(a, viewer)), ThumbnailStatus: string(a.ThumbnailStatus),
			CreatedAt: FormatTime(a.CreatedAt),
		}
	}
}

// List encodes a list; never nil, so an empty list is [] on the wire.
func List[T, J any](xs []T, f func(T) J) []J {
	out := make([]J, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// Ticket is a one-time WebSocket ticket.
type Ticket struct {
	Ticket    string `json:"ticket"`
	ExpiresIn int64  `json:"expires_in"`
}

// TicketOf encodes a ticket.
func TicketOf(t user.Ticket) Ticket {
	return Ticket{Ticket: t.Value, ExpiresIn: int64(t.ExpiresIn / time.Second)}
}

// State is the body of answers that only tell a state: {"status":"ok"},
// {"status":"processing"}.
type State struct {
	Status string `json:"status"`
}

// Invite is a room invite.
type Invite struct {
	Code      string `json:"code"`
	RoomID    int64  `json:"room_id"`
	CreatedBy int64  `json:"created_by"`
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at"`
}

// InviteOf encodes an invite.
func InviteOf(inv room.Invite) Invite {
	return Invite{Code: inv.Code, RoomID: int64(inv.RoomID), CreatedBy: int64(inv.CreatedBy),
		CreatedAt: FormatTime(inv.CreatedAt), ExpiresAt: FormatTime(inv.ExpiresAt)}
}

// InviteView is what an invite's holder sees before joining: the room's
// name and description, not its members or messages.
type InviteView struct {
	Code      string `json:"code"`
	ExpiresAt string `json:"expires_at"`
	IsMember  bool   `json:"is_member"`
	Room      struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		IsPrivate   bool   `json:"is_private"`
	} `json:"room"`
}

// InviteViewOf encodes an invite's view.
func InviteViewOf(v room.InviteView) InviteView {
	out := InviteView{Code: v.Invite.Code, ExpiresAt: FormatTime(v.Invite.ExpiresAt), IsMember: v.IsMember}
	out.Room.ID, out.Room.Name, out.Room.Description, out.Room.IsPrivate = int64(v.Room.ID), v.Room.Name, v.Room.Description, v.Room.IsPrivate
	return out
}
