// Package webpush implements ports.Pusher with Web Push (RFC 8030) through
// github.com/SherClockHolmes/webpush-go: the payload (adapters/wire's
// PushOf) is encrypted for the subscription's keys (RFC 8291, aes128gcm)
// and the request signed with the server's VAPID key pair (RFC 8292). It
// also makes and checks VAPID key pairs.
//
// A subscription's endpoint is any URL a browser gave, so the requests go
// through a client that refuses loopback, private and link-local addresses
// and plain http (Options.Insecure lifts both, for tests), and never
// follows redirects. Payloads and keys are never logged.
//
// webpush imports chat/domain, chat/ports, chat/adapters/wire, webpush-go
// and the standard library.
package webpush
