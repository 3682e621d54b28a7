// SPDX-License-Identifier: Apache-2.0

package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/openapi"
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

// queryParams are the query parameters of each operation, keyed
// "METHOD pattern", as the OpenAPI document lists them: the one place a
// route's query parameters are declared.
var queryParams = mustQueryParams(openapi.Document)

func mustQueryParams(doc []byte) map[string][]string {
	var d struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]openAPIParam `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		panic(fmt.Sprintf("openapi: %v", err)) // caught by every test
	}
	names := func(raw json.RawMessage) []string {
		var ps []openAPIParam
		json.Unmarshal(raw, &ps)
		var out []string
		for _, p := range ps {
			if p.Ref != "" {
				p = d.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
			}
			if p.In == "query" {
				out = append(out, p.Name)
			}
		}
		return out
	}
	m := map[string][]string{}
	for pattern, item := range d.Paths {
		common := names(item["parameters"])
		for method, op := range item {
			if method == "parameters" {
				continue
			}
			var o struct {
				Parameters json.RawMessage `json:"parameters"`
			}
			json.Unmarshal(op, &o)
			m[strings.ToUpper(method)+" "+pattern] = append(slices.Clip(common), names(o.Parameters)...)
		}
	}
	return m
}

type openAPIParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

// checkQuery refuses a query parameter the route does not take, naming
// it, rather than silently ignoring it: on_behalf_of in the query of a
// route that does not act on behalf would otherwise act on the caller.
func checkQuery(allowed []string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			respond.Error(w, r, omadata.Invalidf("query", "The query string is malformed; escape its values."))
			return
		}
		keys := slices.Sorted(maps.Keys(q))
		for _, k := range keys {
			if !slices.Contains(allowed, k) {
				name := omadata.Truncate(k, 40)
				respond.Error(w, r, omadata.Invalidf(name, "This operation takes no query parameter %q; leave it out.", name))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
