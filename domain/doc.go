// Package domain holds the error kinds shared by every aggregate. The
// aggregates live in its subpackages (user, room, message, attachment).
//
// domain and its subpackages import the standard library only: no I/O, no
// frameworks, no struct tags.
package domain
