package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/labstack/echo/v4"

	"chat/domain"
)

// ipExtractor is how echo finds a request's client: the connection's peer,
// or, from a trusted proxy, the nearest X-Forwarded-For entry that is not
// a trusted proxy itself. Only the configured networks are trusted — not
// echo's default of every loopback and private address.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// clientAddr puts the request's client address into its context as a
// domain value, where the use cases' per-address limits find it.
func clientAddr(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, _ := netip.ParseAddr(c.RealIP()) // unparsable: the zero address, counted as "unknown"
		r := c.Request()
		c.SetRequest(r.WithContext(domain.WithClientAddr(r.Context(), domain.NewClientAddr(a))))
		return next(c)
	}
}

// uploadRoutes stream large bodies and get UploadTimeout instead of
// BodyTimeout.
var uploadRoutes = map[string]bool{
	http.MethodPost + " /rooms/:id/files": true,
	http.MethodPost + " /users/me/avatar": true,
}

// bodyDeadline bounds how long a request's body may take to arrive, so a
// client that declares a body and stalls does not hold a connection and a
// goroutine for ever (the server's ReadHeaderTimeout covers the headers).
// It is a per-request read deadline rather than http.Server.ReadTimeout,
// which is one value for every request: JSON bodies get a short one,
// uploads of 25 MiB on slow links a long one, and requests without a body
// (WebSocket upgrades among them) none. The deadline also covers the
// handler's work after the body (net/http cancels the request's context
// when it passes), like ReadTimeout would. A body that misses it is
// answered 408.
func (s *Server) bodyDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		d := s.cfg.BodyTimeout
		if uploadRoutes[r.Method+" "+c.Path()] {
			d = s.cfg.UploadTimeout
		}
		// Not every ResponseWriter supports deadlines (httptest's does not):
		// there the request simply has none.
		_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(d))
		return next(c)
	}
}
