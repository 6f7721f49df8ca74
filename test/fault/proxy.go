package fault

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Mode is what a Proxy does with traffic.
type Mode int

const (
	// Pass forwards bytes both ways.
	Pass Mode = iota
	// Down is a hard outage: every connection is reset at once, and new
	// ones are accepted and reset before a byte is read.
	Down
	// Stall is a silent outage: connections stay open, new ones are
	// accepted, and no byte moves either way until the mode changes. Bytes
	// already read are held and delivered on Pass, as after a healed
	// network partition.
	Stall
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Down:
		return "down"
	case Stall:
		return "stall"
	default:
		return "unknown"
	}
}

// Proxy is a TCP proxy on a loopback port whose Mode the test sets.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	mode    Mode
	changed chan struct{} // closed and replaced on every mode change
	links   map[*link]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// link is one proxied connection: the client's side and the upstream side.
type link struct {
	client, upstream net.Conn
	once             sync.Once
}

func (l *link) close() {
	l.once.Do(func() {
		reset(l.client)
		if l.upstream != nil {
			reset(l.upstream)
		}
	})
}

// reset closes c with an RST rather than a FIN, as a crashed peer would.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// NewProxy listens on a random loopback port and forwards to target
// (host:port). Close stops it.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, changed: make(chan struct{}), links: make(map[*link]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Mode is the current mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Set switches the mode. Down resets every open connection before it
// returns.
func (p *Proxy) Set(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || m == p.mode {
		return
	}
	p.mode = m
	close(p.changed)
	p.changed = make(chan struct{})
	if m == Down {
		for l := range p.links {
			l.close()
			delete(p.links, l)
		}
	}
}

// UpstreamAddrs are the local addresses of the open upstream connections:
// how the upstream server sees this proxy's clients.
func (p *Proxy) UpstreamAddrs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for l := range p.links {
		if l.upstream != nil {
			out = append(out, l.upstream.LocalAddr().String())
		}
	}
	return out
}

// Close stops listening, resets every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.changed)
	for l := range p.links {
		l.close()
		delete(p.links, l)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

// await blocks while the proxy stalls and reports whether bytes may move
// (false: down or closed).
func (p *Proxy) await() bool {
	for {
		p.mu.Lock()
		mode, changed, closed := p.mode, p.changed, p.closed
		p.mu.Unlock()
		switch {
		case closed || mode == Down:
			return false
		case mode == Pass:
			return true
		}
		<-changed
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. too many open files: let it pass
			continue
		}
		l := &link{client: c}
		if !p.track(l) {
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(l)
	}
}

// track registers l unless the proxy is down or closed.
func (p *Proxy) track(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.mode == Down {
		return false
	}
	p.links[l] = struct{}{}
	return true
}

func (p *Proxy) untrack(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
	l.close()
}

// serve dials the target once bytes may move, then copies both ways until
// either side ends or the proxy goes down.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	defer p.untrack(l)
	if !p.await() {
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	p.mu.Lock()
	if _, ok := p.links[l]; !ok { // went down while dialing
		p.mu.Unlock()
		reset(up)
		return
	}
	l.upstream = up
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.copy(up, l.client); done <- struct{}{} }()
	go func() { p.copy(l.client, up); done <- struct{}{} }()
	<-done
	l.close() // ends the other direction
	<-done
}

// copy moves bytes from src to dst, checking the mode before each read
// and each write, so a stall holds both directions where they are.
func (p *Proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		if !p.await() {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			if !p.await() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or reset: the link ends both ways
			return
		}
	}
}
