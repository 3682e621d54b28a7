// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Consent statuses (standards.md §2). Only given permits processing.
const (
	ConsentRequested = "requested"
	ConsentGiven     = "given"
	ConsentRefused   = "refused"
	ConsentSuspended = "suspended"
	ConsentWithdrawn = "withdrawn" // by the resident; final
	ConsentRevoked   = "revoked"   // by the operator or the sink; final
	ConsentExpired   = "expired"   // validity window passed; final
)

// consentTransitions lists, for each status, the statuses it may move to.
// Terminal statuses have none: a new decision is a new consent.
var consentTransitions = map[string][]string{
	ConsentRequested: {ConsentGiven, ConsentRefused, ConsentExpired},
	ConsentGiven:     {ConsentSuspended, ConsentWithdrawn, ConsentRevoked, ConsentExpired},
	ConsentSuspended: {ConsentGiven, ConsentWithdrawn, ConsentRevoked, ConsentExpired},
}

// ConsentTerminal reports whether a status is final.
func ConsentTerminal(status string) bool { return len(consentTransitions[status]) == 0 }

// ConsentTransitionAllowed reports whether a consent may move from one status
// to another. Same-status changes are never allowed.
func ConsentTransitionAllowed(from, to string) bool {
	for _, s := range consentTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Collection methods: how a consent event was collected.
const (
	CollectedPortal = "portal"
	CollectedAPI    = "api"
	CollectedPaper  = "paper" // recorded by an official
)

// Consent is a resident's decision on one published processing version,
// optionally limited to some sources. Its history is a chain of records.
type Consent struct {
	ID           string     `json:"id"`
	ResidentID   string     `json:"resident_id,omitempty"` // residents and admins only
	Pseudonym    string     `json:"pseudonym,omitempty"`   // services: their pseudonym of the resident
	ProcessingID string     `json:"processing_id"`
	VersionID    string     `json:"version_id"`
	Version      int        `json:"version"`
	SinkID       string     `json:"sink_id"`
	SourceIDs    []string   `json:"source_ids"` // empty: every source of the data groups
	Status       string     `json:"status"`
	ValidFrom    *time.Time `json:"valid_from,omitempty"`
	ValidUntil   *time.Time `json:"valid_until,omitempty"`
	// RenewalRequired is set when the processing has a published version
	// that is not compatible with the one consented to.
	RenewalRequired bool             `json:"renewal_required"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	Records         []*ConsentRecord `json:"records,omitempty"`
}

// ConsentRecord is one immutable status change. Each record's hash covers
// its content and the previous record's hash, so the history is a chain.
type ConsentRecord struct {
	ID               string     `json:"id"`
	ConsentID        string     `json:"consent_id"`
	Seq              int        `json:"seq"`
	Status           string     `json:"status"`
	PrevHash         string     `json:"prev_hash,omitempty"`
	Hash             string     `json:"hash"`
	ActorKind        string     `json:"actor_kind"` // resident, service, admin, system
	ActorID          string     `json:"actor_id,omitempty"`
	ActorRole        string     `json:"actor_role"` // self, guardian, mandate, sink, operator, official, system
	NoticeSHA256     string     `json:"notice_sha256,omitempty"`
	NoticeLanguage   string     `json:"notice_language,omitempty"`
	CollectionMethod string     `json:"collection_method"`
	ValidFrom        *time.Time `json:"valid_from,omitempty"`
	ValidUntil       *time.Time `json:"valid_until,omitempty"`
	Reason           string     `json:"reason,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	Receipt          string     `json:"receipt,omitempty"` // compact JWS signed by the operator
}

// ConsentInput gives or refuses a consent, or answers a request.
type ConsentInput struct {
	ProcessingID     string     `json:"processing_id"`
	Version          int        `json:"version"`       // the version whose notice was shown
	Language         string     `json:"language"`      // the notice's language
	NoticeSHA256     string     `json:"notice_sha256"` // optional: proves which notice was shown
	SourceIDs        []string   `json:"source_ids"`    // optional limitation
	ValidUntil       *time.Time `json:"valid_until"`   // optional end; default from the processing
	OnBehalfOf       string     `json:"on_behalf_of"`  // resident ID of a ward or mandator
	CollectionMethod string     `json:"collection_method"`
	Evidence         string     `json:"evidence"` // paper: the archive reference
}

// ConsentRequestInput is a sink's request that a resident consent.
type ConsentRequestInput struct {
	ProcessingID string   `json:"processing_id"`
	Pseudonym    string   `json:"pseudonym"` // the sink's pseudonym of the resident
	SourceIDs    []string `json:"source_ids"`
	Message      Text     `json:"message"`
}

// ConsentFilter selects consents.
type ConsentFilter struct {
	ResidentID   *string // admins; residents see their own and their principals'
	ProcessingID *string
	Status       *string
	After        string
	Limit        int
}

// ConsentService records consents and their history.
type ConsentService interface {
	// GiveConsent records a new given consent on a published version, or
	// answers a pending request, and returns it with its first record.
	GiveConsent(ctx context.Context, in *ConsentInput) (*Consent, error)
	// RefuseConsent records a refusal (a new consent, or an answer).
	RefuseConsent(ctx context.Context, in *ConsentInput) (*Consent, error)
	// RequestConsent lets a sink ask a resident, by its pseudonym.
	RequestConsent(ctx context.Context, in *ConsentRequestInput) (*Consent, error)
	// ChangeConsent moves a consent to status: withdrawn, suspended, given
	// (resume) or revoked. ECONFLICT from a terminal or the same status;
	// EFORBIDDEN when the caller may know the consent but not do this.
	ChangeConsent(ctx context.Context, id, status, reason string) (*Consent, error)
	// FindConsentByID returns a consent with its records.
	FindConsentByID(ctx context.Context, id string) (*Consent, error)
	FindConsents(ctx context.Context, f ConsentFilter) ([]*Consent, string, error)
	// ExpireConsents records expiry of consents whose window has passed and
	// returns how many; a scheduler calls it.
	ExpireConsents(ctx context.Context) (int, error)
}
