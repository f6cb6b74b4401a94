package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// rawConn is a minimal HTTP/1.1 keep-alive client connection for the load
// generator. net/http's client costs several times more CPU per request than
// the servers under test spend on a small static response, and on a small
// machine the client shares the cores with the server; this one writes a
// prebuilt request and parses only the status line and the headers it needs.
// It reconnects when the server closes the connection.
type rawConn struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
	req  []byte
}

func newRawConn(addr string) *rawConn {
	return &rawConn{addr: addr, req: make([]byte, 0, 512)}
}

func (c *rawConn) dial() error {
	conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return err
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 64<<10)
	} else {
		c.br.Reset(conn)
	}
	return nil
}

func (c *rawConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// response is what the load generator checks.
type response struct {
	status   int
	bodyLen  int
	closeNow bool
}

// get sends GET path with the optional Authorization and If-None-Match
// headers and reads the whole response.
func (c *rawConn) get(path, authorization, ifNoneMatch string) (response, error) {
	if c.conn == nil {
		if err := c.dial(); err != nil {
			return response{}, err
		}
	}
	req := append(c.req[:0], "GET "...)
	req = append(req, path...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, c.addr...)
	req = append(req, "\r\nUser-Agent: wharf-bench\r\n"...)
	if authorization != "" {
		req = append(req, "Authorization: "...)
		req = append(req, authorization...)
		req = append(req, "\r\n"...)
	}
	if ifNoneMatch != "" {
		req = append(req, "If-None-Match: "...)
		req = append(req, ifNoneMatch...)
		req = append(req, "\r\n"...)
	}
	req = append(req, "\r\n"...)
	c.req = req
	if _, err := c.conn.Write(req); err != nil {
		c.close()
		return response{}, err
	}
	resp, err := c.readResponse()
	if err != nil || resp.closeNow {
		c.close()
	}
	return resp, err
}

var (
	hdrContentLength    = []byte("content-length")
	hdrTransferEncoding = []byte("transfer-encoding")
	hdrConnection       = []byte("connection")
)

func (c *rawConn) readResponse() (response, error) {
	var resp response
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return resp, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return resp, fmt.Errorf("bad status line %q", line)
	}
	resp.status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return resp, fmt.Errorf("bad status line %q", line)
	}
	contentLength, chunked := -1, false
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return resp, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return resp, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, hdrContentLength):
			if contentLength, err = strconv.Atoi(string(value)); err != nil {
				return resp, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, hdrTransferEncoding):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, hdrConnection):
			resp.closeNow = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case resp.status == 304 || resp.status == 204 || resp.status < 200:
	case chunked:
		resp.bodyLen, err = c.discardChunked()
	case contentLength >= 0:
		resp.bodyLen, err = c.br.Discard(contentLength)
	default:
		return resp, errors.New("response without length (read to close is not supported)")
	}
	return resp, err
}

func (c *rawConn) discardChunked() (int, error) {
	total := 0
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return total, err
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(sizeText), 16, 64)
		if err != nil {
			return total, fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			// Trailers, then the final CRLF.
			for {
				line, err := c.br.ReadSlice('\n')
				if err != nil {
					return total, err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return total, nil
				}
			}
		}
		n, err := c.br.Discard(int(size))
		total += n
		if err != nil {
			return total, err
		}
		if _, err := io.ReadFull(c.br, make([]byte, 2)); err != nil {
			return total, err
		}
	}
}
