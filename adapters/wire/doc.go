// Package wire is the wire contract in one place: every byte a client sees
// is shaped here. It owns
//
//   - the one time format of every timestamp on every route and event
//     (TimeFormat: RFC 3339 in UTC with a Z and fixed microseconds);
//   - the WebSocket event frames, encoded from the application's typed
//     events (ports.Event) once per event — per recipient only where
//     links signed for the recipient are in them (file events, messages
//     with files) — and the frames of replayed messages and changes and
//     of retried messages in the same shape;
//   - what clients send with a message besides its text (DraftOf);
//   - the JSON bodies of the REST routes, including the hand-written
//     encoder of history pages (byte for byte what encoding/json writes);
//   - RFC 9457 problem+json, the one table from error kinds to HTTP
//     statuses (REST and the WebSocket's refusals before the upgrade) and
//     the one table from error kinds to WebSocket close codes;
//   - the signed links of files, thumbnails and avatars: their paths, and
//     signing and verifying them through the ports.URLSigner port.
//
// The driving adapters (adapters/httpapi, adapters/ws) use it; the
// application never sees JSON, HTTP or URLs. wire imports chat/domain, its
// aggregates, chat/ports and the standard library only.
package wire
