// SPDX-License-Identifier: Apache-2.0

package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

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

// livez answers 200 while the process serves HTTP at all: a liveness
// probe that fails only when the process should be restarted. It checks
// nothing else, so that a database outage does not restart every instance.
func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	respond.OK(w, r, map[string]string{"status": "ok"})
}

// readyTimeout bounds each readiness check, below a probe's usual timeout.
const readyTimeout = 2 * time.Second

// readyz answers 200 when every check of Options.Ready passes, else 503:
// a readiness probe, which takes the instance out of the load balancer
// without restarting it. The body names each check's result, "ok" or
// "unavailable"; the causes go to the log only.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	status, checks := http.StatusOK, map[string]string{}
	for _, c := range s.opts.Ready {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := c.Check(ctx)
		cancel()
		if err != nil {
			s.log.WarnContext(r.Context(), "readiness check failed", slog.String("check", c.Name), slog.String("error", err.Error()))
			status, checks[c.Name] = http.StatusServiceUnavailable, "unavailable"
		} else {
			checks[c.Name] = "ok"
		}
	}
	body := map[string]any{"status": "ok", "checks": checks}
	if status != http.StatusOK {
		body["status"] = "unavailable"
	}
	respond.JSON(w, r, status, body)
}

// openAPI serves the OpenAPI document of the API.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapi.Document)
}
