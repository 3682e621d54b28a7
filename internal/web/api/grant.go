// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// issueGrant gives the calling sink a grant bound to the key of its DPoP
// proof: 201 with the token on permit, 200 with the deny decision and no
// token otherwise.
func (h *Handler) issueGrant(w http.ResponseWriter, r *http.Request) error {
	proof, err := h.verifyDPoP(r)
	if err != nil {
		return err
	}
	var in omadata.GrantInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.JKT, in.ProofJTI = proof.JKT, proof.ID
	if err := in.Validate(); err != nil {
		return err
	}
	g, err := h.Grants.IssueGrant(r.Context(), &in)
	if err != nil {
		return err
	} else if !g.Decision.Permit() {
		respond.OK(w, r, g)
		return nil
	}
	respond.Created(w, r, g)
	return nil
}

// grantStatus re-decides a grant now, for its source.
func (h *Handler) grantStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := h.Grants.GrantStatus(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, st)
	return nil
}

// recordTransfer records what a source released under a grant.
func (h *Handler) recordTransfer(w http.ResponseWriter, r *http.Request) error {
	var in omadata.TransferInput
	if err := decode(r, &in); err != nil {
		return err
	} else if err := in.Validate(); err != nil {
		return err
	}
	t, err := h.Grants.RecordTransfer(r.Context(), &in)
	if err != nil {
		return err
	}
	respond.Created(w, r, t)
	return nil
}
