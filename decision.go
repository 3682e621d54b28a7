// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Deny reasons. They are API: append, never rename. Each is precise for the
// caller and never carries another party's data.
const (
	DenyUnknownResident  = "unknown_resident"     // the caller has no such pseudonym
	DenyServiceInactive  = "service_not_approved" // sink or source not approved
	DenySourceNotHolder  = "source_not_holder"    // the source does not hold a requested data group
	DenyNoProcessing     = "no_processing"        // no published processing of the sink covers purpose and data groups
	DenyNoConsent        = "no_consent"
	DenyConsentNotActive = "consent_not_active" // requested, refused or suspended
	DenyConsentWithdrawn = "consent_withdrawn"
	DenyConsentRevoked   = "consent_revoked"
	DenyConsentExpired   = "consent_expired"
	DenyRenewalRequired  = "renewal_required"   // an incompatible version replaced the one consented to
	DenySourceNotCovered = "source_not_covered" // the consent is limited to other sources
	DenyObjection        = "objection"
	DenyRestriction      = "restriction"
)

// DecisionInput asks: may the sink receive these data groups of the
// resident from the source for the purpose, now?
type DecisionInput struct {
	SinkID       string   `json:"sink_id"`   // defaults to the caller when the caller is the sink
	SourceID     string   `json:"source_id"` // defaults to the caller when the caller is the source
	Pseudonym    string   `json:"pseudonym"` // the caller's pseudonym of the resident
	DataGroupIDs []string `json:"data_group_ids"`
	PurposeID    string   `json:"purpose_id"`
}

// Decision is the answer, with its ground and an evidence ID.
type Decision struct {
	EvidenceID   string    `json:"evidence_id"`
	Decision     string    `json:"decision"` // permit or deny
	Reason       string    `json:"reason,omitempty"`
	Ground       *Ground   `json:"ground,omitempty"`
	ProcessingID string    `json:"processing_id,omitempty"`
	Version      int       `json:"version,omitempty"`
	DecidedAt    time.Time `json:"decided_at"`
}

// Permit reports whether the decision permits.
func (d *Decision) Permit() bool { return d.Decision == "permit" }

// Ground is why a decision permits: a consent, or a recorded non-consent
// legal basis of the processing.
type Ground struct {
	Kind          string `json:"kind"` // consent or legal_basis
	ConsentID     string `json:"consent_id,omitempty"`
	LegalBasis    string `json:"legal_basis"`
	LegalBasisIRI string `json:"legal_basis_iri"`
	Note          string `json:"note,omitempty"`
}

// DecisionService answers release questions. Deny by default.
type DecisionService interface {
	// Decide answers one question and stores its evidence before returning.
	Decide(ctx context.Context, in *DecisionInput) (*Decision, error)
	// DecideBatch answers up to MaxBatch questions; their evidence is
	// stored in one transaction.
	DecideBatch(ctx context.Context, in []*DecisionInput) ([]*Decision, error)
}

// MaxBatch is the most decisions one batch may ask for.
const MaxBatch = 1000
