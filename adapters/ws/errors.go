package ws

import (
	"net/http"

	"github.com/coder/websocket"

	"chat/adapters/wire"
	"chat/domain"
)

// Close codes of the wire contract beyond RFC 6455's.
const (
	closeTokenExpired websocket.StatusCode = wire.CloseTokenExpired
	closeRemoved      websocket.StatusCode = wire.CloseRemoved
	closeSuspended    websocket.StatusCode = wire.CloseSuspended
)

// closeCode is wire's table from error kinds to close codes.
func closeCode(k domain.Kind) websocket.StatusCode { return websocket.StatusCode(wire.CloseCode(k)) }

// writeProblem refuses a request before the upgrade, with wire's one table
// from error kinds to statuses.
func writeProblem(w http.ResponseWriter, err error) { wire.WriteProblem(w, err) }

func encodeError(err error) []byte { return wire.ErrorFrame(err) }

// closeReason is the fixed reason text sent with a close code.
func closeReason(code websocket.StatusCode) string {
	switch code {
	case closeRemoved:
		return "removed from room"
	case closeTokenExpired:
		return "token expired"
	case closeSuspended:
		return "account suspended"
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
