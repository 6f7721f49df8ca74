package fault

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func newTestProxy(t *testing.T) *Proxy {
	t.Helper()
	p, err := NewProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type lineConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialLine(t *testing.T, addr string) *lineConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &lineConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (l *lineConn) send(s string) {
	l.t.Helper()
	if _, err := l.c.Write([]byte(s + "\n")); err != nil {
		l.t.Fatalf("write: %v", err)
	}
}

// read returns the next line, or the error after d.
func (l *lineConn) read(d time.Duration) (string, error) {
	_ = l.c.SetReadDeadline(time.Now().Add(d))
	s, err := l.r.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

func (l *lineConn) expect(want string) {
	l.t.Helper()
	got, err := l.read(5 * time.Second)
	if err != nil || got != want {
		l.t.Fatalf("read %q, %v; want %q", got, err, want)
	}
}

// silent checks that nothing arrives for a while: the only way to observe
// a stall.
func (l *lineConn) silent() {
	l.t.Helper()
	got, err := l.read(300 * time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		l.t.Fatalf("read %q, %v during a stall; want nothing", got, err)
	}
}

// broken checks that the connection was reset or closed.
func (l *lineConn) broken() {
	l.t.Helper()
	got, err := l.read(5 * time.Second)
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		l.t.Fatalf("read %q, %v; want the connection closed", got, err)
	}
}

func TestProxyPasses(t *testing.T) {
	p := newTestProxy(t)
	c := dialLine(t, p.Addr())
	c.send("hello")
	c.expect("hello")
	if n := len(p.UpstreamAddrs()); n != 1 {
		t.Fatalf("%d upstream connections, want 1", n)
	}
}

func TestProxyStallHoldsBytesUntilPass(t *testing.T) {
	p := newTestProxy(t)
	old := dialLine(t, p.Addr())
	old.send("before")
	old.expect("before")

	p.Set(Stall)
	old.send("held")
	old.silent()
	fresh := dialLine(t, p.Addr()) // accepted, but stalled too
	fresh.send("new")
	fresh.silent()

	p.Set(Pass)
	old.expect("held")
	fresh.expect("new")
}

func TestProxyDownResetsAndRefusesUntilPass(t *testing.T) {
	p := newTestProxy(t)
	old := dialLine(t, p.Addr())
	old.send("before")
	old.expect("before")

	p.Set(Down)
	old.broken()
	// A new connection is reset: while connecting, or at its first read.
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Cleanup(func() { c.Close() })
		(&lineConn{t: t, c: c, r: bufio.NewReader(c)}).broken()
	}
	if n := len(p.UpstreamAddrs()); n != 0 {
		t.Fatalf("%d upstream connections while down, want 0", n)
	}

	p.Set(Pass)
	after := dialLine(t, p.Addr())
	after.send("back")
	after.expect("back")
}

func TestProxyDownEndsAStall(t *testing.T) {
	p := newTestProxy(t)
	c := dialLine(t, p.Addr())
	c.send("a")
	c.expect("a")
	p.Set(Stall)
	c.send("lost")
	c.silent()
	p.Set(Down) // what a stalled peer's TCP stack does in the end
	c.broken()
}

func TestProxyCloseEndsEverything(t *testing.T) {
	p := newTestProxy(t)
	c := dialLine(t, p.Addr())
	c.send("a")
	c.expect("a")
	p.Set(Stall)
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a stalled connection")
	}
	c.broken()
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Fatal("a closed proxy accepts connections")
	}
}
