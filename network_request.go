// SPDX-License-Identifier: Apache-2.0

package omadata

import "context"

// NetworkRequest is a peer's signed call as this operator received it:
// the RFC 9421 Signature-Input and Signature and the body they cover. The
// network handlers put it in the context of NetworkDecide and NetworkGrant,
// which keep it as evidence beside the decision or grant (network_requests).
type NetworkRequest struct {
	SignatureInput string
	Signature      string
	Body           []byte
}

type networkRequestKey struct{}

// NewContextWithNetworkRequest returns a copy of ctx carrying the signed
// request behind the call.
func NewContextWithNetworkRequest(ctx context.Context, r *NetworkRequest) context.Context {
	return context.WithValue(ctx, networkRequestKey{}, r)
}

// NetworkRequestFromContext returns the signed request in ctx, or nil.
func NetworkRequestFromContext(ctx context.Context) *NetworkRequest {
	r, _ := ctx.Value(networkRequestKey{}).(*NetworkRequest)
	return r
}
