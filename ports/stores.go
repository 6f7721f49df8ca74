package ports

import (
	"context"
	"time"

	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// UserStore keeps accounts. What it returns is the public side of an
// account: the password hash stored with it is read only through
// AccountStore.Credentials.
type UserStore interface {
	// Create inserts u with its password hash and returns u with ID set.
	// Conflict with code "username_taken" when the (folded) username
	// exists.
	Create(ctx context.Context, u user.User, hash string) (user.User, error)
	// ByID returns a user; NotFound when absent.
	ByID(ctx context.Context, id user.ID) (user.User, error)
	// ByUsername returns a user by folded name; NotFound when absent.
	ByUsername(ctx context.Context, name user.Username) (user.User, error)
	// Update writes the profile fields (DisplayName, Bio, AvatarKey,
	// HideReceipts) of u; NotFound when absent.
	Update(ctx context.Context, u user.User) (user.User, error)
}

// AccountStore is the side of the accounts that UserStore never shows or
// touches: the password hash and the account's existence. Only the use
// cases that check or change a password read it. The SQL and memory user
// stores implement both ports.
type AccountStore interface {
	// Credentials returns the credentials of the account named name;
	// NotFound when absent.
	Credentials(ctx context.Context, name user.Username) (user.Credentials, error)
	// CredentialsByID returns the credentials of account u; NotFound when
	// absent.
	CredentialsByID(ctx context.Context, u user.ID) (user.Credentials, error)
	// SetPassword replaces u's password hash; NotFound when absent.
	SetPassword(ctx context.Context, u user.ID, hash string) error
	// Erase deletes account u, in one transaction: its sessions and room
	// memberships end, its name is freed, its e-mail, password, profile and
	// avatar key are erased, and its messages show user.DeletedName as
	// their author. The row itself stays, as a tombstone, so messages and
	// files keep their author's id (and rooms it still owns, their owner);
	// ByID and ByUsername answer NotFound for it from then on. NotFound
	// when absent.
	Erase(ctx context.Context, u user.ID) error
}

// RoleStore is the administrators' side of the accounts: the role, the
// suspension and the list of users. The SQL and memory user stores
// implement it. Tombstones of deleted accounts are never listed or
// changed.
type RoleStore interface {
	// SetAdmin writes u's administrator role and returns u as stored;
	// NotFound when absent.
	SetAdmin(ctx context.Context, u user.ID, admin bool) (user.User, error)
	// Suspend writes u's suspension (the zero Suspension lifts it) and
	// returns u as stored; NotFound when absent.
	Suspend(ctx context.Context, u user.ID, s user.Suspension) (user.User, error)
	// List returns up to q.Limit accounts with an id above q.After whose
	// username or display name contains q.Search, ignoring ASCII case
	// (empty: every account), by id.
	List(ctx context.Context, q user.ListQuery) ([]user.User, error)
}

// SessionStore keeps sign-in sessions: an access token is honoured only
// while its session's row exists.
type SessionStore interface {
	// Create inserts s and removes the user's sessions that had expired by
	// s.CreatedAt. NotFound when the user does not exist.
	Create(ctx context.Context, s user.Session) error
	// ByID returns a session; NotFound when there is none (ended).
	ByID(ctx context.Context, id string) (user.Session, error)
	// Delete ends session id of user u; false when u had no such session.
	Delete(ctx context.Context, u user.ID, id string) (bool, error)
	// DeleteAll ends every session of u except keep ("": none kept) and
	// returns the sessions it ended, by id.
	DeleteAll(ctx context.Context, u user.ID, keep string) ([]user.Session, error)
}

// SessionState is what a SessionCache knows of one session.
type SessionState struct {
	UserID user.ID // whose session it is, while live
	Ended  bool
}

// SessionCache tells every instance which sessions are live and which have
// ended, so checking a token's session costs no database query in the
// steady state. The SessionStore stays the truth: a miss is looked up there.
type SessionCache interface {
	// Get returns what is known of session id; found is false on a miss.
	Get(ctx context.Context, id string) (s SessionState, found bool, err error)
	// Live records session id of user u as live for ttl, unless it is
	// already known to have ended (an end is never overwritten by Live).
	Live(ctx context.Context, id string, u user.ID, ttl time.Duration) error
	// End records that session id has ended, for ttl (at least the rest of
	// its token's life). The calling instance sees the end before End
	// returns, every other one within milliseconds.
	End(ctx context.Context, id string, ttl time.Duration) error
}

// TicketStore keeps one-time WebSocket tickets until they are used or
// expire, so a ticket issued on one instance opens a socket on any.
type TicketStore interface {
	// Put stores the claims a ticket stands for, for ttl.
	Put(ctx context.Context, ticket string, c user.Claims, ttl time.Duration) error
	// Take returns the ticket's claims and forgets the ticket, atomically:
	// of concurrent Takes of one ticket exactly one succeeds. NotFound when
	// the ticket is unknown, expired or already taken.
	Take(ctx context.Context, ticket string) (user.Claims, error)
}

// RoomStore keeps rooms.
type RoomStore interface {
	// Create inserts r and makes its owner the first member, in one
	// transaction. Returns r with ID set.
	Create(ctx context.Context, r room.Room) (room.Room, error)
	// ByID returns a room; NotFound when absent.
	ByID(ctx context.Context, id room.ID) (room.Room, error)
	// Visible lists public rooms plus private rooms u belongs to, by id,
	// each with whether u is a member and its Standing: the room's LastSeq,
	// and for u's rooms u's pointer and unread count as ReadStore's
	// Standings gives them.
	Visible(ctx context.Context, u user.ID) ([]room.Listing, error)
	// Update reads room id, hands it to change and writes back its Name,
	// Description, IsPrivate, OwnerID and EditWindow (never its Kind), all
	// in one transaction with the room locked, so change decides on the
	// room as it is (who owns it).
	// An error from change is returned as it is and nothing is written.
	// A new owner must be a member (kept so until the commit): NotFound
	// "not_a_member" otherwise. NotFound "room_not_found" when absent.
	Update(ctx context.Context, id room.ID, change func(r *room.Room) error) (room.Room, error)
	// Delete removes room id with its memberships, messages and attachment
	// rows in one transaction, and returns the blob keys (files and
	// thumbnails) those rows held, for the caller to delete: an attachment
	// created concurrently either is among them or fails with NotFound.
	// NotFound "room_not_found" when absent.
	Delete(ctx context.Context, id room.ID) (blobKeys []string, err error)
	// OpenDirect returns the direct conversation with key (room.NewDirect),
	// creating it as r with members as its members when there is none —
	// in one transaction, and atomically across instances (a unique key):
	// of concurrent calls with one key exactly one creates it (created),
	// the others return that room. NotFound "user_not_found" when a member
	// does not exist.
	OpenDirect(ctx context.Context, key string, r room.Room, members []user.ID) (room.Room, bool, error)
}

// MemberStore keeps room membership, which every authorization check reads.
type MemberStore interface {
	// Add makes u a member; added is false when u already was. NotFound
	// when the room or the user does not exist.
	Add(ctx context.Context, r room.ID, u user.ID) (added bool, err error)
	// Remove ends u's membership; removed is false when u was not a member.
	// The room's owner is never removed: Conflict "owner_must_hand_over"
	// (hand the room to room.Heir, or delete it, first). It waits for an
	// ownership change of the room in progress, so an heir cannot leave
	// between being picked and becoming the owner.
	Remove(ctx context.Context, r room.ID, u user.ID) (removed bool, err error)
	// IsMember reports whether u belongs to r.
	IsMember(ctx context.Context, r room.ID, u user.ID) (bool, error)
	// Members lists the users of r ordered by username.
	Members(ctx context.Context, r room.ID) ([]user.User, error)
	// Memberships lists who belongs to r and since when, in no order
	// (room.Heir picks from them).
	Memberships(ctx context.Context, r room.ID) ([]room.Membership, error)
	// RoomsOf lists the rooms u is a member of, by id (what a search
	// across u's rooms reads).
	RoomsOf(ctx context.Context, u user.ID) ([]room.ID, error)
}

// InviteStore keeps room invites. Expired rows may stay until the room's
// next Create; every read answers only live ones (ExpiresAt after now).
type InviteStore interface {
	// Create stores inv unless its room already has max live invites at
	// inv.CreatedAt (Conflict "too_many_invites"), atomically, and removes
	// the room's expired ones. NotFound "room_not_found" when the room does
	// not exist.
	Create(ctx context.Context, inv room.Invite, max int) error
	// ByCode returns a live invite; NotFound "invite_not_found" otherwise.
	ByCode(ctx context.Context, code string, now time.Time) (room.Invite, error)
	// List returns room r's live invites, newest first.
	List(ctx context.Context, r room.ID, now time.Time) ([]room.Invite, error)
	// Delete removes invite code of room r; false when there was none.
	Delete(ctx context.Context, r room.ID, code string) (bool, error)
}

// ReadStore keeps members' read pointers: per (user, room) the seq of the
// last message the user has read, and what follows from it. The pointer
// lives with the membership: it starts at 0 when the user joins and ends
// with the membership.
type ReadStore interface {
	// MarkRead moves u's pointer in r to seq when seq is ahead of it,
	// capped at the room's newest seq — never backwards — and returns where
	// u then stands; moved is false when the pointer stayed. NotFound
	// "not_a_member" when u is not a member of r (or r does not exist).
	MarkRead(ctx context.Context, r room.ID, u user.ID, seq int64) (st room.Standing, moved bool, err error)
	// Standings returns where u stands in every room u belongs to, keyed by
	// room: the rooms of a user stream and their unread counts, in one
	// read. Unread is exact: the messages (not changes) with a seq above
	// the pointer that someone other than u sent, deleted ones included.
	// Mentions: those of them that mention u and are not deleted.
	Standings(ctx context.Context, u user.ID) (map[room.ID]room.Standing, error)
	// Pointers returns the read pointer of each member of r.
	Pointers(ctx context.Context, r room.ID) (map[user.ID]int64, error)
}

// MessageStore keeps messages and their changes. A room's seqs are one
// gap-free stream: each message and each change (edit, delete, reaction)
// takes the room's next seq in its transaction. Reads give messages in
// their current state: text and EditedAt as last edited, a deleted one as
// a tombstone (Deleted, no Content, Mentions, Reactions or Files),
// ReplyTo as the parent's Quote (its current state), Reactions with counts
// and up to message.ReactorsShown user ids per emoji in the order they
// reacted, Files as their attachments.
type MessageStore interface {
	// Append stores m, assigning ID, Seq (the room's next, gap-free) and
	// CreatedAt (if zero) in the insert's transaction. When m.ClientID is
	// set and (m.UserID, m.RoomID, m.ClientID) already exists with the same
	// Content, it returns the stored message and created=false instead of
	// inserting (a retry); with other Content it refuses with Conflict
	// "client_id_reused" and stores nothing. The same key in another room
	// is another message. NotFound when the room does not exist.
	// m.Mentions are stored with it (counted by ReadStore). m.ReplyTo.ID,
	// when set, must be a message of the room: NotFound
	// "message_not_found" otherwise; the stored message's ReplyTo is its
	// Quote. m.Files (their IDs) are attached in the same transaction:
	// each must be an attachment of the room uploaded by m.UserID and in
	// no message yet, else NotFound "file_not_found" and nothing is
	// stored.
	Append(ctx context.Context, m message.Message) (stored message.Message, created bool, err error)
	// Get returns message id of room r in its current state; NotFound
	// "message_not_found" when r has no such message.
	Get(ctx context.Context, r room.ID, id message.ID) (message.Message, error)
	// Edit replaces the Content and Mentions of message c.MessageID of room
	// c.RoomID with c's, sets its EditedAt to c.At, keeps the replaced text
	// as a Version, and records c (Kind Edited) with the room's next seq —
	// one transaction, with the room locked. check sees the message as
	// stored before anything is written; its error is returned as it is
	// and nothing is written. Returns c with Seq set. NotFound
	// "message_not_found" when absent; Conflict "message_deleted" when it
	// is a tombstone (before check is called).
	Edit(ctx context.Context, c message.Change, check func(message.Message) error) (message.Change, error)
	// Delete makes message c.MessageID of room c.RoomID a tombstone: its
	// content, versions, mentions and reactions are erased and its
	// attachment rows deleted, and c (Kind Deleted) is recorded with the
	// room's next seq, in one transaction; the attachments' blob keys
	// (files and thumbnails) go to a JobPurge job inserted in that
	// transaction. check as for Edit. Deleting a tombstone again is
	// Conflict "message_deleted".
	Delete(ctx context.Context, c message.Change, check func(message.Message) error) (message.Change, error)
	// React adds (c.Kind ReactionAdded) or removes (ReactionRemoved) user
	// c.UserID's c.Emoji on message c.MessageID and records c with the
	// room's next seq and Count set to the emoji's count after it, in one
	// transaction. Idempotent: when the reaction already is (or is not)
	// there nothing is written and changed is false. Adding an emoji that
	// would be the message's max+1st distinct one is Conflict
	// "too_many_reactions". NotFound "message_not_found"; Conflict
	// "message_deleted" for a tombstone.
	React(ctx context.Context, c message.Change, max int) (stored message.Change, changed bool, err error)
	// Versions returns message id's earlier texts, oldest first (the
	// original first, its At the message's CreatedAt); empty when it was
	// never edited or is deleted. NotFound "message_not_found".
	Versions(ctx context.Context, r room.ID, id message.ID) ([]message.Version, error)
	// Entries returns up to limit entries of r with seq > afterSeq, oldest
	// first: messages in their current state and changes. A replayed
	// Edited change carries the message's current Content and Mentions
	// (none once deleted), so applying entries in order ends in the
	// current state.
	Entries(ctx context.Context, r room.ID, afterSeq int64, limit int) ([]message.Entry, error)
	// Before returns up to limit messages of r with id < before (before 0:
	// no bound), newest first.
	Before(ctx context.Context, r room.ID, before message.ID, limit int) ([]message.Message, error)
	// After returns up to limit messages of r with seq > afterSeq, oldest
	// first (messages only: the seqs of changes are skipped).
	After(ctx context.Context, r room.ID, afterSeq int64, limit int) ([]message.Message, error)
	// NewestIfMember is Before(r, 0, limit) for a reader who must be a
	// member of r: member is false, with no messages, when u is not one or
	// r does not exist. It is the history hot path: where the store can,
	// the membership check and the page take one round trip.
	NewestIfMember(ctx context.Context, r room.ID, u user.ID, limit int) (ms []message.Message, member bool, err error)
	// LastSeqs returns the newest seq of each of rooms, a message's or a
	// change's (0 for a room without any); rooms that do not exist are
	// absent from the map. It is how instances find messages and changes
	// the bus never delivered: one read for every room an instance serves.
	LastSeqs(ctx context.Context, rooms []room.ID) (map[room.ID]int64, error)
}

// ScheduledStore keeps messages scheduled for later, each with the job
// that will deliver it (JobSend, RunAt = SendAt) inserted in the row's
// transaction.
type ScheduledStore interface {
	// Create stores s (ID and CreatedAt assigned) and its job, unless its
	// author already has max pending (Conflict "too_many_scheduled").
	// NotFound when the room or the user does not exist.
	Create(ctx context.Context, s message.Scheduled, max int) (message.Scheduled, error)
	// ByID returns a pending message; NotFound "scheduled_not_found" when
	// there is none (delivered, cancelled, never made).
	ByID(ctx context.Context, id message.ScheduledID) (message.Scheduled, error)
	// List returns u's pending messages by SendAt, then ID.
	List(ctx context.Context, u user.ID) ([]message.Scheduled, error)
	// Update hands u's pending message id to change and writes back its
	// Content and SendAt, in one transaction; a changed SendAt gets a new
	// job (the old one finds SendAt moved and does nothing). NotFound
	// "scheduled_not_found" when u has no such pending message; change's
	// error is returned as it is and nothing is written.
	Update(ctx context.Context, u user.ID, id message.ScheduledID, change func(*message.Scheduled) error) (message.Scheduled, error)
	// Delete removes pending message id; u 0 removes it whoever wrote it
	// (delivery). false when there was none.
	Delete(ctx context.Context, u user.ID, id message.ScheduledID) (bool, error)
}

// SearchStore finds messages by their text. What a query matches is one
// meaning for every store (adapters/textindex): each term matches when one
// of its forms occurs in the folded text — the word, or its English or
// Russian stem, as a substring when three characters or longer, else as a
// whole token (CJK characters and pairs, emoji, words) — and a phrase as
// it stands. Every MessageStore write that changes a message's text keeps
// the index in its own transaction: Append indexes, Edit re-indexes the
// current text only, Delete (and a room's Delete) purges.
type SearchStore interface {
	// Search returns up to q.Limit messages of rooms (q.RoomID is for the
	// caller: the store searches exactly rooms) that match every term of
	// q, that are not deleted and have an id below q.Before (0: no bound),
	// newest (highest id) first, each with its snippet (textindex.Snippet
	// of its current text). An empty rooms finds nothing.
	Search(ctx context.Context, rooms []room.ID, q message.SearchQuery) ([]message.Hit, error)
}
