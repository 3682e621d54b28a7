// SPDX-License-Identifier: Apache-2.0

package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/web/netapi"
	"github.com/omadata/omadata/internal/web/respond"
)

// requestInfo is what the inner steps of the chain learn about a request
// (its route, its caller, its status) for the outer ones to log and count.
type requestInfo struct {
	id     string
	start  time.Time
	route  string
	caller omadata.Caller
	status int
	bytes  int64
}

type infoKey struct{}

// info returns the request's info; a throwaway one outside the chain.
func info(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

// recorder notes the status and size of a response in its requestInfo.
type recorder struct {
	http.ResponseWriter
	info *requestInfo
}

func (w *recorder) WriteHeader(code int) {
	if w.info.status == 0 {
		w.info.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.info.status == 0 {
		w.info.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.info.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestID gives every request an ID, taking the client's X-Request-ID
// only when it is short and plain, and echoes it in the response.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = rand.Text()
		}
		i := &requestInfo{id: id, start: time.Now()}
		ctx := context.WithValue(r.Context(), infoKey{}, i)
		ctx = omadata.NewContextWithRequestID(ctx, id)
		ctx = respond.NewContextWithLogger(ctx, s.log)
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(&recorder{ResponseWriter: w, info: i}, r.WithContext(ctx))
	})
}

// validRequestID reports whether id matches ^[A-Za-z0-9._-]{1,64}$.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request. It logs the route pattern, never
// the path or query, and nothing from the body: those may carry personal data.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		i := info(r.Context())
		level := slog.LevelInfo
		if i.status >= 500 {
			level = slog.LevelError
		} else if i.status == http.StatusRequestTimeout {
			level = slog.LevelWarn // a client too slow to send its body: one line, no error
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("route", i.route),
			slog.Int("status", i.status),
			slog.Float64("duration_ms", float64(time.Since(i.start).Microseconds())/1000),
			slog.Int64("bytes", i.bytes),
			slog.String("request_id", i.id),
			slog.String("caller_kind", string(i.caller.Kind)),
			slog.String("token_id", i.caller.TokenID),
		)
	})
}

// observe counts the request and its duration in the Prometheus metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		i := info(r.Context())
		s.metrics.observe(r.Method, i.route, i.status, time.Since(i.start))
	})
}

// recover turns a panic into a logged 500 in the error shape.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			} else if v == http.ErrAbortHandler {
				panic(v) // the server's way to abort a response; let it through
			}
			err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			if info(r.Context()).status != 0 {
				// Too late for an error body; log, and the client sees a cut response.
				s.log.ErrorContext(r.Context(), "panic after response started",
					slog.String("request_id", omadata.RequestIDFromContext(r.Context())), slog.String("error", err.Error()))
				return
			}
			respond.Error(w, r, err)
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body; reading past the cap fails with
// *http.MaxBytesError, which the JSON decoder answers with 413. It also
// counts bodies that did not arrive within the server's read timeout,
// which the surfaces answer with 408. The network endpoint accepts the
// 1 MiB docs/network.md §7 promises its peers whatever MaxBodyBytes
// says (§12.1); its Guard enforces that limit itself.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			limit := s.opts.MaxBodyBytes
			if s.opts.Network != nil && strings.HasPrefix(r.URL.Path, netapi.Prefix+"/") {
				limit = max(limit, network.MaxBody)
			}
			r.Body = http.MaxBytesReader(w, &slowBody{ReadCloser: r.Body, metrics: s.metrics}, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// slowBody counts, once per request, a body whose read deadline passed.
type slowBody struct {
	io.ReadCloser
	metrics *metrics
	counted bool
}

func (b *slowBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.counted && respond.ReadTimeout(err) {
		b.counted = true
		b.metrics.readTimeouts.Inc()
	}
	return n, err
}
