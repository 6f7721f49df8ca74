// Package attachment is the file aggregate: a file shared in a room, with an
// optional thumbnail made in the background.
//
// It imports the standard library and chat/domain packages only.
package attachment
