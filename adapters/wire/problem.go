package wire

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

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

// NewProblem is the problem of status with code and detail.
func NewProblem(status int, code, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

// Marshal encodes p.
func (p Problem) Marshal() []byte {
	b, err := json.Marshal(p)
	if err != nil { // strings and an int: cannot fail
		panic(err)
	}
	return b
}

// kindStatus is the one table from error kinds to HTTP statuses, for REST
// and for the WebSocket's refusals before the upgrade.
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

// Status is the HTTP status of an error of kind k (500 for a kind the table
// does not know).
func Status(k domain.Kind) int {
	if s, ok := kindStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RequestError is a client mistake a driving adapter finds itself, before
// any use case runs (malformed JSON, a non-numeric id in a path): a 4xx of
// its own status and code, unlike a domain Invalid (422).
type RequestError struct {
	Status int
	Code   string
	Detail string // safe for clients
	Err    error  // for logs
}

// Refuse is a RequestError.
func Refuse(status int, code, detail string, err error) *RequestError {
	return &RequestError{Status: status, Code: code, Detail: detail, Err: err}
}

func (e *RequestError) Error() string {
	if e.Err != nil {
		return e.Detail + ": " + e.Err.Error()
	}
	return e.Detail
}

func (e *RequestError) Unwrap() error { return e.Err }

// ProblemOf maps a RequestError or a domain error to its problem. Only the domain's
// client-safe message reaches detail; an Internal error, or one that is not
// a domain error, is a bare 500.
func ProblemOf(err error) Problem {
	var re *RequestError
	if errors.As(err, &re) {
		return NewProblem(re.Status, re.Code, re.Detail)
	}
	k := domain.KindOf(err)
	status, ok := kindStatus[k]
	if !ok || k == domain.Internal {
		return NewProblem(http.StatusInternalServerError, "internal", "internal error")
	}
	code := domain.CodeOf(err)
	if k == domain.TooMany && code == "file_too_large" {
		status = http.StatusRequestEntityTooLarge
	}
	return NewProblem(status, code, domain.MessageOf(err))
}

// RetryAfterSeconds is a wait in whole seconds, rounded up, at least 1; 0
// for no wait. It is the value of Retry-After and of an error frame's
// retry_after.
func RetryAfterSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return max(1, int((d+time.Second-1)/time.Second))
}

// SetProblemHeaders sets the headers that go with p for err: the
// problem's media type, a Bearer challenge on 401 and Retry-After when err
// asks the client to wait.
func SetProblemHeaders(h http.Header, p Problem, err error) {
	h.Set("Content-Type", MIMEProblem)
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", "Bearer")
	}
	if s := RetryAfterSeconds(domain.RetryAfterOf(err)); s > 0 {
		h.Set("Retry-After", strconv.Itoa(s))
	}
}

// WriteProblem answers w with err's problem and its headers.
func WriteProblem(w http.ResponseWriter, err error) {
	p := ProblemOf(err)
	SetProblemHeaders(w.Header(), p, err)
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(p.Marshal(), '\n'))
}

// Close codes of the wire contract beyond RFC 6455's.
const (
	ClosePolicyViolation = 1008 // a rate limit
	CloseInternalError   = 1011
	CloseTryAgainLater   = 1013 // a slow consumer, an unavailable dependency
	CloseTokenExpired    = 4401 // the token expired or the session ended
	CloseRemoved         = 4403 // removed from the room, or the room deleted
	CloseSuspended       = 4423 // an administrator suspended the account: do not reconnect
)

// CloseCode is the one table from error kinds to close codes, for errors
// that end a socket after the upgrade.
func CloseCode(k domain.Kind) int {
	switch k {
	case domain.Forbidden, domain.NotFound:
		return CloseRemoved
	case domain.Unauthenticated:
		return CloseTokenExpired
	case domain.TooMany:
		return ClosePolicyViolation
	case domain.Unavailable:
		return CloseTryAgainLater
	default:
		return CloseInternalError
	}
}
