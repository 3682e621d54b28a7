// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// Keyring holds the operator secrets that services need, derived from the
// operator's one secret key. The store never sees the secret key itself.
type Keyring interface {
	// BlindIndex returns a keyed hash of data for lookups, such as a
	// personal identity code: equal inputs give equal outputs, and without
	// the key nothing can be learned from it.
	BlindIndex(data string) string
	// Seal encrypts and authenticates plaintext, bound to ad.
	Seal(plaintext, ad []byte) ([]byte, error)
	// Open reverses Seal; it fails if the sealed bytes or ad were changed.
	Open(sealed, ad []byte) ([]byte, error)
}

// Signer signs the operator's records (receipts, grants) with the active
// key of KeyPurposeRecords.
type Signer interface {
	// SigningKey returns the active key ID and private key.
	SigningKey() (kid string, key ed25519.PrivateKey)
}

// SignJWS signs payload with the signer's key as a compact JWS (RFC 7515
// §7.1) with EdDSA (RFC 8037), whose protected header names the key (kid)
// and typ: a consent receipt, an archive's manifest.
func SignJWS(s Signer, typ string, payload []byte) (string, error) {
	kid, key := s.SigningKey()
	if len(key) != ed25519.PrivateKeySize {
		return "", errors.New("omadata: the records key is no Ed25519 private key")
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{"EdDSA", kid, typ})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	h, p := enc.EncodedLen(len(header)), enc.EncodedLen(len(payload))
	out := make([]byte, h+1+p, h+1+p+1+enc.EncodedLen(ed25519.SignatureSize))
	enc.Encode(out, header)
	out[h] = '.'
	enc.Encode(out[h+1:], payload)
	sig := ed25519.Sign(key, out)
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return string(out), nil
}
