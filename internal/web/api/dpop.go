// SPDX-License-Identifier: Apache-2.0

package api

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// dpopSkew is how far a DPoP proof's iat may be from the server's clock,
// either way. The store remembers a proof's jti for longer than this.
const dpopSkew = 60 * time.Second

// dpopAlgorithms are the asymmetric algorithms a DPoP proof may use.
var dpopAlgorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}

// dpopProof is what a verified proof tells: the thumbprint of its key and
// its jti, which the store refuses to see twice.
type dpopProof struct{ jkt, jti string }

// dpopClaims are the claims of a DPoP proof (RFC 9449 section 4.2).
type dpopClaims struct {
	JTI string   `json:"jti"`
	HTM string   `json:"htm"`
	HTU string   `json:"htu"`
	IAT *float64 `json:"iat"`
}

func badDPoP(format string, args ...any) error { return omadata.Invalidf("DPoP", format, args...) }

// verifyDPoP checks the request's DPoP proof (RFC 9449 section 4.3): one
// compact JWS of type dpop+jwt, signed with EdDSA or ES256 by the public
// key in its jwk header, for this method and URL, issued within a minute
// of now. Every failure is EINVALID on field "DPoP".
func (h *Handler) verifyDPoP(r *http.Request, now time.Time) (*dpopProof, error) {
	vals := r.Header.Values("DPoP")
	if len(vals) != 1 {
		return nil, badDPoP("Send one DPoP proof in the DPoP header.")
	}
	jws, err := jose.ParseSignedCompact(vals[0], dpopAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, badDPoP("The DPoP proof is not a compact JWS signed with EdDSA or ES256.")
	}
	hdr := jws.Signatures[0].Protected
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return nil, badDPoP("The DPoP proof's typ must be dpop+jwt.")
	}
	jwk := hdr.JSONWebKey
	if jwk == nil || !jwk.Valid() {
		return nil, badDPoP("The DPoP proof has no valid jwk header.")
	} else if !jwk.IsPublic() {
		return nil, badDPoP("The DPoP proof's jwk holds a private key; send only the public key.")
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return nil, badDPoP("The DPoP proof's signature does not verify with its jwk.")
	}
	var c dpopClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, badDPoP("The DPoP proof's claims are not a JSON object.")
	}
	switch {
	case c.JTI == "" || len(c.JTI) > 200:
		return nil, badDPoP("The DPoP proof needs a jti of 1 to 200 bytes.")
	case c.HTM != r.Method:
		return nil, badDPoP("The DPoP proof's htm must be %s.", r.Method)
	case !sameURL(c.HTU, h.requestURL(r)):
		return nil, badDPoP("The DPoP proof's htu must be %s.", h.requestURL(r))
	case c.IAT == nil:
		return nil, badDPoP("The DPoP proof needs an iat.")
	}
	iat := time.Unix(int64(*c.IAT), 0)
	if iat.Before(now.Add(-dpopSkew)) || iat.After(now.Add(dpopSkew)) {
		return nil, badDPoP("The DPoP proof's iat is more than %d seconds from the server's time.", int(dpopSkew.Seconds()))
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, badDPoP("The DPoP proof's jwk has no thumbprint.")
	}
	return &dpopProof{jkt: base64.RawURLEncoding.EncodeToString(tp), jti: c.JTI}, nil
}

// requestURL is the URL a DPoP proof of r must name: the operator's public
// URL and the request path, without query.
func (h *Handler) requestURL(r *http.Request) string {
	base := strings.TrimRight(h.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + r.URL.EscapedPath()
}

// sameURL compares two URLs as RFC 9449 section 4.3 asks: scheme and host
// without case, default ports dropped, no query or fragment.
func sameURL(a, b string) bool {
	norm := func(s string) (string, bool) {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.User != nil {
			return "", false
		}
		scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		host = strings.TrimSuffix(host, map[string]string{"https": ":443", "http": ":80"}[scheme])
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		return scheme + "://" + host + path, true
	}
	na, ok1 := norm(a)
	nb, ok2 := norm(b)
	return ok1 && ok2 && na == nb
}
