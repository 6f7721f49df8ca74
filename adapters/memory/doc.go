// Package memory holds in-process adapters of the driven ports: the stores
// (NewStores: users and accounts, rooms and direct conversations, members
// and their read pointers, messages with their changes, reactions and
// files, scheduled messages, sessions), and the bus, presence, profile and session caches,
// WebSocket tickets and the limiter (rate limits, login backoff) of a
// single instance. They are what the embedded default and the
// application's tests run on, and each passes its port's contract suite in
// chat/ports/porttest, so tests on them are trusted like tests on the real
// adapters.
//
// State lives in maps guarded by mutexes and is lost when the process ends.
//
// memory imports chat/domain packages, chat/ports and the standard library
// only.
package memory
