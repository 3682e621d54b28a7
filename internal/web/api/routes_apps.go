// SPDX-License-Identifier: Apache-2.0

package api

// appsRoutes are the routes of residents' own apps (docs/apps.md): the
// operator admin registers them; a resident lists and ends their
// connections. The OAuth endpoints themselves (/oauth/token,
// /oauth/revoke) are package web's; /oauth/authorize is the portal's.
func (h *Handler) appsRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/apps", AuthAdmin, h.fn(h.listApps)},
		{"POST", "/api/v1/apps", AuthAdmin, h.fn(h.createApp)},
		{"GET", "/api/v1/apps/{id}", AuthAdmin, h.fn(h.getApp)},
		{"PATCH", "/api/v1/apps/{id}", AuthAdmin, h.fn(h.updateApp)},
		{"GET", "/api/v1/me/apps", AuthResident, h.fn(h.myApps)},
		{"DELETE", "/api/v1/me/apps/{id}", AuthResident, h.fn(noBody(h.endMyApp))},
	}
}
