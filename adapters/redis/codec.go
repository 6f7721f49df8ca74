package redis

import (
	"encoding/binary"
	"errors"

	"chat/domain/user"
	"chat/ports"
)

// An event travels on its room's channel as a small binary header and the
// Frame bytes as they are, so a frame is never re-encoded or escaped:
//
//	byte    format version (eventV1)
//	byte    ports.EventKind
//	varint  Seq
//	varint  UserID
//	…       Frame (empty for a nil Frame); for EventSessionEnded, which has
//	        no frame, the ended session's id
//
// The room is the channel's, so it is not repeated. A receiver drops what
// it cannot decode, including kinds it does not know: an older instance
// must not guess what a newer one meant.
const eventV1 = 1

var errBadEvent = errors.New("malformed bus event")

func encodeEvent(e ports.Event) []byte {
	b := make([]byte, 0, 2+2*binary.MaxVarintLen64+len(e.Frame))
	b = append(b, eventV1, byte(e.Kind))
	b = binary.AppendVarint(b, e.Seq)
	b = binary.AppendVarint(b, int64(e.UserID))
	if e.Kind == ports.EventSessionEnded {
		return append(b, e.Session...)
	}
	return append(b, e.Frame...)
}

// decodeEvent parses b; the returned Frame aliases b. RoomID is left zero.
func decodeEvent(b []byte) (ports.Event, error) {
	if len(b) < 2 || b[0] != eventV1 {
		return ports.Event{}, errBadEvent
	}
	e := ports.Event{Kind: ports.EventKind(b[1])}
	if e.Kind < ports.EventMessage || e.Kind > ports.EventKindLast {
		return ports.Event{}, errBadEvent
	}
	b = b[2:]
	seq, n := binary.Varint(b)
	if n <= 0 {
		return ports.Event{}, errBadEvent
	}
	b = b[n:]
	uid, n := binary.Varint(b)
	if n <= 0 {
		return ports.Event{}, errBadEvent
	}
	e.Seq, e.UserID = seq, user.ID(uid)
	switch b = b[n:]; {
	case e.Kind == ports.EventSessionEnded:
		e.Session = string(b)
	case len(b) > 0:
		e.Frame = b
	}
	return e, nil
}
