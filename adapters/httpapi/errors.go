package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"chat/adapters/wire"
	"chat/domain"
)

// MIMEProblem is the media type of every error response (RFC 9457).
const MIMEProblem = wire.MIMEProblem

// Problem is an RFC 9457 problem document with the contract's stable code.
type Problem = wire.Problem

func malformed(detail string, err error) error {
	return wire.Refuse(http.StatusBadRequest, "malformed_request", detail, err)
}

// echoCodes names echo's own errors (unknown route, wrong method, body too
// large, …) with stable codes.
var echoCodes = map[int]string{
	http.StatusBadRequest:            "malformed_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusServiceUnavailable:    "unavailable",
	http.StatusRequestTimeout:        "request_timeout",
}

// problemOf maps any error to the problem sent to the client. Only the
// domain's client-safe message or the adapter's own text reaches detail.
func problemOf(err error) Problem {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		if inner, ok := he.Internal.(*echo.HTTPError); ok {
			he = inner
		}
		code, ok := echoCodes[he.Code]
		if !ok {
			code = strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")
		}
		detail := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && m != "" {
			detail = m
		}
		if he.Code >= 500 {
			detail = "internal error"
		}
		return newProblem(he.Code, code, detail)
	}
	return wire.ProblemOf(err)
}

func newProblem(status int, code, detail string) Problem {
	return wire.NewProblem(status, code, detail)
}

// handleError is echo's HTTPErrorHandler: the only place errors become
// responses. Server faults are logged here, once, with the request id.
func (s *Server) handleError(err error, c echo.Context) {
	p := problemOf(err)
	r := c.Request()
	switch {
	case p.Status >= 500 && p.Status != http.StatusServiceUnavailable:
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestIDOf(c)), slog.String("method", r.Method),
			slog.String("path", redactedPath(r.URL.EscapedPath())), slog.String("error", err.Error()))
	case p.Status == http.StatusServiceUnavailable && domain.RetryAfterOf(err) == 0:
		// (A 503 with a Retry-After is load we shed on purpose, not a
		// failing dependency: logging each one would amplify a flood.)
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "dependency unavailable",
			slog.String("request_id", requestIDOf(c)), slog.String("path", redactedPath(r.URL.EscapedPath())),
			slog.String("error", err.Error()))
	}
	if c.Response().Committed {
		return
	}
	wire.SetProblemHeaders(c.Response().Header(), p, err)
	if r.Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.Blob(p.Status, MIMEProblem, p.Marshal())
}
