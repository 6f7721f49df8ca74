// Package proc is what black-box tests need to run chatd as a process:
// its binary built once, a free address to give it, and a buffer its logs
// can be written to from its output pipes while the test reads them.
//
// It imports no package of the server.
package proc
