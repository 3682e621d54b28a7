// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

type whoami struct {
	Kind      omadata.CallerKind `json:"kind"`
	TokenID   string             `json:"token_id"`
	ServiceID string             `json:"service_id,omitempty"`
	Scopes    []string           `json:"scopes"`
}

// whoami tells the caller how the server sees their credential.
func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	c := omadata.CallerFromContext(r.Context())
	scopes := c.Scopes
	if c.IsAdmin() {
		scopes = omadata.CredentialScopes // admins hold every scope
	}
	if scopes == nil {
		scopes = []string{}
	}
	respond.OK(w, r, whoami{Kind: c.Kind, TokenID: c.TokenID, ServiceID: c.ServiceID, Scopes: scopes})
	return nil
}
