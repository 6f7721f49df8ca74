package ws

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"chat/domain"
)

// Close codes of the wire contract beyond RFC 6455's.
const (
	closeTokenExpired websocket.StatusCode = 4401
	closeRemoved      websocket.StatusCode = 4403
)

// closeCode is the one table from error kinds to close codes, for errors
// that end a socket after the upgrade.
func closeCode(k domain.Kind) websocket.StatusCode {
	switch k {
	case domain.Forbidden, domain.NotFound:
		return closeRemoved
	case domain.Unauthenticated:
		return closeTokenExpired
	case domain.TooMany:
		return websocket.StatusPolicyViolation
	case domain.Unavailable:
		return websocket.StatusTryAgainLater
	default:
		return websocket.StatusInternalError
	}
}

// httpStatus maps error kinds to statuses for refusals before the upgrade.
func httpStatus(k domain.Kind) int {
	switch k {
	case domain.Invalid:
		return http.StatusBadRequest
	case domain.Unauthenticated:
		return http.StatusUnauthorized
	case domain.Forbidden:
		return http.StatusForbidden
	case domain.NotFound:
		return http.StatusNotFound
	case domain.Conflict:
		return http.StatusConflict
	case domain.TooMany:
		return http.StatusTooManyRequests
	case domain.Unavailable:
		return http.StatusServiceUnavailable
	case domain.Unsupported:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusInternalServerError
	}
}

// problem is an RFC 9457 problem document, as the HTTP API writes them.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

func writeProblem(w http.ResponseWriter, err error) {
	status := httpStatus(domain.KindOf(err))
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="chat"`)
	}
	if s := retryAfterSeconds(domain.RetryAfterOf(err)); s > 0 {
		h.Set("Retry-After", strconv.Itoa(s))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: domain.MessageOf(err), Code: domain.CodeOf(err),
	})
}

// errorFrame is the `error` event sent for a rejected client frame.
// RetryAfter (whole seconds) is set when the client should wait before
// sending again (a rate limit).
type errorFrame struct {
	Type       string `json:"type"`
	Code       string `json:"code"`
	Detail     string `json:"detail"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1; 0 for
// no wait.
func retryAfterSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return max(1, int((d+time.Second-1)/time.Second))
}

func encodeError(err error) []byte {
	b, mErr := json.Marshal(errorFrame{Type: "error", Code: domain.CodeOf(err), Detail: domain.MessageOf(err),
		RetryAfter: retryAfterSeconds(domain.RetryAfterOf(err))})
	if mErr != nil { // strings only: cannot fail
		panic(mErr)
	}
	return b
}

// closeReason is the fixed reason text sent with a close code.
func closeReason(code websocket.StatusCode) string {
	switch code {
	case closeRemoved:
		return "removed from room"
	case closeTokenExpired:
		return "token expired"
	case websocket.StatusPolicyViolation:
		return "rate limit exceeded"
	case websocket.StatusTryAgainLater:
		return "try again later"
	case websocket.StatusGoingAway:
		return "going away"
	default:
		return "internal error"
	}
}
