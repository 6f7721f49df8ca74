// Package application implements the domain's use-case interfaces
// (user.Service, room.Service, message.Service) on top of the driven ports.
// Authorization lives here, once: every room-scoped call checks membership
// before it touches data.
//
// It also encodes every client-bound event once, as its complete wire
// frame (events.go), so buses and hubs move bytes without re-encoding.
//
// application imports chat/domain and chat/ports only (plus the standard
// library); it never sees a driver, a framework or a wire protocol library.
package application
