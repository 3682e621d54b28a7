// SPDX-License-Identifier: Apache-2.0

package api

import "github.com/omadata/omadata"

// residentsRoutes are the routes of residents and who may act for them.
// An identity code travels only in request bodies and in the resident's
// own profile, never in a URL.
func (h *Handler) residentsRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/me", AuthResident, h.fn(h.me)},
		{"GET", "/api/v1/me/representations", AuthResident, h.fn(h.myRepresentations)},
		{"POST", "/api/v1/me/representations", AuthResident, h.fn(h.grantMandate)},
		{"POST", "/api/v1/residents/link", "service:" + omadata.ScopeResidentsLink, h.fn(h.linkResident)},
		{"POST", "/api/v1/residents/rekey", AuthAdmin, h.fn(h.rekeyResident)},
		{"POST", "/api/v1/representations", "admin,service:" + omadata.ScopeResidentsLink, h.fn(h.createRepresentation)},
		{"POST", "/api/v1/representations/{id}/end", "admin,resident", h.fn(noBody(h.endRepresentation))},
		{"GET", "/api/v1/services/{id}/representation-kinds", AuthAdmin, h.fn(h.getRepresentationRecorder)},
		{"PUT", "/api/v1/services/{id}/representation-kinds", AuthAdmin, h.fn(h.setRepresentationRecorder)},
	}
}
