package ws

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// GatewayConfig wires a Gateway. Users, Rooms, Messages and Hub are
// required; zero limits take the defaults in their comments.
type GatewayConfig struct {
	Users    user.Service
	Rooms    room.Service
	Messages message.Service
	Hub      *Hub
	Logger   *slog.Logger
	// Sessions redeems ?ticket= and re-checks live sockets' sessions every
	// HeartbeatInterval (so a socket whose session-ended event was lost
	// still closes). Nil: tickets are refused and sockets live until their
	// token expires.
	Sessions user.Sessions

	SendQueue         int           // frames queued per socket before it counts as slow (256)
	ReadLimit         int64         // largest client frame in bytes (64 KiB)
	PingInterval      time.Duration // keepalive ping period (25s)
	WriteTimeout      time.Duration // bound on every write and ping (10s)
	HeartbeatInterval time.Duration // presence refresh period of Run (10s)
	InstanceID        string        // prefix of connection ids (a random UUID)
	// AllowedOrigins are extra Origin host patterns (path.Match syntax)
	// allowed to open sockets; the request's own host is always allowed.
	AllowedOrigins []string

	MessageRate  float64 // client frames per second per socket, typing aside (20)
	MessageBurst int     // bucket size of MessageRate (40)

	// Observer hears of sockets opening and closing and of client frames
	// (metrics); nil: nobody.
	Observer ports.SocketObserver
}

const (
	replayPage        = message.PageMax // history page size of a resume
	typingInterval    = 2 * time.Second // at most one typing event per socket per interval
	disconnectTimeout = 5 * time.Second
)

// Gateway serves GET /ws/rooms/{room_id}. It refuses bad requests, bad
// tokens and non-members before the upgrade with a problem+json response,
// then runs the socket until the client leaves, the server drops it, or
// Shutdown.
type Gateway struct {
	cfg  GatewayConfig
	log  *slog.Logger
	now  func() time.Time // tests pin it for rate limits
	conn atomic.Uint64    // connection id counter

	mu       sync.Mutex
	sessions map[*session]bool // value: Rooms.Connect succeeded (presence is live)
	shutting bool
	wg       sync.WaitGroup // one per tracked session
}

var _ http.Handler = (*Gateway)(nil)

// NewGateway returns a gateway; see GatewayConfig for defaults.
func NewGateway(cfg GatewayConfig) *Gateway {
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = 256
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = 64 << 10
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 10 * time.Second
	}
	if cfg.InstanceID == "" {
		cfg.InstanceID = uuid.NewString()
	}
	if cfg.MessageRate <= 0 {
		cfg.MessageRate = 20
	}
	if cfg.MessageBurst <= 0 {
		cfg.MessageBurst = 40
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = ports.Unobserved{}
	}
	return &Gateway{cfg: cfg, log: cfg.Logger, now: time.Now, sessions: make(map[*session]bool)}
}

// ServeHTTP checks the request, upgrades it and serves the socket until it
// closes. The room id is the last path segment (or the room_id path value).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		roomID   room.ID
		afterSeq int64
		resume   bool
	)
	claims, ok := g.admit(w, r, func() (err error) {
		if roomID, err = parseRoomID(r); err != nil {
			return err
		}
		afterSeq, resume, err = parseAfterSeq(r.URL.Query())
		return err
	})
	if !ok {
		return
	}
	if err := g.cfg.Rooms.Authorize(ctx, claims.UserID, roomID); err != nil {
		g.refuse(w, r, err)
		return
	}
	// Subscribe before the handshake completes: once the client sees 101,
	// every event published from then on reaches this socket (it queues
	// until the writer starts). Registering after Accept left a window in
	// which a message sent right after connecting was never delivered.
	id := fmt.Sprintf("%s-%d", g.cfg.InstanceID, g.conn.Add(1))
	sock := newSocket(id, roomID, claims.UserID, g.cfg.SendQueue)
	sock.sessionID = claims.SessionID
	if err := g.cfg.Hub.Register(ctx, sock); err != nil {
		g.refuse(w, r, fmt.Errorf("register socket in room %d: %w", roomID, err))
		return
	}
	ww := &wireWriter{ResponseWriter: w, timeout: g.cfg.WriteTimeout}
	conn, err := websocket.Accept(ww, r, &websocket.AcceptOptions{OriginPatterns: g.cfg.AllowedOrigins})
	if err != nil {
		// Accept has answered (bad handshake or origin).
		g.cfg.Hub.Unregister(sock)
		g.log.DebugContext(ctx, "ws: upgrade refused", "room_id", int64(roomID), "err", err)
		return
	}
	conn.SetReadLimit(g.cfg.ReadLimit)

	s := g.newSession(ctx, sock, claims)
	s.registered, s.conn, s.wire = true, conn, ww.wire
	if !g.track(s) {
		s.cancel()
		g.cfg.Hub.Unregister(sock)
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	s.serve(afterSeq, resume) // returns once the reader and writer run; the session untracks itself
}

// admit runs the checks every socket passes before its upgrade, in this
// order: the origin, the request's own parameters (parse), the credential,
// and that the gateway still takes sockets. False: the refusal is written.
func (g *Gateway) admit(w http.ResponseWriter, r *http.Request, parse func() error) (user.Claims, bool) {
	if err := checkOrigin(r, g.cfg.AllowedOrigins); err != nil {
		writeProblem(w, err)
		return user.Claims{}, false
	}
	if err := parse(); err != nil {
		writeProblem(w, err)
		return user.Claims{}, false
	}
	claims, err := g.authenticate(r.Context(), r)
	if err != nil {
		g.refuse(w, r, err)
		return user.Claims{}, false
	}
	if g.isShutting() {
		writeProblem(w, domain.Errorf(domain.Unavailable, "shutting_down", "the server is shutting down"))
		return user.Claims{}, false
	}
	return claims, true
}

// authenticate redeems the one-time ticket, or else verifies the token.
// Any refusal of the credential itself is a 401; a failure of ours
// (Internal, Unavailable) keeps its kind.
func (g *Gateway) authenticate(ctx context.Context, r *http.Request) (user.Claims, error) {
	var (
		claims user.Claims
		err    error
	)
	if ticket := r.URL.Query().Get("ticket"); ticket != "" {
		if g.cfg.Sessions == nil {
			return user.Claims{}, domain.Errorf(domain.Unauthenticated, "invalid_ticket", "tickets are not accepted here")
		}
		claims, err = g.cfg.Sessions.RedeemTicket(ctx, ticket)
	} else {
		token := bearerToken(r)
		if token == "" {
			return user.Claims{}, domain.Errorf(domain.Unauthenticated, "missing_token", "a ticket or an access token is required")
		}
		claims, err = g.cfg.Users.Authenticate(ctx, token)
	}
	switch k := domain.KindOf(err); {
	case err == nil, k == domain.Unauthenticated, k == domain.Internal, k == domain.Unavailable:
		return claims, err
	default:
		return claims, domain.Wrap(domain.Unauthenticated, "invalid_token", "the access token is not valid", err)
	}
}

// refuse answers a request that may not be upgraded.
func (g *Gateway) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if status := wire.Status(domain.KindOf(err)); status >= 500 {
		g.log.ErrorContext(r.Context(), "ws: refuse upgrade", "status", status, "err", err)
	}
	writeProblem(w, err)
}

// Run refreshes the presence of this instance's sockets every
// HeartbeatInterval until ctx ends, so that they stay online while a
// crashed instance's sockets expire. It returns nil.
func (g *Gateway) Run(ctx context.Context) error {
	t := time.NewTicker(g.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			g.heartbeat(ctx)
			g.checkSessions(ctx)
		}
	}
}

// checkSessions closes (4401) the sockets whose session has ended. Ending
// a session publishes an event that closes its sockets at once on every
// instance; this sweep is the repair when that event was lost (the bus
// delivers at most once). A check costs a cache lookup, not a query.
func (g *Gateway) checkSessions(ctx context.Context) {
	if g.cfg.Sessions == nil {
		return
	}
	g.mu.Lock()
	open := make([]*session, 0, len(g.sessions))
	for s := range g.sessions {
		open = append(open, s)
	}
	g.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, g.cfg.HeartbeatInterval)
	defer cancel()
	checked := make(map[string]error)
	for _, s := range open {
		err, seen := checked[s.claims.SessionID]
		if !seen {
			err = g.cfg.Sessions.Check(cctx, s.claims)
			checked[s.claims.SessionID] = err
		}
		if domain.KindOf(err) == domain.Unauthenticated {
			s.close(closeTokenExpired, "session ended")
		}
	}
}

func (g *Gateway) heartbeat(ctx context.Context) {
	conns := g.liveConns()
	if len(conns) == 0 {
		return
	}
	hctx, cancel := context.WithTimeout(ctx, g.cfg.HeartbeatInterval)
	defer cancel()
	if err := g.cfg.Rooms.Heartbeat(hctx, conns); err != nil {
		g.log.WarnContext(ctx, "ws: presence heartbeat", "conns", len(conns), "err", err)
	}
}

// liveConns lists the sockets whose presence is recorded.
func (g *Gateway) liveConns() []room.Conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	conns := make([]room.Conn, 0, len(g.sessions))
	for s, live := range g.sessions {
		if live {
			conns = append(conns, room.Conn{RoomID: s.roomID, UserID: s.userID, ID: s.id})
		}
	}
	return conns
}

// Shutdown closes every socket with 1001 (going away), so clients reconnect
// to another instance, and waits until their goroutines have ended or ctx
// is done. Requests arriving afterwards are refused with 503.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.shutting = true
	for s := range g.sessions {
		s.close(websocket.StatusGoingAway, "server shutting down")
	}
	g.mu.Unlock()

	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	// A closing handshake waits for the client's close frame (up to 5 s in
	// coder/websocket); a client that never answers must not hold the
	// shutdown past its grace: halfway through it, the sockets still open
	// are cut (cancelling a session's context ends its pending read, and
	// the library closes the connection under it).
	half := time.NewTimer(time.Until(halfway(ctx)))
	defer half.Stop()
	select {
	case <-done:
		return nil
	case <-half.C:
		g.mu.Lock()
		for s := range g.sessions {
			s.cancel()
		}
		g.mu.Unlock()
	case <-ctx.Done():
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ws gateway shutdown: %w", ctx.Err())
	}
}

// halfway is the moment half of ctx's time is left (now when it has no
// deadline, which shutdown contexts always have).
func halfway(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now()
	}
	return time.Now().Add(time.Until(d) / 2)
}

func (g *Gateway) isShutting() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.shutting
}

// track adds s to the sessions Shutdown closes; false once shutting down.
func (g *Gateway) track(s *session) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shutting {
		return false
	}
	g.sessions[s] = false
	g.wg.Add(1)
	g.cfg.Observer.SocketOpened(s.kind())
	return true
}

// untrack undoes track once the session has ended; s.code is its close
// code by then.
func (g *Gateway) untrack(s *session) {
	g.mu.Lock()
	delete(g.sessions, s)
	g.mu.Unlock()
	g.cfg.Observer.SocketClosed(s.kind(), s.code == websocket.StatusTryAgainLater)
	g.wg.Done()
}

// setLive records whether s's presence is live (for the heartbeat).
func (g *Gateway) setLive(s *session, live bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.sessions[s]; ok {
		g.sessions[s] = live
	}
}

// checkOrigin refuses a browser's cross-site socket before anything else
// runs, with a problem like every other refusal; websocket.Accept applies
// the same rule (its own answer would be text/plain). No Origin (not a
// browser), the request's own host, or a host matching one of patterns
// (path.Match, case-insensitive; a pattern with "://" matches
// scheme://host) passes.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	refused := domain.Errorf(domain.Forbidden, "origin_not_allowed", "this origin may not open sockets here")
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return refused
	}
	if strings.EqualFold(r.Host, u.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(target)); err == nil && ok {
			return nil
		}
	}
	return refused
}

func parseRoomID(r *http.Request) (room.ID, error) {
	v := r.PathValue("room_id")
	if v == "" {
		p := strings.TrimSuffix(r.URL.Path, "/")
		v = p[strings.LastIndexByte(p, '/')+1:]
	}
	n, ok := parseDigits(v)
	if !ok || n <= 0 {
		return 0, wire.Refuse(http.StatusBadRequest, "invalid_room_id", "room id must be a positive integer", nil)
	}
	return room.ID(n), nil
}

// parseAfterSeq reads the optional resume cursor; resume reports whether
// it was given.
func parseAfterSeq(q url.Values) (seq int64, resume bool, err error) {
	if !q.Has("after_seq") {
		return 0, false, nil
	}
	n, ok := parseDigits(q.Get("after_seq"))
	if !ok {
		return 0, false, wire.Refuse(http.StatusBadRequest, "invalid_cursor", "after_seq must be a non-negative integer", nil)
	}
	return n, true, nil
}

// parseDigits accepts only plain decimal digits (no sign, no spaces).
func parseDigits(v string) (int64, bool) {
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func bearerToken(r *http.Request) string {
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	h := r.Header.Get("Authorization")
	if len(h) > len("Bearer ") && strings.EqualFold(h[:len("Bearer ")], "Bearer ") {
		return strings.TrimSpace(h[len("Bearer "):])
	}
	return ""
}
