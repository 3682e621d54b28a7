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
}

// Grant is a short-lived signed token that lets a sink fetch permitted data
// from a source.
type Grant struct {
	ID           string    `json:"id"` // the token's jti
	Token        string    `json:"token,omitempty"`
	Decision     *Decision `json:"decision"`
	SinkID       string    `json:"sink_id"`
	SourceID     string    `json:"source_id"`
	DataGroupIDs []string  `json:"data_group_ids"`
	PurposeID    string    `json:"purpose_id"`
	IssuedAt     time.Time `json:"issued_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// GrantStatus is the live answer to "may this grant still be used?".
type GrantStatus struct {
	Active bool   `json:"active"`
	Reason string `json:"reason,omitempty"`
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
	IssueGrant(ctx context.Context, in *GrantInput) (*Grant, error)
	// GrantStatus re-decides a grant now: a withdrawal makes it inactive.
	// Only the grant's source and sink may ask.
	GrantStatus(ctx context.Context, grantID string) (*GrantStatus, error)
	// RecordTransfer records a release by the grant's source; the grant
	// must still be active.
	RecordTransfer(ctx context.Context, in *TransferInput) (*Transfer, error)
}
