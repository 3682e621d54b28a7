// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

func (h *Handler) listOrganisations(w http.ResponseWriter, r *http.Request) error {
	var f omadata.OrganisationFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixOrganisation); err != nil {
		return err
	} else if f.Kind, err = enumParam(r, "kind", omadata.OrganisationKinds...); err != nil {
		return err
	}
	orgs, next, err := h.Organisations.FindOrganisations(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, orgs, next)
	return nil
}

func (h *Handler) createOrganisation(w http.ResponseWriter, r *http.Request) error {
	var o omadata.Organisation
	if err := decode(r, &o); err != nil {
		return err
	} else if err := serverAssigned(o.ID, o.CreatedAt, o.UpdatedAt); err != nil {
		return err
	}
	if err := h.Organisations.CreateOrganisation(r.Context(), &o); err != nil {
		return err
	}
	respond.Created(w, r, &o)
	return nil
}

func (h *Handler) getOrganisation(w http.ResponseWriter, r *http.Request) error {
	o, err := h.Organisations.FindOrganisationByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, o)
	return nil
}

func (h *Handler) updateOrganisation(w http.ResponseWriter, r *http.Request) error {
	var u omadata.OrganisationUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	o, err := h.Organisations.UpdateOrganisation(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	respond.OK(w, r, o)
	return nil
}
