// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// DPoPProof returns a DPoP proof (RFC 9449) signed with key, an
// ed25519.PrivateKey or a P-256 *ecdsa.PrivateKey, for a request of method
// to targetURL. With an accessToken it carries ath, as a call to a source
// with a grant needs. Every proof has a fresh jti: use it once.
func DPoPProof(key crypto.Signer, method, targetURL, accessToken string) (string, error) {
	return newProof(key, method, targetURL, accessToken, time.Now())
}

func newProof(key crypto.Signer, method, targetURL, accessToken string, now time.Time) (string, error) {
	alg, err := algorithm(key)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(targetURL)
	if err != nil || u.Host == "" {
		return "", errors.New("omadata: DPoP proof: want an absolute URL")
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		return "", err
	}
	var jti [16]byte
	rand.Read(jti[:])
	claims := map[string]any{
		"jti": base64.RawURLEncoding.EncodeToString(jti[:]),
		"htm": method,
		"htu": u.String(),
		"iat": now.Unix(),
	}
	if accessToken != "" {
		claims["ath"] = tokenHash(accessToken)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := sig.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// algorithm picks the JWS algorithm of a DPoP key.
func algorithm(key crypto.Signer) (jose.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return jose.EdDSA, nil
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return jose.ES256, nil
		}
	}
	return "", errors.New("omadata: a DPoP key must be an ed25519.PrivateKey or a P-256 *ecdsa.PrivateKey")
}

// tokenHash is the ath of a proof: the base64url SHA-256 of the token.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a DPoP key's
// public key, base64url: the cnf.jkt of grants bound to it.
func Thumbprint(key crypto.Signer) (string, error) {
	jwk := jose.JSONWebKey{Key: key.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// SignRequest makes r a call under a grant: "Authorization: DPoP <token>"
// and a fresh DPoP proof for r's method and URL signed with key.
func SignRequest(r *http.Request, token string, key crypto.Signer) error {
	proof, err := DPoPProof(key, r.Method, r.URL.String(), token)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "DPoP "+token)
	r.Header.Set("DPoP", proof)
	return nil
}

// DPoPRequest returns a request to a source under grant g, signed with the
// key the grant is bound to. Sign a new request for every call: a source
// refuses a proof it has seen.
func (c *Client) DPoPRequest(ctx context.Context, method, targetURL string, body io.Reader, g *omadata.Grant, key crypto.Signer) (*http.Request, error) {
	if g == nil || g.Token == "" {
		return nil, errors.New("omadata: the grant has no token; its decision denied")
	}
	r, err := http.NewRequestWithContext(ctx, method, targetURL, body)
	if err != nil {
		return nil, err
	}
	proof, err := newProof(key, method, targetURL, g.Token, c.now())
	if err != nil {
		return nil, err
	}
	r.Header.Set("Authorization", "DPoP "+g.Token)
	r.Header.Set("DPoP", proof)
	return r, nil
}
