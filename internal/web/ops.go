// SPDX-License-Identifier: Apache-2.0

package web

import (
	"log/slog"
	"net/http"

	"github.com/omadata/omadata/internal/web/openapi"
	"github.com/omadata/omadata/internal/web/respond"
)

// fn adapts a handler that returns an error, like the API's adapter.
func (s *Server) fn(f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			respond.Error(w, r, err)
		}
	})
}

// healthz answers 200 while Options.Health passes, else 503, for load
// balancers and orchestrators. The cause goes to the log only.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.opts.Health != nil {
		if err := s.opts.Health(r.Context()); err != nil {
			s.log.WarnContext(r.Context(), "health check failed", slog.String("error", err.Error()))
			respond.JSON(w, r, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
	}
	respond.OK(w, r, map[string]string{"status": "ok"})
}

// openAPI serves the OpenAPI document of the API.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapi.Document)
}
