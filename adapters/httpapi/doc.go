// Package httpapi is the REST driving adapter: an echo v4 server that turns
// HTTP requests into calls on the domain's use-case interfaces (user.Service,
// room.Service, message.Service, attachment.Service) and their results into the JSON of the wire
// contract in DESIGN.md.
//
// It owns the route table (one function, [Server.routes], checked against
// docs/openapi.yaml by a test), the request middleware (request id, access
// log with the token query redacted, panic recovery, security headers, body
// limit, bearer authentication) and echo's error handler, which answers
// every error with wire's problem+json and kind → status table.
//
// Uploads (files.go) stream the multipart "file" part to the use case under
// a body limit; downloads go through http.ServeContent (ranges) with
// nosniff, a sandbox policy, and Content-Disposition: attachment for all but
// the raster images the application marks inline.
//
// Handlers translate, never decide: they parse, call one use case, encode.
// Authorization lives in the application.
//
// The JSON it writes — bodies, the time format, problems, signed links — is
// chat/adapters/wire's: one contract for REST and WebSocket.
//
// It imports chat/domain and its aggregates, chat/adapters/wire, echo and
// the standard library. It must not import chat/application, chat/ports,
// other adapters or any storage driver: cmd/chatd hands it the services.
package httpapi
