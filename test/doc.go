// Package test holds black-box tests of the whole server. test/e2e builds
// the real chatd binary, boots instances against real services (two
// scale-out instances on PostgreSQL + Redis, and one embedded instance) and
// drives them with real HTTP and WebSocket clients. test/fault is the fault
// suite: two instances whose PostgreSQL and Redis connections pass through
// TCP proxies the test cuts and stalls, under clients that keep sending.
// test/services gives tests their PostgreSQL and Redis.
//
// Nothing here imports the server's packages: only the wire contract.
package test
