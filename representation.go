// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Representation kinds.
const (
	RepGuardian = "guardian" // of a minor; ends at 18 without any job running
	RepMandate  = "mandate"  // an adult acting for another adult, with scope and validity
)

// Roles in which someone acts on a consent.
const (
	ActorSelf     = "self"
	ActorGuardian = "guardian"
	ActorMandate  = "mandate"
	ActorSink     = "sink"
	ActorSource   = "source"
	ActorOperator = "operator"
	ActorOfficial = "official" // an official recording a paper consent
	ActorSystem   = "system"   // expiry, renewal
)

// Representation lets one resident act for another.
type Representation struct {
	ID               string `json:"id"`
	Kind             string `json:"kind"`
	RepresentativeID string `json:"representative_id"`
	PrincipalID      string `json:"principal_id"`
	RepresentationScope
	Basis      string     `json:"basis"` // population register, mandate code, court order, granted by the principal
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// PrincipalName and RepresentativeName name the two residents, and
	// Relation says which of them the reader is (RelationRepresentative or
	// RelationPrincipal); set only by FindRepresentations.
	PrincipalName      string `json:"principal_name,omitempty"`
	RepresentativeName string `json:"representative_name,omitempty"`
	Relation           string `json:"relation,omitempty"`
}

// Relations of the reader of FindRepresentations to a representation.
const (
	RelationRepresentative = "representative" // the reader holds it and acts for the principal
	RelationPrincipal      = "principal"      // the reader is the one acted for
)

// ActiveAt reports whether the representation lets its holder act at t for
// a principal born on principalBirth: not ended, inside its window, and for
// guardians only while the principal is under 18.
func (r *Representation) ActiveAt(t, principalBirth time.Time) bool {
	switch {
	case r.EndedAt != nil && !t.Before(*r.EndedAt):
		return false
	case t.Before(r.ValidFrom):
		return false
	case r.ValidUntil != nil && !t.Before(*r.ValidUntil):
		return false
	case r.Kind == RepGuardian && !t.Before(AdultOn(principalBirth)):
		return false
	}
	return true
}

// RepresentationScope is what a representation reaches: every purpose (a
// guardianship, or a general mandate) or only the named purposes. There is
// no value meaning "all" other than AllPurposes: an empty Purposes with
// AllPurposes false covers nothing.
type RepresentationScope struct {
	AllPurposes bool     `json:"all_purposes"`
	Purposes    []string `json:"scope"` // purpose codes; empty when AllPurposes
}

// Covers reports whether the scope covers a purpose. An empty purpose code
// (an act about no one purpose) is covered only by all purposes.
func (s RepresentationScope) Covers(purposeCode string) bool {
	return s.AllPurposes || purposeCode != "" && slices.Contains(s.Purposes, purposeCode)
}

// RepAct is something a representative does or sees for a principal.
type RepAct string

// What a representative may do, by scope: the one rule every route and the
// store apply (Representation.Allows).
const (
	// RepKnow: see who the principal is (name, birth date) and act for
	// them at all. Any active representation.
	RepKnow RepAct = "know"
	// RepAccess: ask for an access export and read it. Any active
	// representation; the export holds only what the scope covers.
	RepAccess RepAct = "access"
	// RepConsent: give, change and see consents for a purpose.
	RepConsent RepAct = "consent"
	// RepUsage: see uses of data (permits, grants, transfers) for a purpose.
	RepUsage RepAct = "usage"
	// RepObject: object to or restrict a processing of a purpose, and see
	// those requests.
	RepObject RepAct = "object"
	// RepWhole: see what is about the whole person rather than one
	// purpose: the principal's other representations, and log entries
	// about no processing. All purposes only.
	RepWhole RepAct = "whole"
	// RepErase: erasure of the whole person. All purposes only.
	RepErase RepAct = "erase"
	// RepRectify: rectification of the person's data at sources, which is
	// about no one purpose. All purposes only.
	RepRectify RepAct = "rectify"
	// RepOwnData: see the data a source holds about the principal in a
	// data group (OwnDataService), where a published processing of a
	// purpose the scope covers uses that group; all groups for all
	// purposes.
	RepOwnData RepAct = "own-data"
)

// Allows reports whether the representation, if active, lets its holder do
// act for the principal; purposeCode is the purpose the act is about, ""
// for an act about the whole person. It is the only rule of what a scope
// permits.
func (r *Representation) Allows(act RepAct, purposeCode string) bool {
	switch act {
	case RepKnow, RepAccess:
		return true
	case RepConsent, RepUsage, RepObject, RepOwnData:
		return r.Covers(purposeCode)
	case RepWhole, RepErase, RepRectify:
		return r.AllPurposes
	}
	return false
}

// RequestAct is the act a data-subject request of a kind is for a
// representative.
func RequestAct(kind string) RepAct {
	switch kind {
	case RequestAccess:
		return RepAccess
	case RequestErasure:
		return RepErase
	case RequestRectification:
		return RepRectify
	case RequestObjection, RequestRestriction:
		return RepObject
	}
	return ""
}

// LeafAct is the act that seeing a log leaf about a principal is for a
// representative; the leaf's processing gives its purpose.
func LeafAct(l *LogLeaf) RepAct {
	switch l.RecordKind {
	case RecordConsent:
		return RepConsent
	case RecordDecision, RecordGrant, RecordTransfer:
		return RepUsage
	case RecordRequest:
		if parts := strings.Split(l.Kind, "."); len(parts) == 3 {
			return RequestAct(parts[1])
		}
	}
	return RepWhole
}

// Authority is what one resident may do for one principal at a moment:
// the representations between them active then. It allows what any of
// them allows; with none it allows nothing.
type Authority struct {
	PrincipalID string
	Reps        []*Representation
}

// Allows reports whether any of the representations allows the act.
func (a *Authority) Allows(act RepAct, purposeCode string) bool {
	return a.Allowing(act, purposeCode) != nil
}

// Allowing returns the first representation that allows the act, or nil;
// its kind is the role recorded for the act.
func (a *Authority) Allowing(act RepAct, purposeCode string) *Representation {
	for _, r := range a.Reps {
		if r.Allows(act, purposeCode) {
			return r
		}
	}
	return nil
}

// Scope is the union of the representations' scopes, for filtering lists
// by what the authority covers.
func (a *Authority) Scope() RepresentationScope {
	var s RepresentationScope
	for _, r := range a.Reps {
		if r.AllPurposes {
			return RepresentationScope{AllPurposes: true}
		}
		for _, p := range r.Purposes {
			if !slices.Contains(s.Purposes, p) {
				s.Purposes = append(s.Purposes, p)
			}
		}
	}
	return s
}

// ErrNotCovered is the refusal of an act for a principal the caller does
// represent, but not for this: field is on_behalf_of or processing_id.
func ErrNotCovered(field string, act RepAct) *Error {
	msg := "Your mandate does not cover this purpose."
	switch act {
	case RepErase:
		msg = "Your mandate does not cover erasure: only a guardian or a mandate for all purposes may ask for it."
	case RepRectify:
		msg = "Your mandate does not cover rectification: only a guardian or a mandate for all purposes may ask for it."
	}
	return &Error{Code: EFORBIDDEN, Field: field, Message: msg}
}

// RepresentationInput creates a representation between residents named by
// identity code (sent in a body, never a URL).
type RepresentationInput struct {
	Kind                       string `json:"kind"`
	RepresentativeIdentityCode string `json:"representative_identity_code"`
	PrincipalIdentityCode      string `json:"principal_identity_code"`
	RepresentationScope
	Basis      string     `json:"basis"`
	ValidFrom  *time.Time `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until"`
}

// MandateInput is a mandate a resident grants as its principal: to whom
// (by identity code, in a body), for what and for how long.
type MandateInput struct {
	RepresentativeIdentityCode string `json:"representative_identity_code"`
	RepresentationScope
	ValidFrom  *time.Time `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until"`
}

// RepresentationRecorder is the operator's designation of a service as one
// that may record representations of the kinds named (a population
// register: guardian).
type RepresentationRecorder struct {
	ServiceID string    `json:"service_id"`
	Kinds     []string  `json:"kinds"`
	UpdatedAt time.Time `json:"updated_at,omitzero"` // when last set; absent if never
}

// RepresentationService manages who may act for whom.
type RepresentationService interface {
	// CreateRepresentation records a guardianship (principal under 18) or a
	// mandate (both adults): admins, and sources with residents:link that
	// the operator designated for the kind (else EFORBIDDEN).
	CreateRepresentation(ctx context.Context, in *RepresentationInput) (*Representation, error)
	// GrantMandate records a mandate the calling resident gives as its
	// principal; the basis says so.
	GrantMandate(ctx context.Context, in *MandateInput) (*Representation, error)
	// EndRepresentation ends it now; its holder's next act is refused.
	EndRepresentation(ctx context.Context, id string) (*Representation, error)
	// FindRepresentations lists those a resident holds or is principal of
	// (residents: their own; admins: any).
	FindRepresentations(ctx context.Context, residentID string) ([]*Representation, error)
	// SetRepresentationRecorder designates a service to record
	// representations of the kinds given; no kinds ends the designation
	// (admins; audited and logged). ENOTFOUND for an unknown service.
	SetRepresentationRecorder(ctx context.Context, serviceID string, kinds []string) (*RepresentationRecorder, error)
	// FindRepresentationRecorder returns a service's designation, with no
	// kinds when it has none (admins, and organisation admins for the
	// services they look after; ENOTFOUND for a service not visible).
	FindRepresentationRecorder(ctx context.Context, serviceID string) (*RepresentationRecorder, error)
}
