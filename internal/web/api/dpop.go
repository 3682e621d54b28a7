// SPDX-License-Identifier: Apache-2.0

package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/dpop"
)

// grantProofs checks the DPoP proofs of grant requests: EdDSA or ES256,
// the algorithms sources verify grants' proofs with (client.Verifier),
// issued within a minute of now either way. The store records each jti in
// the grant's own transaction, so Check, not Verify.
var grantProofs = &dpop.Verifier{
	Algorithms: []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256},
	MaxAge:     60 * time.Second,
	MaxSkew:    60 * time.Second,
}

// verifyDPoP checks the request's DPoP proof (RFC 9449 §4.3) for this
// method and URL. Every failure is EINVALID on field "DPoP".
func (h *Handler) verifyDPoP(r *http.Request) (*dpop.Proof, error) {
	p, err := grantProofs.Check(r.Header.Values("DPoP"), r.Method, h.requestURL(r), "")
	if de := (*dpop.Error)(nil); errors.As(err, &de) {
		return nil, omadata.Invalidf("DPoP", "Invalid DPoP proof: %s.", de.Description)
	}
	return p, err
}

// requestURL is the URL a DPoP proof of r must name: the operator's public
// URL and the request path, without query.
func (h *Handler) requestURL(r *http.Request) string {
	return PublicBase(h.PublicURL, r) + r.URL.EscapedPath()
}

// PublicBase is the operator's public base URL without a trailing slash:
// publicURL, or where none is configured (tests; serve always sets one)
// the scheme and host r came to.
func PublicBase(publicURL string, r *http.Request) string {
	if base := strings.TrimRight(publicURL, "/"); base != "" {
		return base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
