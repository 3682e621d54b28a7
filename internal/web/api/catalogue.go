// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// listCatalogue states what the city collects, for what and on what
// ground: the published processings of approved sinks. It answers with a
// strong ETag of the page it sends, and 304 to a matching If-None-Match.
func (h *Handler) listCatalogue(w http.ResponseWriter, r *http.Request) error {
	var f omadata.CatalogueFilter
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixProcessing); err != nil {
		return err
	} else if f.OrganisationID, err = idParam(r, "organisation_id", omadata.PrefixOrganisation); err != nil {
		return err
	} else if f.PurposeID, err = idParam(r, "purpose_id", omadata.PrefixPurpose); err != nil {
		return err
	}
	entries, next, err := h.Catalogue.FindCatalogue(r.Context(), f)
	if err != nil {
		return err
	}
	respond.ConditionalList(w, r, entries, next)
	return nil
}

func (h *Handler) getCatalogueEntry(w http.ResponseWriter, r *http.Request) error {
	e, err := h.Catalogue.FindCatalogueEntry(r.Context(), r.PathValue("processing_id"))
	if err != nil {
		return err
	}
	respond.ConditionalJSON(w, r, "application/json", e)
	return nil
}
