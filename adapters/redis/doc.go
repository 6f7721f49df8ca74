// Package redis holds the Redis adapters of the live ports, for running
// several instances of the server side by side: Bus (pub/sub fan-out of
// the application's typed events in a versioned binary codec, codec.go),
// Presence (who is online, with TTL heartbeats), Cache (users by id) and
// SessionCache (live and ended sessions), both with server-assisted
// client-side caching, Tickets (one-time WebSocket tickets) and Limiter
// (rate limits and login backoff, one Lua script per call). All share one
// rueidis client (Open), and every key and channel they touch starts with
// the prefix given to Open.
//
// The adapters translate: connection failures and timeouts become
// domain.Unavailable, anything else Redis refuses becomes domain.Internal.
// They decide nothing about who may see what. The limiter bounds every
// call with a short deadline and, after Redis failed it, answers
// Unavailable at once for a second: the application lets requests through
// rather than wait on a rate limit.
//
// Redis 6.2 or later is required (RESP3 client-side caching, ZADD GT,
// ZRANGE BYSCORE).
//
// redis imports chat/domain packages, chat/ports, chat/adapters/memory (the
// in-process bus hands received events to local subscriptions), rueidis and
// the standard library.
package redis
