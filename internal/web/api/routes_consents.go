// SPDX-License-Identifier: Apache-2.0

package api

import "github.com/omadata/omadata"

// consentsRoutes are the routes of consents: residents decide under
// /me/consents, sinks ask and read with the consents scope, admins see
// everything and record paper consents.
func (h *Handler) consentsRoutes() []Route {
	const sink = "admin,service:" + omadata.ScopeConsents
	return []Route{
		{"GET", "/api/v1/me/consents", AuthResident, h.fn(h.myConsents)},
		{"POST", "/api/v1/me/consents", AuthResident, h.fn(h.giveConsent)},
		{"POST", "/api/v1/me/consents/refusals", AuthResident, h.fn(h.refuseConsent)},
		{"GET", "/api/v1/me/consents/{id}", AuthResident, h.fn(h.getConsent)},
		{"POST", "/api/v1/me/consents/{id}/withdraw", AuthResident, h.fn(h.withdrawConsent)},
		{"POST", "/api/v1/me/consents/{id}/suspend", AuthResident, h.fn(h.suspendConsent)},
		{"POST", "/api/v1/me/consents/{id}/resume", AuthResident, h.fn(h.resumeConsent)},
		{"GET", "/api/v1/me/consents/{id}/records/{seq}/receipt", AuthResident, h.fn(h.consentReceipt)},

		{"POST", "/api/v1/consent-requests", "service:" + omadata.ScopeConsents, h.fn(h.requestConsent)},
		{"GET", "/api/v1/consents", sink, h.fn(h.listConsents)},
		{"GET", "/api/v1/consents/{id}", sink, h.fn(h.getConsent)},
		{"POST", "/api/v1/consents/{id}/revoke", sink, h.fn(h.revokeConsent)},
		{"POST", "/api/v1/consents/paper", AuthAdmin, h.fn(h.recordPaperConsent)},
	}
}
