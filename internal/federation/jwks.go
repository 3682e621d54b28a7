// SPDX-License-Identifier: Apache-2.0

package federation

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata/internal/dpop"
)

// Thumbprint returns the base64url RFC 7638 SHA-256 thumbprint of pub,
// a federation key's kid (network.md §1). It is dpop.Thumbprint, the
// one thumbprint of the code base.
func Thumbprint(pub ed25519.PublicKey) (string, error) {
	return dpop.Thumbprint(&jose.JSONWebKey{Key: pub})
}

// ParseJWKS reads a JWK set of federation public keys as network.md §1
// has them (RFC 7517 §5): at least one key, each a public Ed25519 key
// (kty OKP, crv Ed25519), alg EdDSA or none, use sig or none, and a kid
// that is the key's RFC 7638 SHA-256 thumbprint. It is how the anchor's
// pinned keys are read, wherever they come from (a file, a setting, the
// output of "omadata network anchor keys"). The error says which key is
// wrong and why.
func ParseJWKS(b []byte) (*jose.JSONWebKeySet, error) {
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(b, &ks); err != nil {
		return nil, errors.New("not a JWK set ({\"keys\": [...]} of Ed25519 public keys)")
	} else if len(ks.Keys) == 0 {
		return nil, errors.New("the JWK set has no keys")
	}
	for i, k := range ks.Keys {
		pub, ok := k.Key.(ed25519.PublicKey)
		switch {
		case !ok:
			return nil, fmt.Errorf("key %d is not a public Ed25519 key (kty OKP, crv Ed25519)", i)
		case k.Algorithm != "" && k.Algorithm != string(jose.EdDSA):
			return nil, fmt.Errorf("key %d has alg %q, want EdDSA", i, k.Algorithm)
		case k.Use != "" && k.Use != "sig":
			return nil, fmt.Errorf("key %d is not a signing key (use %q)", i, k.Use)
		case k.KeyID == "":
			return nil, fmt.Errorf("key %d has no kid", i)
		}
		tp, err := Thumbprint(pub)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		} else if k.KeyID != tp {
			return nil, fmt.Errorf("key %d: kid %q is not the key's RFC 7638 thumbprint %q", i, k.KeyID, tp)
		}
	}
	return &ks, nil
}
