package httpapi

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"chat/domain"
)

// connRefusal is what a connection over its address's cap gets before it
// is closed: a complete HTTP response, so a client sees why.
var connRefusal = func() []byte {
	body := `{"type":"about:blank","title":"Service Unavailable","status":503,` +
		`"detail":"too many connections from your address","code":"too_many_connections"}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\n" +
		"Content-Type: " + MIMEProblem + "\r\n" +
		"Retry-After: 1\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// LimitConns wraps ln so that one client address holds at most perAddr
// connections at once — plain requests, keep-alive connections and
// WebSockets alike (IPv6 addresses counted by /64, as the per-address rate
// limits count them). A connection beyond the cap is answered 503 and
// closed at once, without reaching the HTTP server. Connections from the
// trusted proxies are not counted: every client behind a proxy shares its
// address. perAddr ≤ 0 returns ln unchanged.
func LimitConns(ln net.Listener, perAddr int, trusted []netip.Prefix, log *slog.Logger) net.Listener {
	if perAddr <= 0 {
		return ln
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &connLimiter{Listener: ln, perAddr: perAddr, trusted: trusted, log: log, open: make(map[string]int)}
}

type connLimiter struct {
	net.Listener
	perAddr int
	trusted []netip.Prefix
	log     *slog.Logger
	warned  atomic.Int64 // unix ns of the last refusal logged

	mu   sync.Mutex
	open map[string]int // connections held per address key
}

// Accept returns the next connection within its address's cap; refused
// ones are answered and closed here.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteAddr(c)
		if l.isTrusted(addr) {
			return c, nil
		}
		key := domain.NewClientAddr(addr).Key()
		l.mu.Lock()
		if l.open[key] >= l.perAddr {
			l.mu.Unlock()
			l.refuse(c, key)
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, key: key}, nil
	}
}

func remoteAddr(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr()
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap.Addr()
}

func (l *connLimiter) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range l.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// refuse answers c and closes it. The response fits any socket buffer, so
// the write does not wait on the client; the deadline is a guard.
func (l *connLimiter) refuse(c net.Conn, key string) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write(connRefusal)
	_ = c.Close()
	now := time.Now().UnixNano()
	if last := l.warned.Load(); now-last >= int64(10*time.Second) && l.warned.CompareAndSwap(last, now) {
		l.log.Warn("connection refused: too many from one address", "client", key, "max_conns_per_addr", l.perAddr)
	}
}

func (l *connLimiter) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// limitedConn gives its slot back when closed, once (net/http and a
// hijacking WebSocket library may both close it).
type limitedConn struct {
	net.Conn
	l      *connLimiter
	key    string
	closed atomic.Bool
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c.key)
	}
	return err
}

// ReadFrom keeps the kernel's sendfile path for downloads (net/http uses it
// when the connection is an io.ReaderFrom).
func (c *limitedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}
