// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// GrantTTL is how long a grant token is valid.
const GrantTTL = 5 * time.Minute

// GrantInput is a sink's request for a grant. The key the grant is bound to
// comes from the request's DPoP proof, not from the body.
type GrantInput struct {
	SourceID     string   `json:"source_id"`
	Pseudonym    string   `json:"pseudonym"` // the sink's pseudonym of the resident
	DataGroupIDs []string `json:"data_group_ids"`
	PurposeID    string   `json:"purpose_id"`
	JKT          string   `json:"-"` // RFC 7638 thumbprint of the sink's DPoP key
	// ProofJTI is the jti of the DPoP proof the grant was asked with; the
	// store refuses a jti it has seen, on every operator instance.
	ProofJTI string `json:"-"`
}

// Grant is a short-lived signed token that lets a sink fetch permitted data
// from a source.
type Grant struct {
	ID           string    `json:"id,omitempty"` // the token's jti; empty on deny
	Token        string    `json:"token,omitempty"`
	Decision     *Decision `json:"decision"`
	SinkID       string    `json:"sink_id"`
	SourceID     string    `json:"source_id"`
	DataGroupIDs []string  `json:"data_group_ids"`
	PurposeID    string    `json:"purpose_id"`
	IssuedAt     time.Time `json:"issued_at,omitzero"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
}

// GrantClaims are the claims of a grant token beside the registered ones
// (iss, sub, aud, jti, iat, nbf, exp): what the source may release, why,
// and the key the sink must prove it holds.
type GrantClaims struct {
	DataGroupIDs []string `json:"data_group_ids"`
	PurposeID    string   `json:"purpose_id"`
	ProcessingID string   `json:"processing_id"`
	ConsentID    string   `json:"consent_id,omitempty"` // on a consent ground
	LegalBasis   string   `json:"legal_basis"`
	SinkID       string   `json:"sink_id"`
	DecisionID   string   `json:"decision_id"`
	Confirmation struct {
		JKT string `json:"jkt"` // RFC 7638 thumbprint of the sink's DPoP key
	} `json:"cnf"`
}

// GrantStatus is the live answer to "may this grant still be used?".
type GrantStatus struct {
	Active bool   `json:"active"`
	Reason string `json:"reason,omitempty"` // a deny reason, or one of the Grant* reasons
}

// Reasons a grant is inactive besides the deny reasons of a decision made
// now. They are API: append, never rename.
const (
	GrantExpired       = "grant_expired"
	GrantRevoked       = "grant_revoked"
	GrantGroundChanged = "ground_changed" // a decision now would permit, but on another ground
)

// ID prefixes of grants and transfers.
const (
	PrefixGrant    = "grt"
	PrefixTransfer = "xfr"
)

// Validate checks the grant request's own fields.
func (in *GrantInput) Validate() error {
	if !ValidID(PrefixService, in.SourceID) {
		return Invalidf("source_id", "Not a service ID.")
	}
	q := DecisionInput{SourceID: in.SourceID, Pseudonym: in.Pseudonym, DataGroupIDs: in.DataGroupIDs, PurposeID: in.PurposeID}
	if err := q.Validate(); err != nil {
		return err
	} else if !ValidSHA256(in.JKT) {
		return Invalidf("DPoP", "The DPoP key has no valid thumbprint.")
	} else if len(in.ProofJTI) > 200 {
		return Invalidf("DPoP", "The DPoP proof's jti is longer than 200 bytes.")
	}
	return nil
}

// ValidSHA256 reports whether s is an unpadded base64url SHA-256 (43
// characters): a JWK thumbprint (RFC 7638) such as a DPoP key's jkt, or a
// PKCE S256 code challenge (RFC 7636 §4.2).
func ValidSHA256(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Validate checks the transfer report's own fields.
func (in *TransferInput) Validate() error {
	if !ValidID(PrefixGrant, in.GrantID) {
		return Invalidf("grant_id", "Not a grant ID.")
	} else if err := validDataGroupIDs("data_group_ids", in.DataGroupIDs); err != nil {
		return err
	} else if err := CheckText("x_road_id", in.XRoadID, 500); err != nil {
		return err
	} else if err := CheckText("x_road_request_hash", in.XRoadRequestHash, 200); err != nil {
		return err
	}
	return nil
}

// TransferInput is a source's report that it released data under a grant.
type TransferInput struct {
	GrantID          string   `json:"grant_id"`
	DataGroupIDs     []string `json:"data_group_ids"`
	XRoadID          string   `json:"x_road_id"`
	XRoadRequestHash string   `json:"x_road_request_hash"`
}

// Transfer records data actually released from a source to a sink.
type Transfer struct {
	ID            string    `json:"id"`
	GrantID       string    `json:"grant_id"`
	DecisionID    string    `json:"decision_id"`
	SinkID        string    `json:"sink_id"`
	SourceID      string    `json:"source_id"`
	DataGroupIDs  []string  `json:"data_group_ids"`
	TransferredAt time.Time `json:"transferred_at"`
}

// GrantService issues and checks grants and records transfers.
type GrantService interface {
	// IssueGrant decides and, on permit, returns a signed grant bound to
	// the sink's key. On deny it returns the decision and no token.
	// EFORBIDDEN unless the caller is a service with the grants scope (the
	// sink); EINVALID on field "DPoP" for a proof jti seen before.
	IssueGrant(ctx context.Context, in *GrantInput) (*Grant, error)
	// GrantStatus re-decides a grant now: a withdrawal makes it inactive.
	// Only the grant's source (transfers scope) and sink (grants scope)
	// may ask; anyone else gets ENOTFOUND. It records nothing.
	GrantStatus(ctx context.Context, grantID string) (*GrantStatus, error)
	// RecordTransfer records a release by the grant's source; the grant
	// must still be active (else ECONFLICT on field "grant_id") and cover
	// the data groups (else EINVALID).
	RecordTransfer(ctx context.Context, in *TransferInput) (*Transfer, error)
}
