package httpapi

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
)

// ProblemListener wraps ln so that the few errors net/http answers by
// itself, before any handler or middleware runs, are problem+json like
// every other error: 431 (request headers over http.Server.MaxHeaderBytes),
// 400 (a malformed request line or header) and 501 (an unknown
// Transfer-Encoding). net/http writes those straight to the connection as
// text/plain with no way to change them, so the connection recognises
// them — net/http's exact canned form, in one write, which no handler's
// response has (those carry Date and Content-Length) — and writes the
// problem instead. Everything else passes through untouched: sendfile
// (ReadFrom) and half-close (CloseWrite) reach the underlying connection.
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

type problemConn struct{ net.Conn }

// cannedHeaders follow the status line of net/http's own error answers
// (net/http.conn.serve).
const cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *problemConn) Write(p []byte) (int, error) {
	if len(p) > len("HTTP/1.1 ") && p[0] == 'H' {
		if out, ok := cannedProblem(p); ok {
			if _, err := c.Conn.Write(out); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}

// ReadFrom keeps net/http's sendfile path for file downloads.
func (c *problemConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c}, r)
}

// CloseWrite keeps net/http's half-close after an error answer, which lets
// the client read it before the connection goes.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// netHTTPCodes name the statuses net/http answers by itself.
var netHTTPCodes = map[int]string{
	http.StatusBadRequest:                  "malformed_request",
	http.StatusRequestHeaderFieldsTooLarge: "header_too_large",
	http.StatusNotImplemented:              "not_implemented",
}

// cannedProblem returns the problem+json answer replacing p when p is one
// of net/http's canned error answers.
func cannedProblem(p []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !ok {
		return nil, false
	}
	end := bytes.Index(rest, []byte("\r\n"))
	if end < 3 || !bytes.HasPrefix(rest[end:], []byte(cannedHeaders)) {
		return nil, false // a handler's response: its headers follow
	}
	line, body := rest[:end], rest[end+len(cannedHeaders):]
	status, err := strconv.Atoi(string(line[:3]))
	if err != nil || status < 400 {
		return nil, false
	}
	code, ok := netHTTPCodes[status]
	if !ok {
		code = "bad_request"
	}
	detail := http.StatusText(status)
	if status == http.StatusBadRequest || status == http.StatusNotImplemented {
		// net/http's own words ("missing required Host header",
		// "Unsupported transfer encoding"); it never echoes the request.
		if s, ok := bytes.CutPrefix(body, []byte(strconv.Itoa(status)+" ")); ok {
			body = s
		}
		detail = string(body)
	}
	doc := newProblem(status, code, detail).Marshal()
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 ")
	out.Write(line)
	out.WriteString("\r\nContent-Type: " + MIMEProblem + "\r\nContent-Length: " + strconv.Itoa(len(doc)) + "\r\nConnection: close\r\n\r\n")
	out.Write(doc)
	return out.Bytes(), true
}
