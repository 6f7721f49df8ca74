// Package domain holds what every aggregate shares: the error kinds and
// the text hygiene rules (text.go: invisible and control characters in
// names and contents). The aggregates live in its subpackages (user, room,
// message, attachment).
//
// domain and its subpackages import the standard library only: no I/O, no
// frameworks, no struct tags.
package domain
