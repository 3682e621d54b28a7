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
	AllPurposes                *bool    `json:"all_purposes"` // nil: not given, which a guardianship needs
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
	}
	if b.Kind == omadata.RepGuardian && b.AllPurposes != nil {
		return nil, omadata.Invalidf("all_purposes", "A guardianship covers every purpose; give neither all_purposes nor scope.")
	} else if b.Kind == omadata.RepGuardian && b.Scope != nil {
		return nil, omadata.Invalidf("scope", "A guardianship covers every purpose; give neither all_purposes nor scope.")
	}
	scope, err := scopeField(b.AllPurposes != nil && *b.AllPurposes, b.Scope)
	if err != nil {
		return nil, err
	} else if err := checkText("basis", b.Basis, 200, true); err != nil {
		return nil, err
	}
	in := &omadata.RepresentationInput{Kind: b.Kind, RepresentativeIdentityCode: b.RepresentativeIdentityCode,
		PrincipalIdentityCode: b.PrincipalIdentityCode, RepresentationScope: scope, Basis: b.Basis}
	if in.ValidFrom, in.ValidUntil, err = windowFields(b.ValidFrom, b.ValidUntil); err != nil {
		return nil, err
	}
	return in, nil
}

// scopeField checks the purposes of a scope by their form; the store
// checks that they exist and that the scope suits the kind.
func scopeField(all bool, codes []string) (omadata.RepresentationScope, error) {
	if len(codes) > 50 {
		return omadata.RepresentationScope{}, omadata.Invalidf("scope", "At most 50 purposes.")
	}
	for _, code := range codes {
		if !omadata.ValidCode(code) {
			return omadata.RepresentationScope{}, omadata.Invalidf("scope", "Name purposes by their codes, such as research.")
		}
	}
	return omadata.RepresentationScope{AllPurposes: all, Purposes: codes}, nil
}

// windowFields parses a representation's optional validity window.
func windowFields(from, until *string) (*time.Time, *time.Time, error) {
	f, err := timeField("valid_from", from)
	if err != nil {
		return nil, nil, err
	}
	u, err := timeField("valid_until", until)
	if err != nil {
		return nil, nil, err
	} else if f != nil && u != nil && !u.After(*f) {
		return nil, nil, omadata.Invalidf("valid_until", "Must be after valid_from.")
	}
	return f, u, nil
}

// mandateBody is the wire form of omadata.MandateInput.
type mandateBody struct {
	RepresentativeIdentityCode string   `json:"representative_identity_code"`
	AllPurposes                bool     `json:"all_purposes"`
	Scope                      []string `json:"scope"`
	ValidFrom                  *string  `json:"valid_from"`
	ValidUntil                 *string  `json:"valid_until"`
}

// grantMandate records a mandate the signed-in resident gives someone,
// named by identity code in the body, to act for them.
func (h *Handler) grantMandate(w http.ResponseWriter, r *http.Request) error {
	var b mandateBody
	if err := decode(r, &b); err != nil {
		return err
	} else if err := checkIdentityCode("representative_identity_code", b.RepresentativeIdentityCode); err != nil {
		return err
	}
	scope, err := scopeField(b.AllPurposes, b.Scope)
	if err != nil {
		return err
	}
	in := &omadata.MandateInput{RepresentativeIdentityCode: b.RepresentativeIdentityCode, RepresentationScope: scope}
	if in.ValidFrom, in.ValidUntil, err = windowFields(b.ValidFrom, b.ValidUntil); err != nil {
		return err
	}
	rep, err := h.Representations.GrantMandate(r.Context(), in)
	if err != nil {
		return err
	}
	respond.Created(w, r, rep)
	return nil
}

// recorderBody sets which kinds of representation a service may record.
type recorderBody struct {
	Kinds []string `json:"kinds"`
}

// setRepresentationRecorder designates a service to record representations
// of the kinds given (admins).
func (h *Handler) setRepresentationRecorder(w http.ResponseWriter, r *http.Request) error {
	var b recorderBody
	if err := decode(r, &b); err != nil {
		return err
	} else if b.Kinds == nil {
		return omadata.Invalidf("kinds", "Required: the kinds the service may record, [] for none.")
	}
	rec, err := h.Representations.SetRepresentationRecorder(r.Context(), r.PathValue("id"), b.Kinds)
	if err != nil {
		return err
	}
	respond.OK(w, r, rec)
	return nil
}

// getRepresentationRecorder shows a service's designation (admins).
func (h *Handler) getRepresentationRecorder(w http.ResponseWriter, r *http.Request) error {
	rec, err := h.Representations.FindRepresentationRecorder(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, rec)
	return nil
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
