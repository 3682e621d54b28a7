// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/openapitest"
)

// spec is the compiled OpenAPI document, loaded once for all tests.
var spec = sync.OnceValues(openapitest.Load)

// TestOpenAPICoversEveryRoute fails when the server serves a route the
// document does not describe, or the document describes one it does not serve.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, r := range newEnv(t, nil).srv.Routes() {
		served = append(served, r.Method+" "+r.Pattern)
	}
	documented := s.Operations()
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is missing from openapi.json", r)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("openapi.json documents %s, which the server does not serve", op)
		}
	}
}

// conform wraps a server so that every response it writes during a test is
// checked against the OpenAPI document: an undocumented status or a body
// that does not match its schema fails the test. newEnv installs it, so
// every HTTP test in this package is also a conformance test.
func conform(t testing.TB, srv *web.Server) http.Handler {
	s, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	// A mux of the same patterns tells which route a request matched.
	patterns := http.NewServeMux()
	for _, r := range srv.Routes() {
		patterns.Handle(r.Method+" "+r.Pattern, http.NotFoundHandler())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		_, pattern := patterns.Handler(r)
		srv.ServeHTTP(rec, r)
		if pattern == "" {
			return // unknown paths and methods: JSON 404/405, not operations
		}
		method, path, _ := strings.Cut(pattern, " ")
		if err := s.ValidateResponse(method, path, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes()); err != nil {
			t.Errorf("%s %s: response %d does not match openapi.json: %v\n%s", r.Method, r.URL.Path, rec.status, err, truncate(rec.body.String()))
		}
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
