// SPDX-License-Identifier: Apache-2.0

package worker_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/peer"
	"github.com/omadata/omadata/internal/worker"
)

// TestNetworkMetricsShareARegistry: two nodes on one registry share the
// network's metrics, as the Guard's refusals counter always did, instead
// of the second panicking (issue 17 review).
func TestNetworkMetricsShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		worker.NewOutboxMetrics(reg)
		worker.NewSyncMetrics(reg)
		peer.NewMetrics(reg)
		network.NewGuard(&network.Verifier{}, nil, reg)
	}
	// A name clash of another type is a bug, and says so.
	defer func() {
		if recover() == nil {
			t.Error("registering omadata_network_outbox_claimed as a counter did not panic")
		}
	}()
	network.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: "omadata_network_outbox_claimed", Help: "x"}))
}
