// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// requestConsent lets a sink ask a resident, known to it by its pseudonym,
// to consent to one of its processings.
func (h *Handler) requestConsent(w http.ResponseWriter, r *http.Request) error {
	var in omadata.ConsentRequestInput
	if err := decode(r, &in); err != nil {
		return err
	} else if err := checkConsentRequest(&in); err != nil {
		return err
	}
	consent, err := h.Consents.RequestConsent(r.Context(), &in)
	if err != nil {
		return err
	}
	respond.Created(w, r, consent)
	return nil
}

// listConsents lists consents: every consent to admins, those on its own
// processings to a sink, which sees residents only by its pseudonyms.
func (h *Handler) listConsents(w http.ResponseWriter, r *http.Request) error {
	var f omadata.ConsentFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixConsent); err != nil {
		return err
	} else if f.ProcessingID, err = idParam(r, "processing_id", omadata.PrefixProcessing); err != nil {
		return err
	} else if f.Status, err = enumParam(r, "status", consentStatuses...); err != nil {
		return err
	}
	consents, next, err := h.Consents.FindConsents(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, consents, next)
	return nil
}
