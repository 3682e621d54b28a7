// SPDX-License-Identifier: Apache-2.0

package api

// logRoutes are the routes of the transparency log. The log holds no
// personal data, so its checkpoints, leaves and proofs are public: anyone
// may verify it. A resident's usage and a service's own events need their
// credentials.
func (h *Handler) logRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/public/log/checkpoint", AuthPublic, h.fn(h.logCheckpoint)},
		{"GET", "/api/v1/public/log/leaves/{index}", AuthPublic, h.fn(h.logLeaf)},
		{"GET", "/api/v1/public/log/proofs/inclusion", AuthPublic, h.fn(h.inclusionProof)},
		{"GET", "/api/v1/public/log/proofs/consistency", AuthPublic, h.fn(h.consistencyProof)},
		{"GET", "/api/v1/me/usage", AuthResident, h.fn(h.myUsage)},
		{"GET", "/api/v1/services/{id}/log", AuthAdminService, h.fn(h.serviceLog)},
	}
}
