// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// webhooksRoutes are the dead-letter view, manual replay and secret rotation.
func (h *Handler) webhooksRoutes() []Route {
	const own = "admin,service:" + omadata.ScopeWebhooks
	return []Route{
		{"GET", "/api/v1/deliveries", own, h.fn(h.listDeliveries)},
		{"POST", "/api/v1/deliveries/{id}/redeliver", AuthAdmin, h.fn(noBody(h.redeliver))},
		{"POST", "/api/v1/services/{id}/webhook-secret", own, h.fn(noBody(h.rotateWebhookSecret))},
	}
}

func (h *Handler) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	var f omadata.DeliveryFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixEvent); err != nil {
		return err
	} else if f.ServiceID, err = idParam(r, "service_id", omadata.PrefixService); err != nil {
		return err
	} else if f.Status, err = enumParam(r, "status", omadata.DeliveryPending, omadata.DeliveryDelivered, omadata.DeliveryDead); err != nil {
		return err
	}
	ds, next, err := h.Webhooks.FindDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, ds, next)
	return nil
}

func (h *Handler) redeliver(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Webhooks.Redeliver(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, d)
	return nil
}

// rotateWebhookSecret makes a new secret; the response is the only place
// it ever appears.
func (h *Handler) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Webhooks.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.Created(w, r, s)
	return nil
}
