package domain

import (
	"context"
	"net/netip"
)

// ClientAddr is the network address a request came from, as the driving
// adapter established it (the socket's peer, or the address a trusted
// proxy forwarded). The application keys per-address limits on it.
type ClientAddr struct{ a netip.Addr }

// NewClientAddr returns a's client address; IPv4-mapped IPv6 addresses
// become IPv4, and a zone is dropped.
func NewClientAddr(a netip.Addr) ClientAddr {
	return ClientAddr{a.Unmap().WithZone("")}
}

// Addr is the address itself; the zero Addr when unknown.
func (c ClientAddr) Addr() netip.Addr { return c.a }

// Key names the address for per-address limits: an IPv4 address as is, an
// IPv6 address by its /64 network (one subscriber usually holds a whole
// /64, so counting single IPv6 addresses would count nothing), "unknown"
// when the address is not known.
func (c ClientAddr) Key() string {
	switch {
	case !c.a.IsValid():
		return "unknown"
	case c.a.Is4():
		return c.a.String()
	default:
		p, _ := c.a.Prefix(64) // cannot fail for a valid IPv6 address
		return p.String()
	}
}

func (c ClientAddr) String() string { return c.Key() }

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the request's client address. The
// driving adapters set it on every request; use cases read it with
// ClientAddrOf.
func WithClientAddr(ctx context.Context, c ClientAddr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, c)
}

// ClientAddrOf returns the client address in ctx; the zero ClientAddr
// (Key "unknown") when none was set.
func ClientAddrOf(ctx context.Context) ClientAddr {
	c, _ := ctx.Value(clientAddrKey{}).(ClientAddr)
	return c
}
