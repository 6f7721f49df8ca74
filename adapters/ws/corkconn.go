package ws

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"sync"
	"time"
)

// corkConn is the socket's connection as coder/websocket sees it. The gateway
// hands websocket.Accept a ResponseWriter whose Hijack returns a corkConn, for
// three reasons:
//
//   - Corking. coder/websocket flushes every frame to the connection: one
//     write system call per frame, the biggest cost of fan-out in the
//     profiles. Between cork and uncork the writer goroutine's frames (and
//     anything else written meanwhile, in order) collect in a pooled
//     buffer, and uncork sends them with one write.
//   - Deadlines. uncork bounds its write with a deadline on the connection
//     instead of a context per frame (context.WithTimeout plus the
//     library's context.AfterFunc were ~8 % of fan-out CPU).
//   - Small buffers. net/http's hijacked reader and writer keep 4 KiB each
//     for the socket's life; an idle socket needs neither. The wire's are
//     smaller, and bytes the client sent before the hijack (already in
//     net/http's reader) are handed over first — coder/websocket resets the
//     reader it is given to read from the returned connection, so they must
//     come from the connection itself, not from that reader.
type corkConn struct {
	net.Conn
	timeout time.Duration

	early []byte // read before the hijack; the reader goroutine only

	mu     sync.Mutex // orders writes; held across each write to Conn
	corked bool
	buf    *[]byte // collects corked writes; from bufPool
}

const (
	wireReadBuf  = 1024
	wireWriteBuf = 512 // corked frames collect in the pooled buffer anyway
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func (w *corkConn) Read(p []byte) (int, error) {
	if len(w.early) > 0 {
		n := copy(p, w.early)
		w.early = w.early[n:]
		if len(w.early) == 0 {
			w.early = nil
		}
		return n, nil
	}
	return w.Conn.Read(p)
}

// Write appends to the cork buffer while corked; otherwise it writes
// through (pings and close frames from other goroutines, bounded by the
// library's own context timeouts).
func (w *corkConn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.corked {
		*w.buf = append(*w.buf, p...)
		return len(p), nil
	}
	return w.Conn.Write(p)
}

// cork starts collecting writes.
func (w *corkConn) cork() {
	w.mu.Lock()
	w.corked = true
	if w.buf == nil {
		w.buf = bufPool.Get().(*[]byte)
	}
	w.mu.Unlock()
}

// uncork writes what was collected with one write, within the timeout.
func (w *corkConn) uncork() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.corked = false
	b := w.buf
	w.buf = nil
	if b == nil {
		return nil
	}
	var err error
	if len(*b) > 0 {
		if err = w.Conn.SetWriteDeadline(time.Now().Add(w.timeout)); err == nil {
			_, err = w.Conn.Write(*b)
			if derr := w.Conn.SetWriteDeadline(time.Time{}); err == nil {
				err = derr
			}
		}
	}
	if cap(*b) <= 256<<10 { // a replay page may grow one; don't keep giants
		*b = (*b)[:0]
		bufPool.Put(b)
	}
	return err
}

// wireWriter is the ResponseWriter the gateway passes to websocket.Accept.
type wireWriter struct {
	http.ResponseWriter
	timeout time.Duration
	wire    *corkConn // set by Hijack
}

func (ww *wireWriter) Unwrap() http.ResponseWriter { return ww.ResponseWriter }

func (ww *wireWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(ww.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	w := &corkConn{Conn: c, timeout: ww.timeout}
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		w.early = bytes.Clone(b)
	}
	ww.wire = w
	return w, bufio.NewReadWriter(bufio.NewReaderSize(w, wireReadBuf), bufio.NewWriterSize(w, wireWriteBuf)), nil
}
