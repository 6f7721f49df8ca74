// Package domain holds the error kinds shared by every aggregate, and the
// client address a driving adapter attaches to a request's context
// (ClientAddr) for per-address limits. The aggregates live in its
// subpackages (user, room, message, attachment).
//
// domain and its subpackages import the standard library only: no I/O, no
// frameworks, no struct tags.
package domain
