// Package ports declares the driven interfaces the application needs from
// the outside world: stores, the event bus, presence, the profile cache,
// tokens, passwords and the clock. Each is small and documents the error
// kinds (chat/domain) it returns; adapters translate driver errors into them.
//
// ports imports chat/domain packages and the standard library only. Its
// subpackage porttest holds one contract suite per port, run by every
// adapter that implements it.
package ports
