// Package domain holds what every aggregate shares: the error kinds, the
// text hygiene rules (text.go: invisible and control characters in names
// and contents), and the client address a driving adapter attaches to a
// request's context (ClientAddr) for per-address limits. The aggregates
// live in its subpackages (user, room, message, attachment).
//
// domain and its subpackages import the standard library only: no I/O, no
// frameworks, no struct tags.
package domain
