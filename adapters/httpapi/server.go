package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"chat/adapters/wire"
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/push"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
)

// JSONBodyLimit caps the body of every JSON route. Upload routes set their
// own limits (files.go).
const JSONBodyLimit = "1MiB"

// Config is what the server needs. Users, Rooms and Messages are required;
// the rest is optional.
type Config struct {
	Users    user.Service
	Rooms    room.Service
	Messages message.Service

	// WebSocket serves GET /ws/rooms/:room_id; it authenticates itself and
	// finds the room id in r.PathValue("room_id"). Nil answers 503.
	WebSocket http.Handler
	// Stream serves GET /ws, the user stream; it authenticates itself.
	// Nil answers 503.
	Stream http.Handler
	// Ready reports whether the dependencies answer (GET /readyz). Nil
	// means always ready.
	Ready func(ctx context.Context) error
	// Logger receives the access log and Internal errors. Nil discards.
	Logger *slog.Logger
	// OpenAPI is the document served at GET /openapi.yaml (docs.OpenAPI).
	OpenAPI []byte
	// Static serves GET and HEAD requests that match no route and are not
	// under an API prefix (the web client). Nil answers 404.
	Static http.Handler
	// Links signs and checks the links of files and avatars. Nil: avatar_url
	// is null, the files of messages carry unsigned paths, and the file
	// routes answer 503.
	Links *wire.Links
	// Sessions serves logout, password change, account deletion and
	// WebSocket tickets. Nil answers those routes with 503.
	Sessions user.Sessions
	// Invites serves room invites. Nil answers those routes with 503.
	Invites room.Invites
	// Files serves room files and avatars (uploads, lists, downloads by
	// token or signed link). Nil answers those routes with 503.
	Files attachment.Service
	// Push serves Web Push subscriptions and room mutes (push.go). Nil
	// answers those routes with 503.
	Push push.Service
	// Admin serves the /admin routes; Jobs is the job dashboard (River
	// UI) mounted at /admin/jobs for administrators. Nil answers those
	// routes with 503.
	Admin Admin
	Jobs  http.Handler

	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For is believed: a request from one of them is counted
	// against the nearest address in that header that is not itself
	// trusted. Empty: every request is counted against the connection's
	// peer, and forwarding headers are ignored.
	TrustedProxies []netip.Prefix
	// BodyTimeout bounds reading a request's body (from the end of its
	// headers); UploadTimeout replaces it on the upload routes. Zero:
	// DefaultBodyTimeout and DefaultUploadTimeout. Requests without a body
	// (WebSocket upgrades among them) get no deadline from here.
	BodyTimeout   time.Duration
	UploadTimeout time.Duration

	// Observer hears of every request's latency and status by route
	// template (metrics). Nil: nobody.
	Observer ports.RequestObserver
}

// Defaults of Config's timeouts.
const (
	DefaultBodyTimeout   = 30 * time.Second
	DefaultUploadTimeout = 10 * time.Minute
)

// Server is the REST adapter. Build it with New and serve Handler().
type Server struct {
	cfg  Config
	log  *slog.Logger
	echo *echo.Echo
}

// New builds the server and registers every route.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = DefaultUploadTimeout
	}
	if cfg.Observer == nil {
		cfg.Observer = ports.Unobserved{}
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s := &Server{cfg: cfg, log: log, echo: e}
	e.HTTPErrorHandler = s.handleError
	// Outermost first: every response, even a panic's, has a request id,
	// security headers and an access-log line.
	e.Use(requestID, s.accessLog, securityHeaders, s.recoverPanic, s.staticFallback, clientAddr, s.bodyDeadline)
	s.routes()
	return s
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo exposes the router so other driving adapters can add routes (they
// get the same middleware and error handler). Use RequireAuth and Actor for
// authenticated routes and document them in docs/openapi.yaml.
func (s *Server) Echo() *echo.Echo { return s.echo }

// routes is the whole route table, in one place so the OpenAPI test sees
// every route.
func (s *Server) routes() {
	e := s.echo
	auth := s.RequireAuth()
	limit := middleware.BodyLimit(JSONBodyLimit)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.yaml", s.openAPI)

	e.POST("/auth/register", s.register, limit)
	e.POST("/auth/login", s.login, limit)
	e.POST("/auth/logout", s.logout, limit, auth)
	e.POST("/auth/logout-all", s.logoutAll, limit, auth)

	e.GET("/users/me", s.me, auth)
	e.PATCH("/users/me", s.updateMe, limit, auth)
	e.DELETE("/users/me", s.deleteMe, limit, auth)
	e.PUT("/users/me/password", s.changePassword, limit, auth)

	e.POST("/rooms", s.createRoom, limit, auth)
	e.GET("/rooms", s.listRooms, auth)
	e.GET("/rooms/:id", s.getRoom, auth)
	e.PATCH("/rooms/:id", s.updateRoom, limit, auth)
	e.DELETE("/rooms/:id", s.deleteRoom, auth)
	e.POST("/rooms/:id/owner", s.transferRoom, limit, auth)
	e.POST("/rooms/:id/join", s.joinRoom, limit, auth)
	e.DELETE("/rooms/:id/leave", s.leaveRoom, limit, auth)
	e.GET("/rooms/:id/members", s.members, auth)
	e.POST("/rooms/:id/members", s.addMember, limit, auth)
	e.DELETE("/rooms/:id/members/:user_id", s.removeMember, auth)
	e.POST("/rooms/:id/read", s.markRead, limit, auth)
	e.POST("/rooms/:id/invites", s.createInvite, limit, auth)
	e.GET("/rooms/:id/invites", s.listInvites, auth)
	e.DELETE("/rooms/:id/invites/:code", s.revokeInvite, auth)
	e.GET("/invites/:code", s.viewInvite, auth)
	e.POST("/invites/:code/accept", s.acceptInvite, limit, auth)
	e.GET("/rooms/:id/messages", s.history, auth)
	e.POST("/rooms/:id/messages", s.sendMessage, limit, auth)
	e.GET("/rooms/:id/messages/:message_id", s.getMessage, auth)
	e.PATCH("/rooms/:id/messages/:message_id", s.editMessage, limit, auth)
	e.DELETE("/rooms/:id/messages/:message_id", s.deleteMessage, auth)
	e.GET("/rooms/:id/messages/:message_id/versions", s.messageVersions, auth)
	e.PUT("/rooms/:id/messages/:message_id/reactions/:emoji", s.addReaction, limit, auth)
	e.DELETE("/rooms/:id/messages/:message_id/reactions/:emoji", s.removeReaction, limit, auth)
	e.GET("/search", s.search, auth)
	e.POST("/dms", s.openDirect, limit, auth)
	e.GET("/scheduled", s.listScheduled, auth)
	e.PATCH("/scheduled/:scheduled_id", s.updateScheduled, limit, auth)
	e.DELETE("/scheduled/:scheduled_id", s.cancelScheduled, auth)

	// Uploads stream their multipart body and limit it themselves.
	e.POST("/rooms/:id/files", s.uploadFile, auth)
	e.GET("/rooms/:id/files", s.listFiles, auth)
	e.POST("/users/me/avatar", s.uploadAvatar, auth)
	// Downloads take a Bearer token or a signed link (an <img src> has no
	// header), so they authenticate in the handler.
	e.GET("/files/:id", s.downloadFile)
	e.GET("/files/:id/thumbnail", s.downloadThumbnail)
	e.GET("/avatars/:user_id/:name", s.downloadAvatar)

	// The socket authenticates itself (a one-time ticket, or the token as a
	// query parameter or Bearer header) before the upgrade.
	e.POST("/ws/tickets", s.issueTicket, limit, auth)
	e.GET("/ws/rooms/:room_id", s.webSocket)
	e.GET("/ws", s.userStream)

	s.pushRoutes(limit, auth)
	s.adminRoutes(e, auth, limit)
}

// apiPrefixes are the paths the web client may never shadow. /metrics
// is served on its own listener (METRICS_ADDR), never here: it is 404.
var apiPrefixes = []string{"/auth/", "/users/", "/rooms", "/ws", "/invites/", "/files/", "/avatars/", "/dms", "/scheduled", "/search", "/healthz", "/readyz", "/openapi.yaml", "/metrics", "/push/", "/admin"}

func isAPIPath(p string) bool {
	if p == "/users" {
		return true
	}
	for _, pre := range apiPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// staticRoute is the route the web client's files are observed under.
const staticRoute = "static"

// staticFallback hands GET and HEAD requests that matched no route, outside
// the API, to the web client. It is middleware rather than a not-found route
// because echo prefers a not-found route to answering 405.
func (s *Server) staticFallback(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		r := c.Request()
		if err == echo.ErrNotFound && s.cfg.Static != nil && !c.Response().Committed &&
			(r.Method == http.MethodGet || r.Method == http.MethodHead) && !isAPIPath(r.URL.Path) {
			c.SetPath(staticRoute)
			s.cfg.Static.ServeHTTP(c.Response(), r)
			return nil
		}
		return err
	}
}

func (s *Server) webSocket(c echo.Context) error {
	if s.cfg.WebSocket == nil {
		return domain.Errorf(domain.Unavailable, "websocket_unavailable", "the WebSocket gateway is not running")
	}
	r := c.Request()
	r.SetPathValue("room_id", c.Param("room_id"))
	s.cfg.WebSocket.ServeHTTP(c.Response(), r)
	return nil
}

func (s *Server) userStream(c echo.Context) error {
	if s.cfg.Stream == nil {
		return domain.Errorf(domain.Unavailable, "websocket_unavailable", "the WebSocket gateway is not running")
	}
	s.cfg.Stream.ServeHTTP(c.Response(), c.Request())
	return nil
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, wire.State{Status: "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.Request().Context()); err != nil {
			var de *domain.Error
			if errors.As(err, &de) && de.Kind == domain.Unavailable && de.Msg != "" {
				return err // says which dependency, safely
			}
			return domain.Wrap(domain.Unavailable, "not_ready", "a dependency is unavailable", err)
		}
	}
	return c.JSON(http.StatusOK, wire.State{Status: "ok"})
}

func (s *Server) openAPI(c echo.Context) error {
	if len(s.cfg.OpenAPI) == 0 {
		return echo.ErrNotFound
	}
	return c.Blob(http.StatusOK, "application/yaml", s.cfg.OpenAPI)
}
