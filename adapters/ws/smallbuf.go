package ws

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// smallBuffers hands coder/websocket 512-byte bufio buffers instead of
// net/http's 4 KiB pair, which every idle socket would otherwise keep: 8 KiB
// of a ~20 KiB socket. Chat frames are mostly smaller than that, and bufio
// passes larger writes straight to the connection, so the cost is at most
// one more system call for a large frame.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		return nil, nil, err
	}
	var r io.Reader = c
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(b)), c)
	}
	return c, bufio.NewReadWriter(bufio.NewReaderSize(r, smallBufSize), bufio.NewWriterSize(c, smallBufSize)), nil
}

const smallBufSize = 512
