// Package room is the room aggregate: public and private rooms, their
// membership, and the use cases on them (Service).
//
// It imports the standard library and chat/domain packages only.
package room
