// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

func (h *Handler) listApps(w http.ResponseWriter, r *http.Request) error {
	apps, err := h.Apps.FindApps(r.Context())
	if err != nil {
		return err
	}
	respond.List(w, r, apps, "")
	return nil
}

func (h *Handler) createApp(w http.ResponseWriter, r *http.Request) error {
	var a omadata.App
	if err := decode(r, &a); err != nil {
		return err
	} else if err := serverAssigned(a.ID, a.CreatedAt, a.UpdatedAt); err != nil {
		return err
	}
	if err := h.Apps.CreateApp(r.Context(), &a); err != nil {
		return err
	}
	respond.Created(w, r, &a)
	return nil
}

func (h *Handler) getApp(w http.ResponseWriter, r *http.Request) error {
	a, err := h.Apps.FindApp(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, a)
	return nil
}

func (h *Handler) updateApp(w http.ResponseWriter, r *http.Request) error {
	var u omadata.AppUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	a, err := h.Apps.UpdateApp(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	respond.OK(w, r, a)
	return nil
}

// myApps lists the calling resident's connected apps.
func (h *Handler) myApps(w http.ResponseWriter, r *http.Request) error {
	conns, err := h.Apps.FindAppConnections(r.Context())
	if err != nil {
		return err
	}
	respond.List(w, r, conns, "")
	return nil
}

// endMyApp ends one of the calling resident's connections: the app's
// tokens stop working at once.
func (h *Handler) endMyApp(w http.ResponseWriter, r *http.Request) error {
	if err := h.Apps.EndAppConnection(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
