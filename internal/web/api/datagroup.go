// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

func (h *Handler) listDataGroups(w http.ResponseWriter, r *http.Request) error {
	var f omadata.DataGroupFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixDataGroup); err != nil {
		return err
	} else if f.ServiceID, err = idParam(r, "service_id", omadata.PrefixService); err != nil {
		return err
	}
	groups, next, err := h.DataGroups.FindDataGroups(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, groups, next)
	return nil
}

// createDataGroup registers a data group of a source. A service may leave
// service_id out: the group is then its own.
func (h *Handler) createDataGroup(w http.ResponseWriter, r *http.Request) error {
	var g omadata.DataGroup
	if err := decode(r, &g); err != nil {
		return err
	} else if err := serverAssigned(g.ID, g.CreatedAt, g.UpdatedAt); err != nil {
		return err
	}
	if c := omadata.CallerFromContext(r.Context()); g.ServiceID == "" && c.Kind == omadata.CallerService {
		g.ServiceID = c.ServiceID
	}
	if err := h.DataGroups.CreateDataGroup(r.Context(), &g); err != nil {
		return err
	}
	respond.Created(w, r, &g)
	return nil
}

func (h *Handler) getDataGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := h.DataGroups.FindDataGroupByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, g)
	return nil
}

func (h *Handler) updateDataGroup(w http.ResponseWriter, r *http.Request) error {
	var u omadata.DataGroupUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	g, err := h.DataGroups.UpdateDataGroup(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	respond.OK(w, r, g)
	return nil
}
