// SPDX-License-Identifier: Apache-2.0

package peer

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata/internal/network"
)

// Metrics count the calls this operator makes to peers.
type Metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the peer client's metrics on reg (network.Register).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: network.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_network_calls_total",
			Help: "Signed calls to peer operators, by kind (grant, decisions, consent_event, catalogue, log_record) and outcome (ok, refused, error).",
		}, []string{"kind", "outcome"})),
		duration: network.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "omadata_network_call_duration_seconds",
			Help:    "Time of signed calls to peer operators, from signing to the verified answer, by kind.",
			Buckets: prometheus.DefBuckets,
		}, []string{"kind"})),
	}
	return m
}

func (m *Metrics) observe(kind string, start time.Time, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	var rf *network.Refusal
	if errors.As(err, &rf) {
		outcome = "refused"
	} else if err != nil {
		outcome = "error"
	}
	m.calls.WithLabelValues(kind, outcome).Inc()
	m.duration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
}
