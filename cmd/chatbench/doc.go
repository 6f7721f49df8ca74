// Command chatbench is the project's load generator. It drives a running
// chatd over real HTTP and WebSocket (creating its own users and rooms
// through the public API), or a minimal broadcast server it starts in-process
// (the baseline: this machine's ceiling for WebSocket fan-out), and reports
// what users feel: how fast a message reaches every member of a room.
//
// Load is open loop: every send has a scheduled time computed from the
// offered rate, and latency is measured from that time, so a server that
// stalls the sender is charged for the stall (no coordinated omission). The
// scheduled time travels in the message's client_id, so the receiving socket
// computes latency without shared state.
//
// chatbench talks to chatd only over the wire: it imports no package of this
// module.
package main
