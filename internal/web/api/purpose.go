// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// listPurposes lists the whole taxonomy: it is short, so it has no pages.
func (h *Handler) listPurposes(w http.ResponseWriter, r *http.Request) error {
	purposes, err := h.Purposes.FindPurposes(r.Context())
	if err != nil {
		return err
	}
	respond.List(w, r, purposes, "")
	return nil
}

func (h *Handler) createPurpose(w http.ResponseWriter, r *http.Request) error {
	var p omadata.Purpose
	if err := decode(r, &p); err != nil {
		return err
	} else if err := serverAssigned(p.ID, p.CreatedAt, p.UpdatedAt); err != nil {
		return err
	}
	if err := h.Purposes.CreatePurpose(r.Context(), &p); err != nil {
		return err
	}
	respond.Created(w, r, &p)
	return nil
}

func (h *Handler) getPurpose(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Purposes.FindPurposeByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, p)
	return nil
}

func (h *Handler) updatePurpose(w http.ResponseWriter, r *http.Request) error {
	var u omadata.PurposeUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	p, err := h.Purposes.UpdatePurpose(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	respond.OK(w, r, p)
	return nil
}
