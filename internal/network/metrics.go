// SPDX-License-Identifier: Apache-2.0

package network

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns it, or returns the collector
// of the same name and type already registered there: two nodes of one
// process (two servers in a test, a node restarted) share the network's
// metrics instead of panicking. Every network metric registers through
// it (docs/network.md §12.3). A name registered with another type or
// other labels is a bug, and panics.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(err)
}
