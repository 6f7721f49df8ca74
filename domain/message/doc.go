// Package message is the message aggregate: content rules, per-room ordering
// (seq), and the use cases on messages (Service).
//
// It imports the standard library and chat/domain packages only.
package message
