// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Deny reasons. They are API: append, never rename. Each is precise for the
// caller and never carries another party's data.
const (
	DenyUnknownResident  = "unknown_resident"     // the caller has no such pseudonym
	DenyServiceInactive  = "service_not_approved" // sink or source not approved
	DenySourceNotHolder  = "source_not_holder"    // the source does not hold a requested data group
	DenyNoProcessing     = "no_processing"        // no processing of the sink that this operator recognises as a ground (published; approved here unless on consent) covers purpose and data groups
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
	// A deny is an answer, not an error. EFORBIDDEN unless the caller is a
	// service with the decisions scope that is the sink or the source;
	// EINVALID naming the field for bad input.
	Decide(ctx context.Context, in *DecisionInput) (*Decision, error)
	// DecideBatch answers up to MaxBatch questions; their evidence is
	// stored in one transaction. A bad question refuses the batch, its
	// field named as in "requests[3].purpose_id".
	DecideBatch(ctx context.Context, in []*DecisionInput) ([]*Decision, error)
}

// MaxBatch is the most decisions one batch may ask for.
const MaxBatch = 1000

// ID prefixes of decision evidence and of pseudonyms.
const (
	PrefixDecision  = "dec"
	PrefixPseudonym = "psn"
)

// Validate checks the question's own fields. SinkID and SourceID may be
// empty: the caller fills in the one it is.
func (in *DecisionInput) Validate() error {
	if in.SinkID != "" && !ValidID(PrefixService, in.SinkID) {
		return Invalidf("sink_id", "Not a service ID.")
	} else if in.SourceID != "" && !ValidID(PrefixService, in.SourceID) {
		return Invalidf("source_id", "Not a service ID.")
	} else if in.Pseudonym == "" {
		return Invalidf("pseudonym", "Give your pseudonym of the resident.")
	} else if !ValidID(PrefixPseudonym, in.Pseudonym) {
		return Invalidf("pseudonym", "Not a pseudonym.")
	} else if err := validDataGroupIDs("data_group_ids", in.DataGroupIDs); err != nil {
		return err
	} else if !ValidID(PrefixPurpose, in.PurposeID) {
		return Invalidf("purpose_id", "Not a purpose ID.")
	}
	return nil
}

// validDataGroupIDs checks a list of 1 to 100 distinct data group IDs.
func validDataGroupIDs(field string, ids []string) error {
	if len(ids) == 0 {
		return Invalidf(field, "Give at least one data group.")
	} else if len(ids) > 100 {
		return Invalidf(field, "At most 100 data groups.")
	}
	for i, id := range ids {
		if !ValidID(PrefixDataGroup, id) {
			return Invalidf(field, "Not a data group ID: %q.", Truncate(id, 40))
		} else if slices.Contains(ids[:i], id) {
			return Invalidf(field, "Data group %s given twice.", id)
		}
	}
	return nil
}

// ValidateBatch checks a batch of questions: 1 to MaxBatch, each valid.
// A field in an error names the question, as in "requests[3].purpose_id".
func ValidateBatch(in []*DecisionInput) error {
	if len(in) == 0 {
		return Invalidf("requests", "Give at least one question.")
	} else if len(in) > MaxBatch {
		return Invalidf("requests", "At most %d questions in one batch.", MaxBatch)
	}
	for i, q := range in {
		if q == nil {
			return Invalidf(fmt.Sprintf("requests[%d]", i), "Give a question object.")
		} else if err := q.Validate(); err != nil {
			return WithFieldPrefix(err, fmt.Sprintf("requests[%d]", i))
		}
	}
	return nil
}

// WithFieldPrefix returns err with its field put under prefix; errors
// without a field are returned unchanged.
func WithFieldPrefix(err error, prefix string) error {
	var e *Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	c := *e
	c.Field = prefix + "." + e.Field
	return &c
}
