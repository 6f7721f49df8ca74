// Package application implements the domain's use-case interfaces
// (user.Service, room.Service, message.Service) on top of the driven ports.
// Authorization lives here, once: every room-scoped call checks membership
// before it touches data.
//
// It publishes what happened as domain events (events.go: a ports.Event
// with a typed payload, values not bytes) through ports.Bus; the driving
// edge (adapters/wire) turns them into what clients see.
//
// application imports chat/domain and chat/ports only (plus the standard
// library, but never encoding/json, net/http or net/url: test/layers_test.go
// checks it); it never sees a driver, a framework, a wire format or a URL.
package application
