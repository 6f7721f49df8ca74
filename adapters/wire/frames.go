package wire

import (
	"encoding/json"

	"chat/domain"
)

// errorFrame is the `error` event sent for a rejected client frame.
// RetryAfter (whole seconds) is set when the client should wait before
// sending again (a rate limit).
type errorFrame struct {
	Type       string `json:"type"`
	Code       string `json:"code"`
	Detail     string `json:"detail"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

// ErrorFrame is the `error` event answering a rejected client frame.
func ErrorFrame(err error) []byte {
	return marshal(errorFrame{Type: "error", Code: domain.CodeOf(err), Detail: domain.MessageOf(err),
		RetryAfter: RetryAfterSeconds(domain.RetryAfterOf(err))})
}

// marshal encodes a frame of strings, integers and booleans: it cannot fail.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
