package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chat/docs"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
)

// In-package fakes of the three use-case interfaces. They decide nothing an
// adapter test cares about: they record what the handler parsed and return
// canned results, or err when it is set.

var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))

const (
	aliceToken   = "tok-alice-1c9f"
	aliceID      = user.ID(1)
	aliceSession = "sess-alice-7d2e"
)

func mustUsername(s string) user.Username {
	u, err := user.NewUsername(s)
	if err != nil {
		panic(err)
	}
	return u
}

var alice = user.User{ID: aliceID, Username: mustUsername("alice"), DisplayName: "Alice", Bio: "hi", CreatedAt: created}

type fakeUsers struct {
	err       error // returned by Register, Profile and UpdateProfile when set
	gotReg    user.Registration
	gotLogin  [2]string
	gotPatch  user.Patch
	gotActor  user.ID
	gotAddr   domain.ClientAddr // of the last Register or Login
	avatarKey string
}

func (f *fakeUsers) Register(ctx context.Context, r user.Registration) (user.User, error) {
	f.gotReg, f.gotAddr = r, domain.ClientAddrOf(ctx)
	if f.err != nil {
		return user.User{}, f.err
	}
	return user.User{ID: 7, Username: mustUsername(r.Username), DisplayName: r.Username, CreatedAt: created}, nil
}

func (f *fakeUsers) Login(ctx context.Context, username, password string) (user.Token, error) {
	f.gotLogin, f.gotAddr = [2]string{username, password}, domain.ClientAddrOf(ctx)
	if username != "alice" || password != "correct horse" {
		return user.Token{}, domain.Errorf(domain.Unauthenticated, "invalid_credentials", "wrong username or password")
	}
	return user.Token{AccessToken: aliceToken, ExpiresIn: 24 * time.Hour}, nil
}

func (f *fakeUsers) Authenticate(_ context.Context, token string) (user.Claims, error) {
	if token != aliceToken {
		return user.Claims{}, domain.Errorf(domain.Unauthenticated, "invalid_token", "the token is not valid")
	}
	return user.Claims{UserID: aliceID, SessionID: aliceSession, ExpiresAt: created.Add(time.Hour)}, nil
}

func (f *fakeUsers) Profile(_ context.Context, id user.ID) (user.User, error) {
	f.gotActor = id
	if f.err != nil {
		return user.User{}, f.err
	}
	u := alice
	u.AvatarKey = f.avatarKey
	return u, nil
}

func (f *fakeUsers) UpdateProfile(_ context.Context, actor user.ID, p user.Patch) (user.User, error) {
	f.gotActor, f.gotPatch = actor, p
	if f.err != nil {
		return user.User{}, f.err
	}
	u := alice
	if err := u.Apply(p); err != nil {
		return user.User{}, err
	}
	return u, nil
}

type fakeRooms struct {
	err      error // returned by every method when set
	panicMsg string
	rooms    []room.Listing
	members  []room.Member
	gotSpec  room.Spec
	gotPatch room.Patch
	gotActor user.ID
	gotRoom  room.ID
	gotUser  user.ID
	gotName  string
	gotSeq   int64
	standing room.Standing
	already  bool // AddMember finds the user a member already; OpenDirect the conversation open
	gotIDs   []user.ID
	gotNames []string
}

func (f *fakeRooms) call(actor user.ID, id room.ID) error {
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	f.gotActor, f.gotRoom = actor, id
	return f.err
}

func (f *fakeRooms) Create(_ context.Context, actor user.ID, s room.Spec) (room.Room, error) {
	f.gotSpec = s
	if err := f.call(actor, 0); err != nil {
		return room.Room{}, err
	}
	return room.Room{ID: 3, Name: s.Name, Description: s.Description, IsPrivate: s.IsPrivate, OwnerID: actor, CreatedAt: created}, nil
}

func (f *fakeRooms) List(_ context.Context, actor user.ID) ([]room.Listing, error) {
	return f.rooms, f.call(actor, 0)
}

func (f *fakeRooms) Get(_ context.Context, actor user.ID, id room.ID) (room.Room, error) {
	if err := f.call(actor, id); err != nil {
		return room.Room{}, err
	}
	return room.Room{ID: id, Name: "general", OwnerID: 9, CreatedAt: created}, nil
}

func (f *fakeRooms) Join(_ context.Context, actor user.ID, id room.ID) error {
	return f.call(actor, id)
}

func (f *fakeRooms) Leave(_ context.Context, actor user.ID, id room.ID) error {
	return f.call(actor, id)
}

func (f *fakeRooms) Update(_ context.Context, actor user.ID, id room.ID, p room.Patch) (room.Room, error) {
	f.gotPatch = p
	if err := f.call(actor, id); err != nil {
		return room.Room{}, err
	}
	r := room.Room{ID: id, Name: "general", OwnerID: actor, CreatedAt: created}
	return r, r.Apply(p)
}

func (f *fakeRooms) TransferOwnership(_ context.Context, actor user.ID, id room.ID, to user.ID) (room.Room, error) {
	f.gotUser = to
	if err := f.call(actor, id); err != nil {
		return room.Room{}, err
	}
	return room.Room{ID: id, Name: "general", OwnerID: to, CreatedAt: created}, nil
}

func (f *fakeRooms) Delete(_ context.Context, actor user.ID, id room.ID) error {
	return f.call(actor, id)
}

func (f *fakeRooms) AddMember(_ context.Context, actor user.ID, id room.ID, u user.ID) (bool, error) {
	f.gotUser = u
	return !f.already, f.call(actor, id)
}

func (f *fakeRooms) AddMemberByName(_ context.Context, actor user.ID, id room.ID, name string) (user.ID, bool, error) {
	f.gotName = name
	return 77, !f.already, f.call(actor, id)
}

func (f *fakeRooms) OpenDirect(_ context.Context, actor user.ID, ids []user.ID, names []string) (room.Listing, bool, error) {
	f.gotIDs, f.gotNames = ids, names
	if err := f.call(actor, 0); err != nil {
		return room.Listing{}, false, err
	}
	r := room.Room{ID: 12, Name: "alice, bob", IsPrivate: true, OwnerID: actor, CreatedAt: created, Kind: room.Direct}
	return room.Listing{Room: r, IsMember: true}, !f.already, nil
}

func (f *fakeRooms) RemoveMember(_ context.Context, actor user.ID, id room.ID, u user.ID) error {
	f.gotUser = u
	return f.call(actor, id)
}

func (f *fakeRooms) Members(_ context.Context, actor user.ID, id room.ID) ([]room.Member, error) {
	return f.members, f.call(actor, id)
}

func (f *fakeRooms) Authorize(_ context.Context, actor user.ID, id room.ID) error {
	return f.call(actor, id)
}

func (f *fakeRooms) Connect(_ context.Context, actor user.ID, id room.ID, _ string) error {
	return f.call(actor, id)
}

func (f *fakeRooms) Disconnect(_ context.Context, actor user.ID, id room.ID, _ string) error {
	return f.call(actor, id)
}

func (f *fakeRooms) Heartbeat(context.Context, []room.Conn) error { return f.err }

func (f *fakeRooms) MarkRead(_ context.Context, actor user.ID, id room.ID, seq int64) (room.Standing, error) {
	f.gotSeq = seq
	return f.standing, f.call(actor, id)
}

// The stream's calls come from adapters/ws, never from REST.
func (f *fakeRooms) OpenStream(context.Context, user.ID, string) (map[room.ID]room.Standing, error) {
	panic("OpenStream over REST")
}
func (f *fakeRooms) Follow(context.Context, user.ID, room.ID) (room.Standing, error) {
	panic("Follow over REST")
}
func (f *fakeRooms) Unfollow(user.ID, room.ID) { panic("Unfollow over REST") }
func (f *fakeRooms) CloseStream(context.Context, user.ID, string, []room.ID) error {
	panic("CloseStream over REST")
}

type fakeMessages struct {
	err        error
	history    []message.Message
	gotPage    message.Page
	gotActor   user.ID
	gotRoom    room.ID
	gotContent string
	gotClient  string

	gotDraft     message.Draft
	gotMessage   message.ID
	gotEmoji     string
	gotAdd       bool
	gotScheduled message.ScheduledID
	gotNewText   *string
	gotSendAt    *time.Time
	calls        []string        // the use cases called, in order
	message      message.Message // what Get returns
	versions     []message.Version
	scheduled    []message.Scheduled
}

// call records a use case and the actor, room and message it was asked
// about, and returns f.err.
func (f *fakeMessages) call(name string, actor user.ID, r room.ID, id message.ID) error {
	f.calls = append(f.calls, name)
	f.gotActor, f.gotRoom, f.gotMessage = actor, r, id
	return f.err
}

func (f *fakeMessages) Send(_ context.Context, actor user.ID, r room.ID, content, clientID string) (message.Message, error) {
	f.gotActor, f.gotRoom, f.gotContent, f.gotClient = actor, r, content, clientID
	if f.err != nil {
		return message.Message{}, f.err
	}
	return message.Message{ID: 11, RoomID: r, Seq: 4, UserID: actor, Username: "alice", Content: content, ClientID: clientID, CreatedAt: created}, nil
}

func (f *fakeMessages) SendOnce(ctx context.Context, actor user.ID, r room.ID, content, clientID string) (message.Message, bool, error) {
	m, err := f.Send(ctx, actor, r, content, clientID)
	return m, err == nil, err
}

func (f *fakeMessages) History(_ context.Context, actor user.ID, r room.ID, p message.Page) ([]message.Message, error) {
	f.gotActor, f.gotRoom, f.gotPage = actor, r, p
	return f.history, f.err
}

func (f *fakeMessages) Typing(_ context.Context, actor user.ID, r room.ID) error {
	f.gotActor, f.gotRoom = actor, r
	return f.err
}

// Compose stores nothing: a message comes back with the draft's reply
// quoted and its files attached (as the store would give them); with
// SendAt it is scheduled instead.
func (f *fakeMessages) Compose(_ context.Context, actor user.ID, r room.ID, d message.Draft) (message.Message, bool, message.Scheduled, error) {
	f.gotDraft = d
	if err := f.call("Compose", actor, r, 0); err != nil {
		return message.Message{}, false, message.Scheduled{}, err
	}
	if !d.SendAt.IsZero() {
		return message.Message{}, false, message.Scheduled{ID: 5, RoomID: r, UserID: actor, Content: d.Content, ReplyTo: d.ReplyTo,
			SendAt: d.SendAt, CreatedAt: created}, nil
	}
	m := message.Message{ID: 11, RoomID: r, Seq: 4, UserID: actor, Username: "alice", Content: d.Content, ClientID: d.ClientID, CreatedAt: created}
	if d.ReplyTo != 0 {
		m.ReplyTo = &message.Quote{ID: d.ReplyTo, Seq: 2, UserID: 2, Username: "bob", Content: "parent"}
	}
	for _, id := range d.Files {
		m.Files = append(m.Files, attachment.Attachment{ID: id, RoomID: r, UserID: actor, Filename: "f.txt", ContentType: "text/plain",
			Size: 3, ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: created})
	}
	return m, true, message.Scheduled{}, nil
}

func (f *fakeMessages) Entries(context.Context, user.ID, room.ID, int64, int) ([]message.Entry, error) {
	panic("Entries over REST") // the sockets' replay
}

func (f *fakeMessages) Get(_ context.Context, actor user.ID, r room.ID, id message.ID) (message.Message, error) {
	if err := f.call("Get", actor, r, id); err != nil {
		return message.Message{}, err
	}
	return f.message, nil
}

func (f *fakeMessages) Edit(_ context.Context, actor user.ID, r room.ID, id message.ID, content string) (message.Change, error) {
	f.gotContent = content
	if err := f.call("Edit", actor, r, id); err != nil {
		return message.Change{}, err
	}
	return message.Change{Kind: message.Edited, RoomID: r, Seq: 9, MessageID: id, UserID: actor, Content: content}, nil
}

func (f *fakeMessages) Delete(_ context.Context, actor user.ID, r room.ID, id message.ID) (message.Change, error) {
	if err := f.call("Delete", actor, r, id); err != nil {
		return message.Change{}, err
	}
	return message.Change{Kind: message.Deleted, RoomID: r, Seq: 9, MessageID: id, UserID: actor}, nil
}

func (f *fakeMessages) React(_ context.Context, actor user.ID, r room.ID, id message.ID, emoji string, add bool) (message.Change, bool, error) {
	f.gotEmoji, f.gotAdd = emoji, add
	if err := f.call("React", actor, r, id); err != nil {
		return message.Change{}, false, err
	}
	return message.Change{Kind: message.ReactionAdded, RoomID: r, Seq: 9, MessageID: id, UserID: actor, Emoji: emoji, Count: 1}, true, nil
}

func (f *fakeMessages) Versions(_ context.Context, actor user.ID, r room.ID, id message.ID) ([]message.Version, error) {
	return f.versions, f.call("Versions", actor, r, id)
}

func (f *fakeMessages) Scheduled(_ context.Context, actor user.ID) ([]message.Scheduled, error) {
	return f.scheduled, f.call("Scheduled", actor, 0, 0)
}

func (f *fakeMessages) Reschedule(_ context.Context, actor user.ID, id message.ScheduledID, content *string, sendAt *time.Time) (message.Scheduled, error) {
	f.gotScheduled, f.gotNewText, f.gotSendAt = id, content, sendAt
	if err := f.call("Reschedule", actor, 0, 0); err != nil {
		return message.Scheduled{}, err
	}
	s := message.Scheduled{ID: id, RoomID: 3, UserID: actor, Content: "before", SendAt: created.Add(time.Hour), CreatedAt: created}
	if content != nil {
		s.Content = *content
	}
	if sendAt != nil {
		s.SendAt = *sendAt
	}
	return s, nil
}

func (f *fakeMessages) Unschedule(_ context.Context, actor user.ID, id message.ScheduledID) error {
	f.gotScheduled = id
	return f.call("Unschedule", actor, 0, 0)
}

// fixture is a server over fresh fakes with its log captured.
type fixture struct {
	users    *fakeUsers
	rooms    *fakeRooms
	messages *fakeMessages
	logs     *bytes.Buffer
	srv      *Server
}

func newFixture(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	f := &fixture{users: &fakeUsers{}, rooms: &fakeRooms{}, messages: &fakeMessages{}, logs: &bytes.Buffer{}}
	cfg := Config{
		Users:    f.users,
		Rooms:    f.rooms,
		Messages: f.messages,
		Logger:   slog.New(slog.NewJSONHandler(f.logs, nil)),
		OpenAPI:  docs.OpenAPI,
	}
	if edit != nil {
		edit(&cfg)
	}
	f.srv = New(cfg)
	return f
}

// request describes one call; header pairs are "Name: value".
type request struct {
	method, path, body string
	contentType        string
	auth               bool
	header             []string
	remote             string // the peer's "host:port"; httptest's default when empty
}

func (f *fixture) do(t *testing.T, rq request) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	if rq.contentType != "" {
		r.Header.Set("Content-Type", rq.contentType)
	}
	if rq.auth {
		r.Header.Set("Authorization", "Bearer "+aliceToken)
	}
	for _, h := range rq.header {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Set(k, v)
	}
	if rq.remote != "" {
		r.RemoteAddr = rq.remote
	}
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return w
}

// statusHandler stands in for the WebSocket gateway.
type statusHandler struct {
	status   int
	gotRoom  string
	gotToken string
}

func (h *statusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.gotRoom, h.gotToken = r.PathValue("room_id"), r.URL.Query().Get("token")
	w.WriteHeader(h.status)
}

// Search is not served over REST yet; the fake answers nothing.
func (f *fakeMessages) Search(_ context.Context, actor user.ID, q message.SearchQuery) ([]message.Hit, error) {
	return nil, f.call("Search", actor, q.RoomID, 0)
}
