// SPDX-License-Identifier: Apache-2.0

package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/openapi"
	"github.com/omadata/omadata/internal/web/respond"
)

// dispatch routes the request. ServeMux answers unknown paths and wrong
// methods in plain text; dispatch answers them in the error shape instead,
// or an unknown path a browser asks for with Options.NotFound's page.
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
		if s.opts.NotFound != nil && !machinePath(r.URL.Path) {
			w.Header().Add("Vary", "Accept")
			if prefersHTML(r) {
				s.opts.NotFound.ServeHTTP(w, r)
				return
			}
		}
		respond.Error(w, r, omadata.Errorf(omadata.ENOTFOUND, "Not found."))
	default: // a redirect to the cleaned path
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.code)
	}
}

// machinePaths are where only programs call: an unknown path under them
// is always the API's JSON error, whatever the Accept header says.
var machinePaths = []string{"/api", "/.well-known", "/openapi.json", "/healthz", "/livez", "/readyz", "/metrics", "/network", "/witness"}

func machinePath(path string) bool {
	for _, m := range machinePaths {
		if path == m || strings.HasPrefix(path, m+"/") {
			return true
		}
	}
	return false
}

// prefersHTML reports whether the Accept header ranks text/html above
// application/json, as a browser's does. No header, */* or a tie is JSON.
func prefersHTML(r *http.Request) bool {
	accept := r.Header.Values("Accept")
	return quality(accept, "text/html") > quality(accept, "application/json")
}

// quality is the weight the Accept header gives media type typ (RFC 9110,
// section 12.5.1): that of its most specific matching range, 1 without a
// header, 0 when no range matches. Ranges that do not parse are ignored.
func quality(accept []string, typ string) float64 {
	if len(accept) == 0 {
		return 1
	}
	major, _, _ := strings.Cut(typ, "/")
	q, best := 0.0, -1
	for _, h := range accept {
		for _, part := range strings.Split(h, ",") {
			rng, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			spec := -1
			switch rng {
			case typ:
				spec = 2
			case major + "/*":
				spec = 1
			case "*/*":
				spec = 0
			}
			if spec <= best {
				continue
			}
			w := 1.0
			if v, ok := params["q"]; ok {
				if w, err = strconv.ParseFloat(v, 64); err != nil || w < 0 || w > 1 {
					continue
				}
			}
			q, best = w, spec
		}
	}
	return q
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
