// SPDX-License-Identifier: Apache-2.0

package api

import "github.com/omadata/omadata"

// grantsRoutes are the routes of grants and transfers: a sink obtains a
// grant with the grants scope; a source checks it live and records what it
// released with the transfers scope. The status route takes the transfers
// scope only, because sources are who must check a grant on every use; a
// sink learns that its grant stopped working from the source's refusal.
func (h *Handler) grantsRoutes() []Route {
	const (
		sink   = "service:" + omadata.ScopeGrants
		source = "service:" + omadata.ScopeTransfers
	)
	return []Route{
		{"POST", "/api/v1/grants", sink, h.fn(h.issueGrant)},
		{"GET", "/api/v1/grants/{id}/status", source, h.fn(h.grantStatus)},
		{"POST", "/api/v1/transfers", source, h.fn(h.recordTransfer)},
	}
}
