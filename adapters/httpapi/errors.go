package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"chat/domain"
)

// MIMEProblem is the media type of every error response (RFC 9457).
const MIMEProblem = "application/problem+json"

// Problem is an RFC 9457 problem document with the contract's stable code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// requestError is a client mistake found by the adapter itself, before any
// use case runs (malformed JSON, a non-numeric id): always a 4xx with its
// own code, unlike domain Invalid (422).
type requestError struct {
	status int
	code   string
	detail string
	err    error
}

func (e *requestError) Error() string {
	if e.err != nil {
		return e.detail + ": " + e.err.Error()
	}
	return e.detail
}

func (e *requestError) Unwrap() error { return e.err }

func malformed(detail string, err error) error {
	return &requestError{status: http.StatusBadRequest, code: "malformed_request", detail: detail, err: err}
}

// kindStatus is the one table from error kinds to HTTP statuses.
var kindStatus = map[domain.Kind]int{
	domain.Internal:        http.StatusInternalServerError,
	domain.Invalid:         http.StatusUnprocessableEntity,
	domain.Unauthenticated: http.StatusUnauthorized,
	domain.Forbidden:       http.StatusForbidden,
	domain.NotFound:        http.StatusNotFound,
	domain.Conflict:        http.StatusConflict,
	domain.TooMany:         http.StatusTooManyRequests,
	domain.Unavailable:     http.StatusServiceUnavailable,
	domain.Unsupported:     http.StatusUnsupportedMediaType,
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
	var re *requestError
	var he *echo.HTTPError
	var de *domain.Error
	switch {
	case errors.As(err, &re):
		return newProblem(re.status, re.code, re.detail)
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
	case errors.As(err, &de) && de.Kind != domain.Internal:
		status, ok := kindStatus[de.Kind]
		if !ok {
			break
		}
		code := domain.CodeOf(err)
		if de.Kind == domain.TooMany && code == "file_too_large" {
			status = http.StatusRequestEntityTooLarge
		}
		return newProblem(status, code, domain.MessageOf(err))
	}
	return newProblem(http.StatusInternalServerError, "internal", "internal error")
}

// retryAfterSeconds is the Retry-After value for d: whole seconds, rounded
// up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

func newProblem(status int, code, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
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
			slog.String("path", r.URL.EscapedPath()), slog.String("error", err.Error()))
	case p.Status == http.StatusServiceUnavailable && domain.RetryAfterOf(err) == 0:
		// (A 503 with a Retry-After is load we shed on purpose, not a
		// failing dependency: logging each one would amplify a flood.)
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "dependency unavailable",
			slog.String("request_id", requestIDOf(c)), slog.String("path", r.URL.EscapedPath()),
			slog.String("error", err.Error()))
	}
	if c.Response().Committed {
		return
	}
	h := c.Response().Header()
	if p.Status == http.StatusUnauthorized {
		h.Set(echo.HeaderWWWAuthenticate, `Bearer`)
	}
	if d := domain.RetryAfterOf(err); d > 0 {
		h.Set(echo.HeaderRetryAfter, retryAfterSeconds(d))
	}
	if r.Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	body, _ := json.Marshal(p) // strings and an int: cannot fail
	_ = c.Blob(p.Status, MIMEProblem, body)
}
