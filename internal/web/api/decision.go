// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/phase"
	"github.com/omadata/omadata/internal/web/respond"
)

// decide answers one release question. A deny is an answer, not an error:
// it is 200 like a permit, with its reason and evidence ID.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request) error {
	var in omadata.DecisionInput
	if err := decode(r, &in); err != nil {
		return err
	} else if err := in.Validate(); err != nil {
		return err
	}
	phase.Mark(r.Context(), phase.Decode)
	d, err := h.Decisions.Decide(r.Context(), &in)
	if err != nil {
		return err
	}
	respond.OK(w, r, d)
	return nil
}

// decisionBatch is the body of a batch of questions.
type decisionBatch struct {
	Requests []*omadata.DecisionInput `json:"requests"`
}

// decodeBatch reads and validates a batch body.
func decodeBatch(r *http.Request) ([]*omadata.DecisionInput, error) {
	var b decisionBatch
	if err := decode(r, &b); err != nil {
		return nil, err
	} else if err := omadata.ValidateBatch(b.Requests); err != nil {
		return nil, err
	}
	return b.Requests, nil
}

// decideBatch answers up to omadata.MaxBatch questions, in order.
func (h *Handler) decideBatch(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeBatch(r)
	if err != nil {
		return err
	}
	ds, err := h.Decisions.DecideBatch(r.Context(), in)
	if err != nil {
		return err
	}
	respond.OK(w, r, struct {
		Decisions []*omadata.Decision `json:"decisions"`
	}{ds})
	return nil
}
