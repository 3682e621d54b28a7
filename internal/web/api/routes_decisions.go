// SPDX-License-Identifier: Apache-2.0

package api

import "github.com/omadata/omadata"

// decisionsRoutes are the routes of release decisions, where a sink or a
// source asks whether data may flow (decisions scope), followed by those of
// grants and transfers.
func (h *Handler) decisionsRoutes() []Route {
	const auth = "service:" + omadata.ScopeDecisions
	return append([]Route{
		{"POST", "/api/v1/decisions", auth, h.fn(h.decide)},
		{"POST", "/api/v1/decisions/batch", auth, h.fn(h.decideBatch)},
	}, h.grantsRoutes()...)
}
