// Package porttest holds the contract suites of the driven ports: one
// exported function per port (or per group of ports that share state, like
// the stores), run by every adapter that implements it — memory, SQLite,
// PostgreSQL, Redis. A fake that passes its port's suite is trusted by the
// application's tests; a behaviour the ports document but no suite checks is
// a gap to fill here, not in one adapter's own tests.
//
// porttest imports chat/domain, chat/ports, testing and go-cmp; never an
// adapter.
package porttest
