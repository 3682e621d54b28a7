// SPDX-License-Identifier: Apache-2.0

package api

import "github.com/omadata/omadata"

// requestsRoutes are the routes of data-subject requests: residents make
// and follow their own (and their wards'), admins see and resolve all,
// services answer the tasks addressed to them.
func (h *Handler) requestsRoutes() []Route {
	const both = "admin,resident"
	tasks := "admin,service:" + omadata.ScopeRequests
	return []Route{
		{"POST", "/api/v1/requests", both, h.fn(h.createRequest)},
		{"GET", "/api/v1/requests", both, h.fn(h.listRequests)},
		{"GET", "/api/v1/requests/{id}", both, h.fn(h.getRequest)},
		{"POST", "/api/v1/requests/{id}/resolve", both, h.fn(h.resolveRequest)},
		{"POST", "/api/v1/requests/{id}/export", both, h.fn(noBody(h.exportRequest))},
		{"POST", "/api/v1/requests/{id}/extend", "admin", h.fn(h.extendRequest)},
		{"GET", "/api/v1/request-tasks", tasks, h.fn(h.listRequestTasks)},
		{"POST", "/api/v1/request-tasks/{id}/answer", tasks, h.fn(h.answerRequestTask)},
	}
}
