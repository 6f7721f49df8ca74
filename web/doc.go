// Package web embeds the built React client (web/dist, made by `npm run
// build`) into chatd and serves it. Before the client is built, a
// placeholder page says how to build it, so `go build ./...` works on a
// clean clone.
//
// It imports the standard library only: it serves files and knows nothing of
// the API behind them.
package web
