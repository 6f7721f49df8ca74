// Package pushtest is a Web Push service for tests: an HTTP server in the
// test process that takes pushes as a browser vendor's service would,
// checks each one's VAPID signature (RFC 8292: an ES256 JWT whose aud is
// the endpoint's origin and whose exp is in the future, signed by the
// server's public key) and decrypts its payload with the keys of the
// subscription it was sent to (RFC 8291, aes128gcm: the test made the
// subscription's P-256 key pair and auth secret, so it can).
//
// It imports the standard library only.
package pushtest
