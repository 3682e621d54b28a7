// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

func (h *Handler) listServices(w http.ResponseWriter, r *http.Request) error {
	var f omadata.ServiceFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixService); err != nil {
		return err
	} else if f.OrganisationID, err = idParam(r, "organisation_id", omadata.PrefixOrganisation); err != nil {
		return err
	} else if f.Status, err = enumParam(r, "status", omadata.ServicePending, omadata.ServiceApproved, omadata.ServiceSuspended); err != nil {
		return err
	} else if f.Role, err = enumParam(r, "role", omadata.RoleSource, omadata.RoleSink); err != nil {
		return err
	}
	services, next, err := h.Services.FindServices(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, services, next)
	return nil
}

func (h *Handler) createService(w http.ResponseWriter, r *http.Request) error {
	var s omadata.Service
	if err := decode(r, &s); err != nil {
		return err
	} else if err := serverAssigned(s.ID, s.CreatedAt, s.UpdatedAt); err != nil {
		return err
	} else if s.Status != "" {
		return omadata.Invalidf("status", "A new service is pending; an operator admin approves it.")
	}
	if err := h.Services.CreateService(r.Context(), &s); err != nil {
		return err
	}
	respond.Created(w, r, &s)
	return nil
}

func (h *Handler) getService(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Services.FindServiceByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, s)
	return nil
}

func (h *Handler) updateService(w http.ResponseWriter, r *http.Request) error {
	var u omadata.ServiceUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	s, err := h.Services.UpdateService(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	respond.OK(w, r, s)
	return nil
}

func (h *Handler) approveService(w http.ResponseWriter, r *http.Request) error {
	return h.setServiceStatus(w, r, omadata.ServiceApproved)
}

func (h *Handler) suspendService(w http.ResponseWriter, r *http.Request) error {
	return h.setServiceStatus(w, r, omadata.ServiceSuspended)
}

func (h *Handler) setServiceStatus(w http.ResponseWriter, r *http.Request, status string) error {
	s, err := h.Services.SetServiceStatus(r.Context(), r.PathValue("id"), status)
	if err != nil {
		return err
	}
	respond.OK(w, r, s)
	return nil
}
