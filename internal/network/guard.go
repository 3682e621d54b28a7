// SPDX-License-Identifier: Apache-2.0

package network

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/omadata/omadata"
	"github.com/prometheus/client_golang/prometheus"
)

// Guard admits only verified calls to the handlers of the network
// endpoint, and writes, logs and counts every refusal (docs/network.md
// sections 3 and 6).
type Guard struct {
	verifier *Verifier
	log      *slog.Logger
	refusals *prometheus.CounterVec
}

// NewGuard returns a Guard over v that logs to log and counts refusals in
// omadata_network_refusals_total{reason}, registered on reg (Register:
// two guards on one registry share it).
func NewGuard(v *Verifier, log *slog.Logger, reg prometheus.Registerer) *Guard {
	c := Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "omadata_network_refusals_total",
		Help: "Calls from other operators refused, by reason (docs/network.md section 6).",
	}, []string{"reason"}))
	return &Guard{verifier: v, log: log, refusals: c}
}

type callKey struct{}

// CallFromContext returns the verified call of a request the Guard
// admitted.
func CallFromContext(ctx context.Context) (*Call, bool) {
	c, ok := ctx.Value(callKey{}).(*Call)
	return c, ok
}

// Handler reads the request's body (at most MaxBody), verifies the call
// and passes it to next with the body restored, the caller in the context
// (omadata.CallerOperator, its OperatorID) and the call (CallFromContext).
func (g *Guard) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			g.Refuse(w, r, Refuse(ReasonTooLarge, "The body is larger than 1 MiB."))
			return
		} else if err != nil {
			g.Refuse(w, r, Refuse(ReasonInvalid, "The body could not be read."))
			return
		}
		call, err := g.verifier.Verify(r, body)
		if err != nil {
			var rf *Refusal
			if !errors.As(err, &rf) {
				g.log.ErrorContext(r.Context(), "network call not verified", "path", r.URL.Path, "err", err)
				rf = &Refusal{Reason: ReasonUnavailable, Status: http.StatusServiceUnavailable, Detail: "The call cannot be checked now; try again later."}
			}
			g.Refuse(w, r, rf)
			return
		}
		ctx := omadata.NewContextWithCaller(r.Context(), omadata.Caller{Kind: omadata.CallerOperator, OperatorID: call.OperatorID})
		ctx = context.WithValue(ctx, callKey{}, call)
		r = r.WithContext(ctx)
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// Refuse writes rf as a problem document, logs it (reason, the operator
// the call claims to be from, path; never the body) and counts it. The
// network endpoint's handlers refuse through it too (section 5's reasons).
func (g *Guard) Refuse(w http.ResponseWriter, r *http.Request, rf *Refusal) {
	claimed := rf.claimed
	if c, ok := CallFromContext(r.Context()); ok {
		claimed = c.OperatorID
	}
	attrs := []any{"reason", rf.Reason, "status", rf.status(), "operator", claimed, "method", r.Method, "path", r.URL.Path}
	if rf.cause != nil {
		attrs = append(attrs, "err", rf.cause)
	}
	g.log.WarnContext(r.Context(), "network call refused", attrs...)
	g.refusals.WithLabelValues(rf.Reason).Inc()
	WriteProblem(w, rf)
}

// Error writes err, which a network endpoint handler returned: a *Refusal
// as it is; an error of the store as the refusal of the reason
// omadata.NetworkReason names (not_member, forbidden, not_your_sink,
// not_our_source, unknown_resident, invalid naming its field, not_found,
// too_large, unavailable); anything else as a 500 problem document of
// reason "internal" with no detail (docs/network.md §6), logged with its
// cause and not counted as a refusal.
func (g *Guard) Error(w http.ResponseWriter, r *http.Request, err error) {
	var rf *Refusal
	if errors.As(err, &rf) {
		g.Refuse(w, r, rf)
		return
	}
	if reason := omadata.NetworkReason(err); reason != ReasonInternal {
		g.Refuse(w, r, &Refusal{Reason: reason, Detail: omadata.ErrorMessage(err), Field: omadata.ErrorField(err)})
		return
	}
	g.log.ErrorContext(r.Context(), "network call failed", "method", r.Method, "path", r.URL.Path, "err", err)
	WriteProblem(w, &Refusal{Reason: ReasonInternal})
}
