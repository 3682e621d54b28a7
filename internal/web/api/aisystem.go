// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

func (h *Handler) listAISystems(w http.ResponseWriter, r *http.Request) error {
	var f omadata.AISystemFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixAISystem); err != nil {
		return err
	} else if f.OrganisationID, err = idParam(r, "organisation_id", omadata.PrefixOrganisation); err != nil {
		return err
	}
	systems, next, err := h.AISystems.FindAISystems(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, systems, next)
	return nil
}

func (h *Handler) createAISystem(w http.ResponseWriter, r *http.Request) error {
	var a omadata.AISystem
	if err := decode(r, &a); err != nil {
		return err
	} else if err := serverAssigned(a.ID, a.CreatedAt, a.UpdatedAt); err != nil {
		return err
	}
	if err := h.AISystems.CreateAISystem(r.Context(), &a); err != nil {
		return err
	}
	respond.Created(w, r, &a)
	return nil
}

func (h *Handler) getAISystem(w http.ResponseWriter, r *http.Request) error {
	a, err := h.AISystems.FindAISystemByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, a)
	return nil
}

func (h *Handler) updateAISystem(w http.ResponseWriter, r *http.Request) error {
	var u omadata.AISystemUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	a, err := h.AISystems.UpdateAISystem(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	respond.OK(w, r, a)
	return nil
}
