package sqlstore_test

import (
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chat/adapters/sqlstore"
	"chat/domain"
	"chat/test/services"
)

// stallProxy forwards TCP to PostgreSQL until stall is called; from then on
// it keeps every connection open but forwards nothing, as a network that
// drops packets without a reset does.
type stallProxy struct {
	addr    string
	stalled atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{addr: ln.Addr().String()}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go p.pipe(up, c)
			go p.pipe(c, up)
		}
	}()
	return p
}

// pipe copies until the proxy stalls, then swallows what arrives.
func (p *stallProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if p.stalled.Load() {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// TestSilentStallFailsFast: when PostgreSQL stops answering without
// resetting the connection, calls fail with Unavailable within the store's
// timeout instead of hanging.
func TestSilentStallFailsFast(t *testing.T) {
	u, err := url.Parse(services.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newStallProxy(t, u.Host)
	u.Host = p.addr
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Postgres, u.String(), sqlstore.WithTimeout(time.Second))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "up"); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := db.Messages().LastSeqs(ctx, nil); err != nil {
		t.Fatalf("before the stall: %v", err)
	}

	p.stalled.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := db.Rooms().Visible(ctx, 1) // no deadline of its own
		done <- err
	}()
	select {
	case err := <-done:
		if domain.KindOf(err) != domain.Unavailable {
			t.Errorf("Visible during a silent stall: %v (kind %v), want Unavailable", err, domain.KindOf(err))
		}
	case <-time.After(30 * time.Second): // a bound against hanging the suite, far above the 1 s timeout
		t.Fatal("Visible still waiting 30 s into a silent stall")
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.Ping(pctx); domain.KindOf(err) != domain.Unavailable || pctx.Err() != nil {
		t.Errorf("Ping during a silent stall: %v, want Unavailable before its own deadline", err)
	}
}
