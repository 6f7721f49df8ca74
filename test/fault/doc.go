// Package fault is the fault suite: it proves that chat never loses a live
// message and fails fast when a service it depends on stalls.
//
// The suite builds the real chatd binary and boots two scale-out instances
// whose PostgreSQL and Redis connections each pass through a Proxy of the
// test process, one per service per instance, so a test can cut, stall or
// restore a service for one instance or for both. A dozen WebSocket
// clients, spread over both instances and a few rooms, send with
// client_ids while a fault happens: kill -9 of an instance, a Redis
// restart, one instance's Redis blackholed, a hard and a silent PostgreSQL
// outage. Every scenario then asserts that
//
//   - every acknowledged client_id is stored exactly once;
//   - every live client has every stored message of its room exactly once,
//     in seq order, with no gap;
//   - no request (HTTP call, upgrade, or socket send's answer) outlived the
//     deadline bound.
//
// Proxy is the only non-test code: a TCP proxy whose faults the test
// controls. The real PostgreSQL and Redis are shared with other tests and
// are never restarted, flushed or reconfigured.
//
// Nothing here imports the server's packages: only the wire contract.
package fault
