// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata/internal/web/respond"
)

func (h *Handler) listAdminTokens(w http.ResponseWriter, r *http.Request) error {
	tokens, err := h.Credentials.FindAdminTokens(r.Context())
	if err != nil {
		return err
	}
	respond.List(w, r, tokens, "")
	return nil
}

// createAdminToken issues an admin token; the response is the only place
// its secret ever appears.
func (h *Handler) createAdminToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := h.Credentials.CreateAdminToken(r.Context(), in.Name)
	if err != nil {
		return err
	}
	respond.Created(w, r, t)
	return nil
}

func (h *Handler) revokeAdminToken(w http.ResponseWriter, r *http.Request) error {
	t, err := h.Credentials.RevokeAdminToken(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, t)
	return nil
}
