package httpapi

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"chat/domain"
	"chat/domain/user"
)

const (
	actorKey     = "httpapi.actor"
	claimsKey    = "httpapi.claims"
	requestIDMax = 128
)

// requestID keeps a sane incoming X-Request-ID or makes one, and echoes it
// on the response.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = rand.Text()
			c.Request().Header.Set(echo.HeaderXRequestID, id)
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > requestIDMax {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func requestIDOf(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// accessLog writes one line per request once the response is written, and
// tells the observer its route, status and latency. An error from the
// chain is handed to the error handler here, so the line carries the final
// status. Bodies are never logged; the token query is
// redacted.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		r := c.Request()
		took := time.Since(start)
		s.cfg.Observer.Request(r.Method, c.Path(), c.Response().Status, took)
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", redactedURI(r.URL)),
			slog.Int("status", c.Response().Status),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000),
			slog.String("request_id", requestIDOf(c)),
		}
		if id, ok := c.Get(actorKey).(user.ID); ok {
			attrs = append(attrs, slog.Int64("user_id", int64(id)))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		return nil
	}
}

// secretParams are query parameters whose values never reach a log: a
// signed link's sig opens the file for anyone who holds it, like a token;
// a WebSocket ticket opens a socket; a search's q is words of the
// messages someone looks for, as private as the messages.
var secretParams = map[string]bool{"token": true, "access_token": true, "sig": true, "ticket": true, "q": true}

// redactedURI is the path and query of u with secret values replaced,
// keeping everything else as the client sent it.
func redactedURI(u *url.URL) string {
	p := redactedPath(u.EscapedPath())
	if u.RawQuery == "" {
		return p
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); err != nil || secretParams[strings.ToLower(name)] {
			parts[i] = k + "=REDACTED"
		}
	}
	return p + "?" + strings.Join(parts, "&")
}

// secretSegments are path segments followed by a secret: an invite's code
// lets whoever holds it into a private room.
var secretSegments = []string{"/invites/", "/invite/"}

// redactedPath is p with the secret segment after each of secretSegments
// replaced.
func redactedPath(p string) string {
	for _, seg := range secretSegments {
		i := strings.Index(p, seg)
		if i < 0 {
			continue
		}
		start := i + len(seg)
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p) - start
		}
		if end > 0 {
			p = p[:start] + "REDACTED" + p[start+end:]
		}
	}
	return p
}

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		return next(c)
	}
}

// recoverPanic turns a panic into an Internal error, which the error handler
// answers with a 500 and logs once with the stack.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			stack := make([]byte, 4<<10)
			stack = stack[:runtime.Stack(stack, false)]
			err = fmt.Errorf("panic: %v\n%s", r, stack)
		}()
		return next(c)
	}
}

// RequireAuth returns the middleware that admits only requests with a valid
// bearer token and records the caller for Actor.
func (s *Server) RequireAuth() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token, ok := bearerToken(c.Request())
			if !ok {
				return domain.Errorf(domain.Unauthenticated, "missing_token", "a bearer token is required")
			}
			claims, err := s.cfg.Users.Authenticate(c.Request().Context(), token)
			if err != nil {
				return err
			}
			c.Set(actorKey, claims.UserID)
			c.Set(claimsKey, claims)
			return next(c)
		}
	}
}

// claimsOf is what the token of a route behind RequireAuth said (its
// session included).
func claimsOf(c echo.Context) user.Claims {
	claims, _ := c.Get(claimsKey).(user.Claims)
	return claims
}

// Actor is the authenticated caller of a route behind RequireAuth; zero
// elsewhere.
func Actor(c echo.Context) user.ID {
	id, _ := c.Get(actorKey).(user.ID)
	return id
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
