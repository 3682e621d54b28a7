// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"crypto"
	"net/http"
	"net/url"

	"github.com/omadata/omadata"
)

// Decide asks one release decision. A deny is an answer, not an error:
// check d.Permit() and d.Reason.
func (c *Client) Decide(ctx context.Context, in *omadata.DecisionInput) (*omadata.Decision, error) {
	var d omadata.Decision
	if _, err := c.do(ctx, "POST", "/api/v1/decisions", nil, in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// DecideBatch asks up to omadata.MaxBatch decisions, answered in order.
func (c *Client) DecideBatch(ctx context.Context, in []*omadata.DecisionInput) ([]*omadata.Decision, error) {
	var out struct {
		Decisions []*omadata.Decision `json:"decisions"`
	}
	if _, err := c.do(ctx, "POST", "/api/v1/decisions/batch", nil, struct {
		Requests []*omadata.DecisionInput `json:"requests"`
	}{in}, &out); err != nil {
		return nil, err
	}
	return out.Decisions, nil
}

// RequestGrant asks for a grant bound to key, an ed25519.PrivateKey or a
// P-256 *ecdsa.PrivateKey that the sink keeps for as long as it uses the
// grant; the request carries a DPoP proof signed with it. On deny the
// grant has the decision and no token: check g.Decision.Permit().
func (c *Client) RequestGrant(ctx context.Context, in *omadata.GrantInput, key crypto.Signer) (*omadata.Grant, error) {
	const path = "/api/v1/grants"
	proof, err := newProof(key, "POST", c.baseURL+path, "", c.now())
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("DPoP", proof)
	var g omadata.Grant
	if _, err := c.do(ctx, "POST", path, h, in, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// GrantStatus asks whether a grant may be used now. Sources call it, with
// the transfers scope; a Verifier calls it on every request.
func (c *Client) GrantStatus(ctx context.Context, grantID string) (*omadata.GrantStatus, error) {
	var st omadata.GrantStatus
	if _, err := c.do(ctx, "GET", "/api/v1/grants/"+url.PathEscape(grantID)+"/status", nil, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// ReportTransfer records what a source released under a grant. The grant
// must still be active.
func (c *Client) ReportTransfer(ctx context.Context, in *omadata.TransferInput) (*omadata.Transfer, error) {
	var t omadata.Transfer
	if _, err := c.do(ctx, "POST", "/api/v1/transfers", nil, in, &t); err != nil {
		return nil, err
	}
	return &t, nil
}
