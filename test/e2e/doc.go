// Package e2e is the end-to-end suite: it builds the real chatd binary,
// boots instances against real services (two scale-out instances on
// PostgreSQL + Redis, one embedded instance on SQLite), and drives them over
// HTTP and WebSocket as clients do, including the browser client
// (browser_test.go, which needs web/dist built) and chatbench.
//
// It holds tests only, and checks the wire contract as a client sees it:
// it imports no server package that decides anything (no application,
// ports or driving adapter) — only chat/test/services, the test image
// maker, and the link signer with the user id type, to forge links the
// server must refuse.
package e2e
