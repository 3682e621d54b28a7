// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ID prefixes of consents and their records.
const (
	PrefixConsent       = "cns"
	PrefixConsentRecord = "cnr"
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
	CollectedPaper  = "paper"  // recorded by an official
	CollectedSystem = "system" // expiry and renewal: nobody acted
)

// Consent windows. A given consent lasts ConsentDefaultYears unless the
// resident chooses an earlier end, and never more than ConsentMaxYears; an
// unanswered request expires after ConsentRequestTTL.
const (
	ConsentDefaultYears = 2
	ConsentMaxYears     = 5
	ConsentRequestTTL   = 30 * 24 * time.Hour
)

// Receipt formats of ExportReceipt.
const (
	ReceiptDPV     = "dpv"     // ISO/IEC TS 27560 record in the W3C DPV profile (the stored receipt)
	ReceiptKantara = "kantara" // Kantara Consent Receipt v1.1
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
	// RenewalRequired is set on a given or suspended consent when the
	// processing's published version is not compatible with the one
	// consented to, or the processing has been retired.
	RenewalRequired bool `json:"renewal_required"`
	// Message is the sink's message with a request, if any.
	Message   Text             `json:"message,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	Records   []*ConsentRecord `json:"records,omitempty"`
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
	// IdentityCode names the resident of a paper consent recorded by an
	// official, instead of OnBehalfOf; the resident is found or created in
	// the same transaction. Never read from a request body.
	IdentityCode string `json:"-"`
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
	// ExportReceipt returns the receipt of record seq of a consent as a
	// compact JWS: format "dpv" (or "") is the stored DPV / ISO/IEC TS 27560
	// record, "kantara" a Kantara v1.1 receipt signed now. ENOTFOUND for a
	// consent or record the caller may not see, EINVALID for a format.
	ExportReceipt(ctx context.Context, consentID string, seq int, format string) (string, error)
}

// consentTimeFormat is how record times enter the chain hash: UTC, fixed
// width, microseconds (what both database engines keep).
const consentTimeFormat = "2006-01-02T15:04:05.000000Z"

// ConsentRecordHash returns the hex SHA-256 of a record's canonical content.
// subjectID is the consent's resident, which records do not carry in JSON.
//
// The content is one JSON object with exactly these members, keys sorted,
// no whitespace, strings escaped as RFC 8785 (JCS) does: actor_id,
// actor_kind, actor_role, collection_method, consent_id, created_at, id,
// notice_language, notice_sha256, prev_hash, reason, seq (a number), status,
// subject_id, valid_from, valid_until. Times are UTC strings with six
// fractional digits ("2026-11-22T12:00:00.000000Z"); a missing valid_from or
// valid_until is null. Hash and Receipt are not covered; prev_hash is, so
// each record commits to the whole history before it.
func ConsentRecordHash(subjectID string, r *ConsentRecord) string {
	t := func(p *time.Time) *string {
		if p == nil {
			return nil
		}
		s := p.UTC().Format(consentTimeFormat)
		return &s
	}
	created := r.CreatedAt.UTC().Format(consentTimeFormat)
	members := []struct {
		key string
		str *string
		num int
	}{
		{"actor_id", &r.ActorID, 0},
		{"actor_kind", &r.ActorKind, 0},
		{"actor_role", &r.ActorRole, 0},
		{"collection_method", &r.CollectionMethod, 0},
		{"consent_id", &r.ConsentID, 0},
		{"created_at", &created, 0},
		{"id", &r.ID, 0},
		{"notice_language", &r.NoticeLanguage, 0},
		{"notice_sha256", &r.NoticeSHA256, 0},
		{"prev_hash", &r.PrevHash, 0},
		{"reason", &r.Reason, 0},
		{"seq", nil, r.Seq},
		{"status", &r.Status, 0},
		{"subject_id", &subjectID, 0},
		{"valid_from", t(r.ValidFrom), -1},
		{"valid_until", t(r.ValidUntil), -1},
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		canonicalString(&b, m.key)
		b.WriteByte(':')
		switch {
		case m.str != nil:
			canonicalString(&b, *m.str)
		case m.num < 0:
			b.WriteString("null")
		default:
			b.WriteString(strconv.Itoa(m.num))
		}
	}
	b.WriteByte('}')
	h := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(h[:])
}

// canonicalString writes s as an RFC 8785 JSON string: only the quote, the
// backslash and control characters are escaped, with the short forms where
// JSON has them. Invalid UTF-8 bytes become U+FFFD.
func canonicalString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// VerifyConsentChain checks a consent's records, in order: consecutive seq
// from 1, one consent ID, each prev_hash equal to the hash before it ("" for
// the first), each hash equal to ConsentRecordHash, a first status a
// consent can start in and every later status an allowed transition. It
// returns an error naming the first record that fails.
func VerifyConsentChain(subjectID string, records []*ConsentRecord) error {
	if len(records) == 0 {
		return errors.New("consent chain: no records")
	}
	prev := ""
	for i, r := range records {
		switch {
		case r.Seq != i+1:
			return fmt.Errorf("consent chain: record %d has seq %d", i+1, r.Seq)
		case r.ConsentID != records[0].ConsentID:
			return fmt.Errorf("consent chain: record %d belongs to another consent", r.Seq)
		case r.PrevHash != prev:
			return fmt.Errorf("consent chain: record %d does not link to the record before it", r.Seq)
		case r.Hash != ConsentRecordHash(subjectID, r):
			return fmt.Errorf("consent chain: record %d does not match its hash", r.Seq)
		case i == 0 && r.Status != ConsentRequested && r.Status != ConsentGiven && r.Status != ConsentRefused:
			return fmt.Errorf("consent chain: a consent cannot start %s", r.Status)
		case i > 0 && !ConsentTransitionAllowed(records[i-1].Status, r.Status):
			return fmt.Errorf("consent chain: record %d moves from %s to %s", r.Seq, records[i-1].Status, r.Status)
		}
		prev = r.Hash
	}
	return nil
}
