// SPDX-License-Identifier: Apache-2.0

package api

// Routes returns every API route. The public routes reuse the handlers of
// the authenticated ones: the store shows the anonymous caller only public
// records, so one handler serves both.
func (h *Handler) Routes() []Route {
	const (
		pub = AuthPublic
		adm = AuthAdmin
		all = AuthAdminService
	)
	routes := []Route{
		{"GET", "/api/v1/whoami", all, h.fn(h.whoami)},

		{"GET", "/api/v1/organisations", all, h.fn(h.listOrganisations)},
		{"POST", "/api/v1/organisations", adm, h.fn(h.createOrganisation)},
		{"GET", "/api/v1/organisations/{id}", all, h.fn(h.getOrganisation)},
		{"PATCH", "/api/v1/organisations/{id}", adm, h.fn(h.updateOrganisation)},

		{"GET", "/api/v1/services", all, h.fn(h.listServices)},
		{"POST", "/api/v1/services", adm, h.fn(h.createService)},
		{"GET", "/api/v1/services/{id}", all, h.fn(h.getService)},
		{"PATCH", "/api/v1/services/{id}", all, h.fn(h.updateService)},
		{"POST", "/api/v1/services/{id}/approve", adm, h.fn(noBody(h.approveService))},
		{"POST", "/api/v1/services/{id}/suspend", adm, h.fn(noBody(h.suspendService))},

		{"GET", "/api/v1/services/{id}/credentials", all, h.fn(h.listCredentials)},
		{"POST", "/api/v1/services/{id}/credentials", all, h.fn(h.createCredential)},
		{"POST", "/api/v1/services/{id}/credentials/{credential_id}/revoke", all, h.fn(noBody(h.revokeCredential))},

		{"GET", "/api/v1/purposes", all, h.fn(h.listPurposes)},
		{"POST", "/api/v1/purposes", adm, h.fn(h.createPurpose)},
		{"GET", "/api/v1/purposes/{id}", all, h.fn(h.getPurpose)},
		{"PATCH", "/api/v1/purposes/{id}", adm, h.fn(h.updatePurpose)},

		{"GET", "/api/v1/data-groups", all, h.fn(h.listDataGroups)},
		{"POST", "/api/v1/data-groups", all, h.fn(h.createDataGroup)},
		{"GET", "/api/v1/data-groups/{id}", all, h.fn(h.getDataGroup)},
		{"PATCH", "/api/v1/data-groups/{id}", all, h.fn(h.updateDataGroup)},

		{"GET", "/api/v1/processings", all, h.fn(h.listProcessings)},
		{"POST", "/api/v1/processings", all, h.fn(h.createProcessing)},
		{"GET", "/api/v1/processings/{id}", all, h.fn(h.getProcessing)},
		{"POST", "/api/v1/processings/{id}/versions", all, h.fn(h.createVersion)},
		{"PATCH", "/api/v1/processings/{id}/versions/{version}", all, h.fn(h.updateVersion)},
		{"PUT", "/api/v1/processings/{id}/versions/{version}/notices/{language}", all, h.fn(h.putNotice)},
		{"POST", "/api/v1/processings/{id}/versions/{version}/publish", all, h.fn(noBody(h.publishVersion))},
		{"POST", "/api/v1/processings/{id}/versions/{version}/approve", adm, h.fn(noBody(h.approveVersion))},
		{"POST", "/api/v1/processings/{id}/retire", all, h.fn(noBody(h.retireProcessing))},

		{"GET", "/api/v1/ai-systems", all, h.fn(h.listAISystems)},
		{"POST", "/api/v1/ai-systems", adm, h.fn(h.createAISystem)},
		{"GET", "/api/v1/ai-systems/{id}", all, h.fn(h.getAISystem)},
		{"PATCH", "/api/v1/ai-systems/{id}", adm, h.fn(h.updateAISystem)},

		{"GET", "/api/v1/admin-tokens", adm, h.fn(h.listAdminTokens)},
		{"POST", "/api/v1/admin-tokens", adm, h.fn(h.createAdminToken)},
		{"POST", "/api/v1/admin-tokens/{id}/revoke", adm, h.fn(noBody(h.revokeAdminToken))},

		{"GET", "/api/v1/public/organisations", pub, h.fn(h.listOrganisations)},
		{"GET", "/api/v1/public/organisations/{id}", pub, h.fn(h.getOrganisation)},
		{"GET", "/api/v1/public/services", pub, h.fn(h.listServices)},
		{"GET", "/api/v1/public/purposes", pub, h.fn(h.listPurposes)},
		{"GET", "/api/v1/public/data-groups", pub, h.fn(h.listDataGroups)},
		{"GET", "/api/v1/public/catalogue", pub, h.fn(h.listCatalogue)},
		{"GET", "/api/v1/public/catalogue/{processing_id}", pub, h.fn(h.getCatalogueEntry)},
		{"GET", DCATPath, pub, h.fn(h.getDCAT)},
		{"GET", "/api/v1/public/ai-systems", pub, h.fn(h.listAISystems)},
		{"GET", "/api/v1/public/ai-systems/{id}", pub, h.fn(h.getAISystem)},
	}
	// Each area of the API adds its routes from its own file.
	// (area routes appended below, one line each)
	routes = append(routes, h.webhooksRoutes()...)
	routes = append(routes, h.decisionsRoutes()...)
	routes = append(routes, h.residentsRoutes()...)
	routes = append(routes, h.consentsRoutes()...)
	routes = append(routes, h.logRoutes()...)
	routes = append(routes, h.requestsRoutes()...)
	routes = append(routes, h.appsRoutes()...)
	routes = append(routes, h.archiveRoutes()...)
	routes = append(routes, h.witnessRoutes()...)
	return routes
}
