// SPDX-License-Identifier: Apache-2.0

package web

import (
	"net/http"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// dispatch routes the request. ServeMux answers unknown paths and wrong
// methods in plain text; dispatch answers them in the error shape instead.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		// Patterns are "METHOD /path"; logs and metrics carry the method apart.
		if _, path, ok := strings.Cut(pattern, " "); ok {
			pattern = path
		}
		info(r.Context()).route = pattern
		s.mux.ServeHTTP(w, r) // sets r.Pattern and the path values
		return
	}
	// Run the mux's own answer into a scratch writer to learn which it is.
	c := &scratchWriter{header: http.Header{}}
	h.ServeHTTP(c, r)
	switch c.code {
	case http.StatusMethodNotAllowed:
		respond.MethodNotAllowed(w, r, c.header.Get("Allow"))
	case http.StatusNotFound:
		respond.Error(w, r, omadata.Errorf(omadata.ENOTFOUND, "Not found."))
	default: // a redirect to the cleaned path
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.code)
	}
}

// scratchWriter records a status and headers and discards the body.
type scratchWriter struct {
	header http.Header
	code   int
}

func (c *scratchWriter) Header() http.Header { return c.header }

func (c *scratchWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}

func (c *scratchWriter) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return len(b), nil
}
