// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

func (h *Handler) listProcessings(w http.ResponseWriter, r *http.Request) error {
	var f omadata.ProcessingFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixProcessing); err != nil {
		return err
	} else if f.ServiceID, err = idParam(r, "service_id", omadata.PrefixService); err != nil {
		return err
	} else if f.Status, err = enumParam(r, "status", omadata.VersionDraft, omadata.VersionPublished, omadata.VersionRetired); err != nil {
		return err
	}
	procs, next, err := h.Processings.FindProcessings(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, procs, next)
	return nil
}

// createProcessing declares a processing and its draft version 1. A service
// may leave service_id out: the processing is then its own.
func (h *Handler) createProcessing(w http.ResponseWriter, r *http.Request) error {
	var d omadata.ProcessingDraft
	if err := decode(r, &d); err != nil {
		return err
	}
	if c := omadata.CallerFromContext(r.Context()); d.ServiceID == "" && c.Kind == omadata.CallerService {
		d.ServiceID = c.ServiceID
	}
	p, err := h.Processings.CreateProcessing(r.Context(), &d)
	if err != nil {
		return err
	}
	respond.Created(w, r, p)
	return nil
}

func (h *Handler) getProcessing(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Processings.FindProcessingByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, p)
	return nil
}

func (h *Handler) retireProcessing(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Processings.RetireProcessing(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, p)
	return nil
}
