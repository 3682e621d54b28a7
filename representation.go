// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
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
	ID               string     `json:"id"`
	Kind             string     `json:"kind"`
	RepresentativeID string     `json:"representative_id"`
	PrincipalID      string     `json:"principal_id"`
	Scope            []string   `json:"scope"` // purpose codes a mandate covers; empty for guardians (all)
	Basis            string     `json:"basis"` // population register, mandate code, court order
	ValidFrom        time.Time  `json:"valid_from"`
	ValidUntil       *time.Time `json:"valid_until,omitempty"`
	EndedAt          *time.Time `json:"ended_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
}

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

// Covers reports whether the representation covers a purpose.
func (r *Representation) Covers(purposeCode string) bool {
	if r.Kind == RepGuardian || len(r.Scope) == 0 {
		return true
	}
	for _, s := range r.Scope {
		if s == purposeCode {
			return true
		}
	}
	return false
}

// RepresentationInput creates a representation between residents named by
// identity code (sent in a body, never a URL).
type RepresentationInput struct {
	Kind                       string     `json:"kind"`
	RepresentativeIdentityCode string     `json:"representative_identity_code"`
	PrincipalIdentityCode      string     `json:"principal_identity_code"`
	Scope                      []string   `json:"scope"`
	Basis                      string     `json:"basis"`
	ValidFrom                  *time.Time `json:"valid_from"`
	ValidUntil                 *time.Time `json:"valid_until"`
}

// RepresentationService manages who may act for whom.
type RepresentationService interface {
	// CreateRepresentation records a guardianship (principal under 18) or a
	// mandate (both adults). Admins, and sources with residents:link.
	CreateRepresentation(ctx context.Context, in *RepresentationInput) (*Representation, error)
	// EndRepresentation ends it now; its holder's next act is refused.
	EndRepresentation(ctx context.Context, id string) (*Representation, error)
	// FindRepresentations lists those a resident holds or is principal of
	// (residents: their own; admins: any).
	FindRepresentations(ctx context.Context, residentID string) ([]*Representation, error)
}
