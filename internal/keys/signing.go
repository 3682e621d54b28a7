// SPDX-License-Identifier: Apache-2.0

package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// Algorithm is the JWS algorithm of operator signing keys.
const Algorithm = "EdDSA"

// StatusActive is the status of the signing key in use for a purpose.
const StatusActive = "active"

// Ensure returns the active signing key of purpose, creating one when there
// is none. Processes that start together on a new database agree on one
// key: only the first creation succeeds, and the others read it. The
// caller in ctx must be allowed to rotate keys.
func Ensure(ctx context.Context, svc omadata.SigningKeyService, s *Sealer, purpose string) (*omadata.SigningKey, error) {
	if k, err := Active(ctx, svc, purpose); err != nil || k != nil {
		return k, err
	}
	k, err := New(s, purpose)
	if err != nil {
		return nil, err
	}
	active, err := svc.CreateSigningKey(ctx, k)
	if omadata.ErrorCode(err) == omadata.ECONFLICT {
		if k, err := Active(ctx, svc, purpose); err != nil || k != nil {
			return k, err
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create signing key: %w", err)
	}
	return active, nil
}

// Active returns the active signing key of purpose, or nil when it has none.
func Active(ctx context.Context, svc omadata.SigningKeyService, purpose string) (*omadata.SigningKey, error) {
	ks, err := svc.FindSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("find signing keys: %w", err)
	}
	for _, k := range ks {
		if k.Purpose == purpose && k.Status == StatusActive {
			return k, nil
		}
	}
	return nil, nil
}

// Rotate creates a new Ed25519 signing key for purpose and makes it the
// active one; the store retires the key before it.
func Rotate(ctx context.Context, svc omadata.SigningKeyService, s *Sealer, purpose string) (*omadata.SigningKey, error) {
	k, err := New(s, purpose)
	if err != nil {
		return nil, err
	}
	if err := svc.RotateSigningKey(ctx, k); err != nil {
		return nil, fmt.Errorf("rotate signing key: %w", err)
	}
	return k, nil
}

// New generates an Ed25519 key for purpose: its public JWK, and its private
// seed sealed under the key's ID. It does not store the key.
func New(s *Sealer, purpose string) (*omadata.SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	id := omadata.NewID(omadata.PrefixSigningKey)
	jwk, err := json.Marshal(jose.JSONWebKey{Key: pub, KeyID: id, Algorithm: Algorithm, Use: "sig"})
	if err != nil {
		return nil, fmt.Errorf("public JWK: %w", err)
	}
	sealed, err := s.Seal(id, priv.Seed())
	if err != nil {
		return nil, fmt.Errorf("seal private key: %w", err)
	}
	return &omadata.SigningKey{
		ID:         id,
		Purpose:    purpose,
		Algorithm:  Algorithm,
		PublicJWK:  string(jwk),
		PrivateKey: sealed,
		Status:     StatusActive,
	}, nil
}

// PublicKey parses the key's public JWK.
func PublicKey(k *omadata.SigningKey) (ed25519.PublicKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON([]byte(k.PublicJWK)); err != nil {
		return nil, fmt.Errorf("signing key %s: public JWK: %w", k.ID, err)
	}
	pub, ok := jwk.Key.(ed25519.PublicKey)
	if !ok || jwk.KeyID != k.ID {
		return nil, fmt.Errorf("signing key %s: public JWK is not this key's Ed25519 public key", k.ID)
	}
	return pub, nil
}

// Signer opens the key's sealed private half. It fails when the secret key
// is not the one the key was sealed with, or when the private half does not
// match the published public key.
func Signer(k *omadata.SigningKey, s *Sealer) (ed25519.PrivateKey, error) {
	seed, err := s.Open(k.ID, k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	} else if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key %s: sealed seed has %d bytes, want %d", k.ID, len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub, err := PublicKey(k)
	if err != nil {
		return nil, err
	} else if !bytes.Equal(pub, priv.Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("signing key %s: private key does not match the public JWK", k.ID)
	}
	return priv, nil
}

// FederationJWK returns the public JWK of a federation key as the network
// publishes it (docs/network.md §1): Ed25519, alg EdDSA, use sig, and its
// RFC 7638 SHA-256 thumbprint as kid, not the key's ID in the store.
func FederationJWK(k *omadata.SigningKey) (jose.JSONWebKey, error) {
	pub, err := PublicKey(k)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	jwk := jose.JSONWebKey{Key: pub, Algorithm: Algorithm, Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("signing key %s: thumbprint: %w", k.ID, err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return jwk, nil
}
