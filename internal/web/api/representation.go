// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// representationBody is the wire form of omadata.RepresentationInput, with
// times as strings so that a bad one names its field.
type representationBody struct {
	Kind                       string   `json:"kind"`
	RepresentativeIdentityCode string   `json:"representative_identity_code"`
	PrincipalIdentityCode      string   `json:"principal_identity_code"`
	Scope                      []string `json:"scope"`
	Basis                      string   `json:"basis"`
	ValidFrom                  *string  `json:"valid_from"`
	ValidUntil                 *string  `json:"valid_until"`
}

// input checks the body and returns the service's input. The store checks
// again, with what only it knows: ages on the day and the purposes.
func (b *representationBody) input() (*omadata.RepresentationInput, error) {
	if b.Kind != omadata.RepGuardian && b.Kind != omadata.RepMandate {
		return nil, omadata.Invalidf("kind", "Use guardian or mandate.")
	} else if err := checkIdentityCode("representative_identity_code", b.RepresentativeIdentityCode); err != nil {
		return nil, err
	} else if err := checkIdentityCode("principal_identity_code", b.PrincipalIdentityCode); err != nil {
		return nil, err
	} else if b.RepresentativeIdentityCode == b.PrincipalIdentityCode {
		return nil, omadata.Invalidf("principal_identity_code", "A person does not represent themselves.")
	} else if len(b.Scope) > 50 {
		return nil, omadata.Invalidf("scope", "At most 50 purposes.")
	}
	for _, code := range b.Scope {
		if !omadata.ValidCode(code) {
			return nil, omadata.Invalidf("scope", "Name purposes by their codes, such as research.")
		}
	}
	if err := checkText("basis", b.Basis, 200, true); err != nil {
		return nil, err
	}
	in := &omadata.RepresentationInput{Kind: b.Kind, RepresentativeIdentityCode: b.RepresentativeIdentityCode,
		PrincipalIdentityCode: b.PrincipalIdentityCode, Scope: b.Scope, Basis: b.Basis}
	var err error
	if in.ValidFrom, err = timeField("valid_from", b.ValidFrom); err != nil {
		return nil, err
	} else if in.ValidUntil, err = timeField("valid_until", b.ValidUntil); err != nil {
		return nil, err
	} else if in.ValidFrom != nil && in.ValidUntil != nil && !in.ValidUntil.After(*in.ValidFrom) {
		return nil, omadata.Invalidf("valid_until", "Must be after valid_from.")
	}
	return in, nil
}

// createRepresentation records a guardianship or a mandate between
// residents named by identity code. The answer names them by ID only.
func (h *Handler) createRepresentation(w http.ResponseWriter, r *http.Request) error {
	var b representationBody
	if err := decode(r, &b); err != nil {
		return err
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	rep, err := h.Representations.CreateRepresentation(r.Context(), in)
	if err != nil {
		return err
	}
	respond.Created(w, r, rep)
	return nil
}

// endRepresentation ends a representation now: admins, and the two
// residents it joins.
func (h *Handler) endRepresentation(w http.ResponseWriter, r *http.Request) error {
	rep, err := h.Representations.EndRepresentation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, rep)
	return nil
}

// myRepresentations lists the representations the signed-in resident
// holds or is principal of.
func (h *Handler) myRepresentations(w http.ResponseWriter, r *http.Request) error {
	c := omadata.CallerFromContext(r.Context())
	reps, err := h.Representations.FindRepresentations(r.Context(), c.ResidentID)
	if err != nil {
		return err
	}
	respond.List(w, r, reps, "")
	return nil
}

// timeField parses an optional RFC 3339 time of a body, in UTC.
func timeField(field string, s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return nil, omadata.Invalidf(field, "Use an RFC 3339 time, such as 2030-01-31T00:00:00Z.")
	}
	t = t.UTC()
	return &t, nil
}
