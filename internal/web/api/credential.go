// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// credentialInput is the body that issues a credential. ExpiresAt is a
// string so that a bad time names its field like every other bad input.
type credentialInput struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresAt *string  `json:"expires_at"`
}

func (h *Handler) listCredentials(w http.ResponseWriter, r *http.Request) error {
	creds, err := h.Credentials.FindCredentials(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.List(w, r, creds, "")
	return nil
}

// createCredential issues a credential; the response is the only place its
// token ever appears.
func (h *Handler) createCredential(w http.ResponseWriter, r *http.Request) error {
	var in credentialInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c := omadata.Credential{ServiceID: r.PathValue("id"), Name: in.Name, Scopes: in.Scopes}
	if in.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			return omadata.Invalidf("expires_at", "Use an RFC 3339 time, such as 2030-01-31T00:00:00Z.")
		}
		t = t.UTC()
		c.ExpiresAt = &t
	}
	if err := h.Credentials.CreateCredential(r.Context(), &c); err != nil {
		return err
	}
	respond.Created(w, r, &c)
	return nil
}

func (h *Handler) revokeCredential(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Credentials.RevokeCredential(r.Context(), r.PathValue("id"), r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, c)
	return nil
}
