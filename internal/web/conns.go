// SPDX-License-Identifier: Apache-2.0

package web

import (
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
)

// Listener wraps ln so that the server can see a request whose headers
// did not arrive within the HTTP server's header timeout: Go's server
// closes such a connection itself (with a plain-text 400 when the request
// line was cut off), before any handler runs, so the API cannot answer it
// with its JSON error. Serve with Listener(ln) and set the http.Server's
// ConnState to s.ConnState; the timeout is then counted in
// omadata_http_read_timeouts_total with slow bodies, and logged at warn.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return &watchedListener{Listener: ln}
}

type watchedListener struct{ net.Listener }

func (l *watchedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c}, nil
}

// watchedConn remembers a read that ended at its deadline since the
// connection last became idle.
type watchedConn struct {
	net.Conn
	mu       sync.Mutex
	timedOut bool
	state    http.ConnState
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.mu.Lock()
		c.timedOut = true
		c.mu.Unlock()
	}
	return n, err
}

// ConnState counts header timeouts. Go's server marks a connection
// active after it has read (part of) a request, whether or not the
// request could be read, and closes it when it could not. So a read that
// hit its deadline before the connection turned active, or before a new
// connection closed without a byte, was a header timeout. A body timeout
// comes after the connection turned active (the handler counts it), and
// an idle keep-alive connection that times out closes from idle; neither
// is counted here. Go also ends a background read with a past deadline
// once a handler finishes; that is forgotten when the connection goes
// idle.
func (s *Server) ConnState(nc net.Conn, st http.ConnState) {
	c, ok := nc.(*watchedConn)
	if !ok {
		return
	}
	c.mu.Lock()
	header := c.timedOut && (st == http.StateActive || st == http.StateClosed && c.state == http.StateNew)
	if st != http.StateClosed {
		c.timedOut = false
	}
	c.state = st
	c.mu.Unlock()
	if header {
		s.metrics.readTimeouts.Inc()
		s.log.Warn("request headers did not arrive within the header timeout", "remote", nc.RemoteAddr().String())
	}
}
