package domain

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it. Driving
// adapters map kinds to status codes (HTTP), close codes (WebSocket) and job
// outcomes (River) in exactly one place each.
type Kind uint8

const (
	Internal        Kind = iota // a fault of ours; details only in logs
	Invalid                     // the request is malformed or breaks an invariant
	Unauthenticated             // no valid credentials
	Forbidden                   // authenticated, but not allowed
	NotFound                    // no such thing (or the caller may not know it exists)
	Conflict                    // clashes with existing state (a taken username)
	TooMany                     // rate or size limit reached
	Unavailable                 // a dependency is down; retry later
	Unsupported                 // a media type we do not accept
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not_found", "conflict", "too_many", "unavailable", "unsupported"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is the project's error type. Msg is safe to show to clients; Err is
// the cause, for logs only. Code is a stable machine-readable identifier
// ("username_taken"); empty means the kind's name. RetryAfter, when set, is
// how long the client should wait before trying again (a rate limit, a
// server shedding load); the driving edge sends it (Retry-After, a socket
// frame's retry_after).
type Error struct {
	Kind       Kind
	Code       string
	Msg        string
	Err        error
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Msg != "":
		return e.Msg + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	default:
		return e.Msg
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a client-facing error of kind k with a stable code.
func Errorf(k Kind, code, format string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap attaches a kind to a cause without exposing the cause to clients.
func Wrap(k Kind, code, msg string, err error) *Error {
	return &Error{Kind: k, Code: code, Msg: msg, Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, Internal if
// there is none, and Internal for nil (callers check nil first).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// CodeOf returns the stable code of err, or its kind's name.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		return e.Kind.String()
	}
	return Internal.String()
}

// MessageOf returns the client-safe message of err; for Internal errors and
// foreign errors a generic text, so causes never leak.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal && e.Msg != "" {
		return e.Msg
	}
	return "internal error"
}

// Limited is a TooMany error with the code "rate_limited" that tells the
// client to retry after d.
func Limited(d time.Duration, format string, args ...any) *Error {
	return &Error{Kind: TooMany, Code: "rate_limited", Msg: fmt.Sprintf(format, args...), RetryAfter: d}
}

// RetryAfterOf returns the RetryAfter of the first *Error in err's chain,
// zero when there is none.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
