// SPDX-License-Identifier: Apache-2.0

package client

import (
	"crypto"
	"net/http"
	"strings"
	"sync"

	"github.com/omadata/omadata/internal/dpop"
)

// DPoPTransport is for a resident's own app: it adds a DPoP proof (RFC
// 9449) signed with Key to every request it sends. A request with
// "Authorization: DPoP <token>", as golang.org/x/oauth2's Transport sets
// for the operator's tokens (token_type DPoP), gets a proof for that token
// (ath); any other, such as a request to the token endpoint, a proof
// without one. Put it under the oauth2 client, and in the context of
// Exchange and of the TokenSource (oauth2.HTTPClient), so that refreshes
// carry proofs too; the operator binds the tokens to Key. See docs/apps.md.
type DPoPTransport struct {
	Key  crypto.Signer     // an ECDSA, Ed25519 or RSA private key; keep it for as long as the tokens
	Base http.RoundTripper // nil: http.DefaultTransport

	once   sync.Once
	signer *dpop.Signer
	err    error
}

// JKT is the RFC 7638 thumbprint of the transport's key: the dpop_jkt an
// app may send with its authorization request (RFC 9449 §10).
func (t *DPoPTransport) JKT() (string, error) {
	if err := t.init(); err != nil {
		return "", err
	}
	return t.signer.JKT(), nil
}

func (t *DPoPTransport) init() error {
	t.once.Do(func() { t.signer, t.err = dpop.NewSigner(t.Key) })
	return t.err
}

// RoundTrip sends a copy of r with a new proof in its DPoP header.
func (t *DPoPTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.init(); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	var token string
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "DPoP") {
		token = tok
	}
	proof, err := t.signer.Proof(r.Method, r.URL.String(), token)
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("DPoP", proof)
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r2)
}
