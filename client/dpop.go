// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/dpop"
)

// DPoPProof returns a DPoP proof (RFC 9449) signed with key, an
// ed25519.PrivateKey or a P-256 *ecdsa.PrivateKey, for a request of method
// to targetURL. With an accessToken it carries ath, as a call to a source
// with a grant needs. Every proof has a fresh jti: use it once.
func DPoPProof(key crypto.Signer, method, targetURL, accessToken string) (string, error) {
	return newProof(key, method, targetURL, accessToken, time.Now())
}

func newProof(key crypto.Signer, method, targetURL, accessToken string, now time.Time) (string, error) {
	if !grantKey(key) {
		return "", errors.New("omadata: a DPoP key must be an ed25519.PrivateKey or a P-256 *ecdsa.PrivateKey")
	}
	u, err := url.Parse(targetURL)
	if err != nil || u.Host == "" {
		return "", errors.New("omadata: DPoP proof: want an absolute URL")
	}
	s, err := dpop.NewSigner(key)
	if err != nil {
		return "", err
	}
	return s.ProofAt(method, targetURL, accessToken, now)
}

// grantKey reports whether key is of a kind grants are bound to: Ed25519
// or P-256, the algorithms sources accept (EdDSA, ES256).
func grantKey(key crypto.Signer) bool {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return true
	case *ecdsa.PrivateKey:
		return k.Curve == elliptic.P256()
	}
	return false
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a DPoP key's
// public key, base64url: the cnf.jkt of grants bound to it.
func Thumbprint(key crypto.Signer) (string, error) {
	return dpop.Thumbprint(&jose.JSONWebKey{Key: key.Public()})
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
