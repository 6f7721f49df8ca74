// Package ws is the WebSocket driving adapter: the gateway that serves
// GET /ws/rooms/{room_id} with coder/websocket, and the per-instance Hub that
// holds one bus subscription per room with local sockets and copies each
// event's frame, unchanged (a file event's links signed for each
// recipient), into every local socket's bounded send queue. Sockets open
// with a one-time ticket (user.Sessions.RedeemTicket) or an access token,
// and close with 4401 when their session ends.
//
// The gateway translates and never decides: membership, content rules and
// presence belong to the domain services it calls (user.Service,
// room.Service, message.Service). It owns the socket mechanics only: the
// close-code table, read limit, send queue, keepalive, per-socket rate
// limits, resume (replay then live, de-duplicated by seq) and shutdown.
//
// Every byte it sends comes from chat/adapters/wire: event frames (encoded
// once per event by wire.Frames — per recipient only when signed links are
// in them; replayed messages and changes and retried messages by the same
// Frames, byte for byte the live ones), error frames, the close code table
// and the problem+json of refusals before the upgrade.
//
// ws imports chat/domain, chat/ports, chat/adapters/wire and
// coder/websocket; never chat/application (test/layers_test.go checks it)
// nor another adapter.
package ws
